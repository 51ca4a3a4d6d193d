//! The alarm engine's rules, scenario by scenario, and its properties.

use super::*;
use crate::time::Civil;
use crate::wire;
use proptest::prelude::*;

/// Minute 0 of the scenarios: 2024-03-04T00:00:00Z.
fn t0() -> i64 {
    Civil { year: 2024, month: 3, day: 4, hour: 0, minute: 0, second: 0 }.unix_secs_as_utc().unwrap()
}

fn t(minute: i64) -> UtcTime {
    UtcTime::from_unix_secs(t0() + minute * MINUTE)
}

fn minute_of(at: UtcTime) -> i64 {
    at.secs_since(t(0)) / MINUTE
}

/// A scenario: readings from `curve` (minute → mg/dL, `None` = no reading) every `reading_every` minutes,
/// stepped every `step_every` minutes over `minutes`, with `act` run on the state before each step.
struct Scenario {
    config: AlarmConfig,
    readings: Vec<Reading>,
    state: AlarmState,
    events: Vec<AlarmEvent>,
}

impl Scenario {
    fn new(
        config: AlarmConfig,
        minutes: core::ops::Range<i64>,
        reading_every: i64,
        curve: impl Fn(i64) -> Option<u16>,
    ) -> Self {
        let readings = minutes
            .clone()
            .filter(|m| m.rem_euclid(reading_every) == 0)
            .filter_map(|m| curve(m).map(|v| Reading::new(t(m), MgDl::new(v))))
            .collect();
        Scenario { config, readings, state: AlarmState::new(), events: Vec::new() }
    }

    fn step_at(&mut self, minute: i64) {
        let now = t(minute);
        let visible = self.readings.partition_point(|r| r.at <= now);
        let (events, next) = step(now, &self.readings[..visible], &self.config, &self.state);
        self.events.extend(events);
        self.state = next;
    }

    fn run(
        mut self,
        minutes: core::ops::Range<i64>,
        step_every: i64,
        mut act: impl FnMut(i64, &mut AlarmState),
    ) -> Self {
        for m in minutes.filter(|m| m.rem_euclid(step_every) == 0) {
            act(m, &mut self.state);
            self.step_at(m);
        }
        self
    }

    /// (minute, repeat, level) of each alert of `kind`.
    fn fired(&self, kind: AlarmKind) -> Vec<(i64, u32, Level)> {
        self.events
            .iter()
            .filter_map(|e| e.alert())
            .filter(|a| a.kind == kind)
            .map(|a| (minute_of(a.at), a.repeat, a.level))
            .collect()
    }

    fn fired_minutes(&self, kind: AlarmKind) -> Vec<i64> {
        self.fired(kind).into_iter().map(|(m, _, _)| m).collect()
    }

    fn cleared(&self, kind: AlarmKind) -> Vec<i64> {
        self.events
            .iter()
            .filter(|e| matches!(e, AlarmEvent::Cleared { .. }) && e.kind() == kind)
            .map(|e| minute_of(e.at()))
            .collect()
    }
}

fn no_action(_: i64, _: &mut AlarmState) {}

/// Piecewise-linear curve through (minute, mg/dL) points, flat outside them.
fn linear(points: &'static [(i64, f64)]) -> impl Fn(i64) -> Option<u16> {
    move |m| {
        let mut value = points.first().map_or(100.0, |p| p.1);
        for w in points.windows(2) {
            let ((m0, v0), (m1, v1)) = (w[0], w[1]);
            if m >= m0 && m <= m1 {
                value = v0 + (v1 - v0) * (m - m0) as f64 / (m1 - m0) as f64;
            }
            if m > m1 {
                value = v1;
            }
        }
        Some(value.round() as u16)
    }
}

#[test]
fn urgent_low_repeats_every_5_min_until_acknowledged_then_stops() {
    let curve = |m| Some(if m < 10 { 100 } else { 50 });
    let s = Scenario::new(AlarmConfig::default(), 0..60, 1, curve).run(0..60, 1, |m, st| {
        if m == 27 {
            assert!(st.acknowledge(AlarmKind::UrgentLow, t(m)));
        }
    });
    // 10, 15, 20, 25; acknowledged at 27: silent for 15 min, then it repeats again because it is still < 55.
    assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [10, 15, 20, 25, 42, 47, 52, 57]);
    assert!(s.fired(AlarmKind::UrgentLow).iter().all(|&(_, _, level)| level == Level::Urgent));
    assert_eq!(s.fired(AlarmKind::UrgentLow).iter().map(|f| f.1).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6, 7]);
    // Low is covered by urgent low: no second notification for the same value.
    assert!(s.fired(AlarmKind::Low).is_empty());

    // Acknowledged, and it comes back up within the 15 minutes: nothing more, and the episode clears.
    let curve = |m| Some(if (10..35).contains(&m) { 50 } else { 100 });
    let s = Scenario::new(AlarmConfig::default(), 0..60, 1, curve).run(0..60, 1, |m, st| {
        if m == 27 {
            st.acknowledge(AlarmKind::UrgentLow, t(m));
        }
    });
    assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [10, 15, 20, 25]);
    assert_eq!(s.cleared(AlarmKind::UrgentLow), [35]);
}

#[test]
fn low_is_heard_while_an_urgent_low_is_held_open_just_above_55() {
    // 10 min at 50, then 2 h at 57: urgent low's episode stays open (57 is inside its hysteresis) but does not
    // repeat there; low, which 57 is, takes over with its own repeats instead of going quiet for two hours.
    let curve = |m| Some(if m < 10 { 50 } else { 57 });
    let s = Scenario::new(AlarmConfig::default(), 0..130, 1, curve).run(0..130, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [0, 5]);
    assert_eq!(s.fired_minutes(AlarmKind::Low), [15, 30, 45, 60, 75, 90, 105, 120]);
    // At 62, out of urgent low's band, the same: low repeats.
    let curve = |m| Some(if m < 10 { 50 } else { 62 });
    let s = Scenario::new(AlarmConfig::default(), 0..40, 1, curve).run(0..40, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::Low), [15, 30]);
}

#[test]
fn urgent_low_cannot_be_snoozed_longer_than_15_min_nor_muted_by_other_snoozes() {
    let curve = |m| Some(if m < 10 { 100 } else { 50 });
    let s = Scenario::new(AlarmConfig::default(), 0..40, 1, curve).run(0..40, 1, |m, st| {
        if m == 0 {
            let until = st.snooze(AlarmKind::UrgentLow, t(0), t(120));
            assert_eq!(until, t(15));
            st.snooze(AlarmKind::Low, t(0), t(60));
            st.snooze(AlarmKind::High, t(0), t(120));
        }
    });
    assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [15, 20, 25, 30, 35]);
    assert!(
        AlarmConfig { disabled: vec![AlarmKind::UrgentLow], ..AlarmConfig::default() }.is_enabled(AlarmKind::UrgentLow)
    );
}

#[test]
fn wobbling_on_70_gives_one_low_alarm_not_ten() {
    let wobble = [69, 71, 68, 72, 69, 73, 69, 71, 68, 72, 69, 71, 69, 72];
    let curve = move |m: i64| {
        Some(if (10..24).contains(&m) {
            wobble[(m - 10) as usize]
        } else if m < 10 {
            80
        } else {
            90
        })
    };
    let s = Scenario::new(AlarmConfig::default(), 0..40, 1, curve).run(0..40, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::Low), [10]);
    assert_eq!(s.cleared(AlarmKind::Low), [24]);

    // The control: without hysteresis the same data flaps.
    let config = AlarmConfig { low_hysteresis: MgDl::new(0), ..AlarmConfig::default() };
    let s = Scenario::new(config, 0..40, 1, curve).run(0..40, 1, no_action);
    assert!(s.fired(AlarmKind::Low).len() >= 5, "{:?}", s.fired(AlarmKind::Low));
}

#[test]
fn high_wobbling_on_180_clears_only_10_below() {
    let curve = |m: i64| {
        Some(match m {
            0..10 => 150,
            10..30 => {
                if m % 2 == 0 {
                    182
                } else {
                    175
                }
            }
            30..40 => 171,
            _ => 170,
        })
    };
    let s = Scenario::new(AlarmConfig::default(), 0..50, 1, curve).run(0..50, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::High), [10]);
    assert_eq!(s.cleared(AlarmKind::High), [40]);
}

#[test]
fn a_snoozed_high_does_not_mute_a_later_low() {
    static POINTS: [(i64, f64); 3] = [(0, 220.0), (30, 220.0), (90, 60.0)];
    let s = Scenario::new(AlarmConfig::default(), 0..120, 1, linear(&POINTS)).run(0..120, 1, |m, st| {
        if m == 0 {
            st.snooze(AlarmKind::High, t(0), t(120));
        }
    });
    assert!(s.fired(AlarmKind::High).is_empty());
    let low = s.fired_minutes(AlarmKind::Low);
    // 220 − 160·(m−30)/60 < 70 from minute 87 on.
    assert_eq!(low.first(), Some(&87));
}

#[test]
fn stale_data_warns_at_15_and_is_urgent_at_30_and_silences_glucose_alarms() {
    let curve = |m| (m <= 30).then_some(65);
    let s = Scenario::new(AlarmConfig::default(), 0..100, 1, curve).run(0..100, 1, no_action);
    assert_eq!(
        s.fired(AlarmKind::StaleData),
        [(45, 0, Level::Warning), (60, 1, Level::Urgent), (75, 2, Level::Urgent), (90, 3, Level::Urgent)]
    );
    // Low repeated while the data were fresh, then nothing on data older than 10 minutes (and no clearing).
    assert_eq!(s.fired_minutes(AlarmKind::Low), [0, 15, 30]);
    assert!(s.cleared(AlarmKind::Low).is_empty());
    assert!(s.state.is_active(AlarmKind::Low));

    // A low reading that is 20 minutes old: stale warning only.
    let readings = [Reading::new(t(0), MgDl::new(60))];
    let (events, _) = step(t(20), &readings, &AlarmConfig::default(), &AlarmState::new());
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind(), AlarmKind::StaleData);
    assert_eq!(events[0].alert().map(|a| a.level), Some(Level::Warning));
    // 10 minutes old is still evaluated; 11 is not.
    let (events, _) = step(t(10), &readings, &AlarmConfig::default(), &AlarmState::new());
    assert_eq!(events.iter().map(|e| e.kind()).collect::<Vec<_>>(), [AlarmKind::Low]);
    let (events, _) = step(t(11), &readings, &AlarmConfig::default(), &AlarmState::new());
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn stale_clears_when_data_come_back() {
    let curve = |m| (!(10..40).contains(&m)).then_some(120);
    let s = Scenario::new(AlarmConfig::default(), 0..60, 1, curve).run(0..60, 1, no_action);
    // Last reading at 9: warning at 24, urgent at 39 (30 min), cleared by the reading at 40.
    assert_eq!(s.fired(AlarmKind::StaleData), [(24, 0, Level::Warning), (39, 1, Level::Urgent)]);
    assert_eq!(s.cleared(AlarmKind::StaleData), [40]);
}

#[test]
fn rising_and_falling_fast_fire_once_per_episode() {
    static POINTS: [(i64, f64); 8] =
        [(0, 100.0), (20, 100.0), (60, 220.0), (100, 220.0), (130, 130.0), (170, 130.0), (200, 220.0), (260, 220.0)];
    let s = Scenario::new(AlarmConfig::default(), 0..260, 1, linear(&POINTS)).run(0..260, 1, no_action);
    let rising = s.fired_minutes(AlarmKind::RisingFast);
    assert_eq!(rising.len(), 2, "{rising:?}");
    // The rate passes 2 mg/dL/min about 10 minutes into a 3 mg/dL/min rise and must then hold 15 minutes.
    assert!((44..=46).contains(&rising[0]) && (194..=196).contains(&rising[1]), "{rising:?}");
    let falling = s.fired_minutes(AlarmKind::FallingFast);
    assert_eq!(falling.len(), 1, "{falling:?}");
    assert!((124..=126).contains(&falling[0]), "{falling:?}");
    assert_eq!(s.fired(AlarmKind::FallingFast)[0].2, Level::Warning);
}

#[test]
fn a_slow_rise_is_not_fast() {
    static POINTS: [(i64, f64); 3] = [(0, 100.0), (20, 100.0), (80, 220.0)]; // 2 mg/dL/min, not more
    let s = Scenario::new(AlarmConfig::default(), 0..100, 1, linear(&POINTS)).run(0..100, 1, no_action);
    assert!(s.fired(AlarmKind::RisingFast).is_empty());
    // A fast rise of only 15 minutes is not sustained for 15 minutes at more than 2 mg/dL/min.
    static SHORT: [(i64, f64); 3] = [(0, 100.0), (20, 100.0), (35, 145.0)];
    let s = Scenario::new(AlarmConfig::default(), 0..100, 1, linear(&SHORT)).run(0..100, 1, no_action);
    assert!(s.fired(AlarmKind::RisingFast).is_empty());
}

#[test]
fn predicted_low_fires_before_the_low_and_not_when_already_low() {
    static FALLING: [(i64, f64); 3] = [(0, 130.0), (10, 130.0), (70, 40.0)]; // −1.5 mg/dL/min
    let s = Scenario::new(AlarmConfig::default(), 0..80, 1, linear(&FALLING)).run(0..80, 1, no_action);
    let predicted = s.fired_minutes(AlarmKind::PredictedLow);
    let low = s.fired_minutes(AlarmKind::Low);
    assert_eq!(predicted.len(), 1, "{predicted:?}");
    assert_eq!(low.first(), Some(&51)); // 130 − 1.5·41 = 68.5 → 69
    assert!(predicted[0] < 51 && predicted[0] >= 30, "{predicted:?}");
    assert_eq!(s.cleared(AlarmKind::PredictedLow), [51]);

    static ALREADY_LOW: [(i64, f64); 3] = [(0, 65.0), (10, 65.0), (30, 45.0)];
    let s = Scenario::new(AlarmConfig::default(), 0..40, 1, linear(&ALREADY_LOW)).run(0..40, 1, no_action);
    assert!(s.fired(AlarmKind::PredictedLow).is_empty());
    assert_eq!(s.fired_minutes(AlarmKind::Low).first(), Some(&0));
}

#[test]
fn not_coming_down_fires_once_two_hours_after_the_rise_began() {
    // Meal at 60: 110 → 200 by 120, down to 185 by 150, then flat.
    static MEAL: [(i64, f64); 5] = [(0, 110.0), (60, 110.0), (120, 200.0), (150, 185.0), (300, 185.0)];
    let s = Scenario::new(AlarmConfig::default(), 0..300, 1, linear(&MEAL)).run(0..300, 1, no_action);
    assert_eq!(s.fired(AlarmKind::NotComingDown), [(180, 0, Level::Info)]);
    // Persistent high counts from the crossing of 180 (minute 107), so it is a different moment.
    assert_eq!(s.fired_minutes(AlarmKind::PersistentHigh), [227]);

    // Peak 250, then falling 0.6 mg/dL/min: it is coming down, no alarm.
    static FALLING: [(i64, f64); 4] = [(0, 110.0), (60, 110.0), (120, 250.0), (260, 166.0)];
    let s = Scenario::new(AlarmConfig::default(), 0..300, 1, linear(&FALLING)).run(0..300, 1, no_action);
    assert!(s.fired(AlarmKind::NotComingDown).is_empty());
}

/// Post-meal: 110 → 230, down to 185, up again to 215, down to 185, up to 210, then back in range.
static REBOUND: [(i64, f64); 8] =
    [(0, 110.0), (30, 110.0), (110, 230.0), (155, 185.0), (185, 215.0), (215, 185.0), (240, 210.0), (285, 120.0)];

#[test]
fn post_meal_rise_falls_rises_again_gives_exactly_one_rebound() {
    for (reading_every, step_every) in [(1, 1), (1, 5), (5, 1), (5, 5)] {
        let s = Scenario::new(AlarmConfig::default(), 0..320, reading_every, linear(&REBOUND)).run(
            0..320,
            step_every,
            no_action,
        );
        // Trough 185 at 155; +20 → 205 at 175.
        assert_eq!(s.fired(AlarmKind::Rebound), [(175, 0, Level::Info)], "{reading_every}/{step_every}");
        // Cleared once back at or below 170 (210 − 2·(m − 240) ≤ 170 from 260).
        assert_eq!(s.cleared(AlarmKind::Rebound), [260], "{reading_every}/{step_every}");
    }
}

#[test]
fn a_fall_into_range_and_a_new_rise_is_not_a_rebound() {
    static POINTS: [(i64, f64); 5] = [(0, 110.0), (60, 230.0), (120, 150.0), (160, 200.0), (200, 200.0)];
    let s = Scenario::new(AlarmConfig::default(), 0..220, 1, linear(&POINTS)).run(0..220, 1, no_action);
    assert!(s.fired(AlarmKind::Rebound).is_empty());
    assert_eq!(s.fired(AlarmKind::High).len(), 2); // two separate high episodes instead
}

#[test]
fn a_stored_config_reads_when_partial_and_not_when_misshapen() {
    let partial = serde_json::json!({"low_repeat_secs": 600, "night": null});
    let expected = AlarmConfig { low_repeat_secs: 600, ..AlarmConfig::default() };
    assert_eq!(wire::from_value::<AlarmConfig>(&partial), Some(expected));
    for wrong in [
        serde_json::json!({"low_repeat_secs": "600"}),
        serde_json::json!({"day": {"low": 70}}),
        serde_json::json!({"disabled": ["Nope"]}),
        serde_json::json!({"low_hysteresis": -1}),
        serde_json::json!([1]),
    ] {
        assert_eq!(wire::from_value::<AlarmConfig>(&wrong), None, "{wrong}");
    }
    assert_eq!(wire::from_value::<AlarmState>(&serde_json::json!({})), Some(AlarmState::new()));
    let state =
        serde_json::json!({"excursion": "Rebounded", "kinds": {"Low": {"active": true, "fired": 1, "sent": 1}}});
    assert!(wire::from_value::<AlarmState>(&state).is_some_and(|s| s.is_active(AlarmKind::Low)));
}

fn night_config(night_high: u16, volume: Volume) -> AlarmConfig {
    AlarmConfig {
        night: Some(NightProfile {
            starts_min: 22 * 60,
            ends_min: 7 * 60,
            profile: Profile { high: MgDl::new(night_high), volume, ..Profile::default() },
            days: EVERY_DAY,
        }),
        ..AlarmConfig::default()
    }
}

#[test]
fn above_180_all_night_alerts_every_two_hours_until_morning() {
    // 21:00 (minute −180) to 08:00; high from 22:00 (−120) to 07:00 (420).
    let curve = |m: i64| Some(if (-120..420).contains(&m) { 200 } else { 120 });
    for step_every in [1, 5] {
        let s =
            Scenario::new(night_config(180, Volume::Quiet), -180..480, 5, curve).run(-180..480, step_every, no_action);
        assert_eq!(s.fired(AlarmKind::High), [(-120, 0, Level::Warning)]);
        assert_eq!(
            s.fired(AlarmKind::PersistentHigh),
            [(0, 0, Level::Warning), (120, 1, Level::Warning), (240, 2, Level::Warning), (360, 3, Level::Warning)],
            "step every {step_every}"
        );
        assert_eq!(s.cleared(AlarmKind::PersistentHigh), [420]);
        assert_eq!(s.cleared(AlarmKind::High), [420]);
        let alert = s.events.iter().filter_map(|e| e.alert()).find(|a| a.kind == AlarmKind::PersistentHigh);
        assert_eq!(alert.map(|a| (a.profile, a.volume)), Some((ProfileKind::Night, Volume::Quiet)));
    }
}

#[test]
fn persistent_high_repeats_whatever_the_direction() {
    // High from 0, wandering up and down between 190 and 240 for 7 hours.
    let curve = |m: i64| Some(if m < 420 { 215 + ((m as f64 / 20.0).sin() * 25.0) as u16 } else { 120 });
    let s = Scenario::new(AlarmConfig::default(), 0..480, 1, curve).run(0..480, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::PersistentHigh), [120, 240, 360]);
}

#[test]
fn persistent_high_keeps_its_pace_across_a_signal_gap() {
    // High from 0, no readings from 300 to 335 (the sensor out of range), high again after.
    let curve = |m: i64| (!(300..335).contains(&m)).then_some(220);
    let s = Scenario::new(AlarmConfig::default(), 0..620, 1, curve).run(0..620, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::PersistentHigh), [120, 240, 360, 480, 600]);
}

#[test]
fn day_and_night_thresholds() {
    // 190 from 21:00 to 08:00; the night profile's high is 200.
    let curve = |_| Some(190);
    let s = Scenario::new(night_config(200, Volume::Normal), -180..480, 5, curve).run(-180..480, 1, no_action);
    // Day: high at 21:00; night: 190 is 10 below 200, so it clears at 22:00; day again at 07:00.
    assert_eq!(s.fired_minutes(AlarmKind::High), [-180, 420]);
    assert_eq!(s.cleared(AlarmKind::High), [-120]);
    let profiles: Vec<_> =
        s.events.iter().filter_map(|e| e.alert()).filter(|a| a.kind == AlarmKind::High).map(|a| a.profile).collect();
    assert_eq!(profiles, [ProfileKind::Day, ProfileKind::Day]);
    // And a night value above the night threshold alarms with the night profile.
    let s = Scenario::new(night_config(200, Volume::Normal), -180..480, 5, |_| Some(215)).run(-180..480, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::High), [-180]);
}

#[test]
fn urgent_high_repeats_every_30_min() {
    let curve = |m| Some(if (10..80).contains(&m) { 270 } else { 150 });
    let s = Scenario::new(AlarmConfig::default(), 0..100, 1, curve).run(0..100, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::UrgentHigh), [10, 40, 70]);
    assert!(s.fired(AlarmKind::High).is_empty(), "covered by urgent high");
    assert_eq!(s.cleared(AlarmKind::UrgentHigh), [80]);
}

#[test]
fn low_repeats_every_15_min_and_snooze_and_acknowledge_work_per_episode() {
    let curve = |m| Some(if (10..60).contains(&m) || (80..100).contains(&m) { 65 } else { 100 });
    let s = Scenario::new(AlarmConfig::default(), 0..110, 1, curve).run(0..110, 1, |m, st| {
        if m == 30 {
            assert!(st.acknowledge(AlarmKind::Low, t(m)));
        }
    });
    // 10, 25; acknowledged at 30: no more repeats in this episode; a new episode at 80 fires again.
    assert_eq!(s.fired_minutes(AlarmKind::Low), [10, 25, 80, 95]);
    assert!(!AlarmState::new().acknowledge(AlarmKind::Low, t(0)), "nothing open to acknowledge");

    let s = Scenario::new(AlarmConfig::default(), 0..110, 1, curve).run(0..110, 1, |m, st| {
        if m == 0 {
            assert_eq!(st.snooze(AlarmKind::Low, t(0), t(180)), t(60), "low snoozes at most 60 min");
        }
    });
    assert_eq!(s.fired_minutes(AlarmKind::Low), [80, 95]);
}

#[test]
fn sensor_ending_notices_fire_once_each() {
    let ends = t(3 * 24 * 60);
    let config = AlarmConfig { sensor_ends_at: Some(ends), ..AlarmConfig::default() };
    let s = Scenario::new(config, 0..(3 * 24 * 60 + 60), 5, |_| Some(120)).run(0..(3 * 24 * 60 + 60), 1, no_action);
    assert_eq!(s.fired(AlarmKind::SensorEndsInADay), [(2 * 24 * 60, 0, Level::Info)]);
    assert_eq!(s.fired(AlarmKind::SensorEndsSoon), [(3 * 24 * 60 - 120, 0, Level::Warning)]);
    assert_eq!(s.cleared(AlarmKind::SensorEndsInADay), [3 * 24 * 60 - 120]);
    assert_eq!(s.cleared(AlarmKind::SensorEndsSoon), [3 * 24 * 60]);
    // The sensor status feeds it.
    let sensor = crate::sensor::Sensor::from_llu(t(0).unix_secs(), Some(60), Some(40068)).unwrap();
    assert_eq!(sensor.status(t(0)).ends_at, t(14 * 24 * 60));
}

/// A scenario with most alarms in it: lows, highs, a gap, a rebound.
fn busy_curve(m: i64) -> Option<u16> {
    match m {
        40..70 => None,
        _ => linear(&REBOUND)(m).map(|v| if (300..340).contains(&m) { 50 } else { v }),
    }
}

#[test]
fn double_delivery_emits_nothing_new() {
    let once = Scenario::new(AlarmConfig::default(), 0..400, 1, busy_curve).run(0..400, 1, no_action);
    let mut twice = Scenario::new(AlarmConfig::default(), 0..400, 1, busy_curve);
    for m in 0..400 {
        twice.step_at(m);
        let before = twice.events.len();
        twice.step_at(m);
        assert_eq!(twice.events.len(), before, "minute {m}: {:?}", &twice.events[before..]);
    }
    assert_eq!(once.events, twice.events);
    assert!(once.events.len() > 10, "the scenario exercises the machine: {:?}", once.events);
}

#[test]
fn a_step_back_in_time_is_ignored() {
    let s = Scenario::new(AlarmConfig::default(), 0..30, 1, |_| Some(50)).run(0..30, 1, no_action);
    let (events, next) = step(t(10), &s.readings, &s.config, &s.state);
    assert!(events.is_empty());
    assert_eq!(next, s.state);
}

#[test]
fn state_round_trips_through_json_and_carries_on_identically() {
    let mut a = Scenario::new(AlarmConfig::default(), 0..400, 1, busy_curve).run(0..200, 1, |m, st| {
        if m == 150 {
            st.snooze(AlarmKind::High, t(m), t(m + 90));
        }
    });
    let json = serde_json::to_string(&a.state).unwrap();
    let back: AlarmState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a.state);
    let mut b = Scenario { config: a.config.clone(), readings: a.readings.clone(), state: back, events: Vec::new() };
    a.events.clear();
    for m in 200..400 {
        a.step_at(m);
        b.step_at(m);
    }
    assert_eq!(a.events, b.events);
    // Config and events serialise too.
    let config: AlarmConfig =
        serde_json::from_str(&serde_json::to_string(&night_config(200, Volume::Quiet)).unwrap()).unwrap();
    assert_eq!(config, night_config(200, Volume::Quiet));
    let partial: AlarmConfig = serde_json::from_str(r#"{"low_repeat_secs": 600}"#).unwrap();
    assert_eq!(partial.low_repeat_secs, 600);
    assert_eq!(partial.day, Profile::default());
}

#[test]
fn disabled_alarms_stay_silent_and_active_lists_open_episodes() {
    let config = AlarmConfig { disabled: vec![AlarmKind::High, AlarmKind::PersistentHigh], ..AlarmConfig::default() };
    let s = Scenario::new(config, 0..200, 1, |_| Some(200)).run(0..200, 1, no_action);
    assert!(s.fired(AlarmKind::High).is_empty() && s.fired(AlarmKind::PersistentHigh).is_empty());

    let s = Scenario::new(AlarmConfig::default(), 0..30, 1, |m| Some(if m < 10 { 100 } else { 50 })).run(
        0..30,
        1,
        no_action,
    );
    let active = s.state.active();
    let kinds: Vec<_> = active.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AlarmKind::UrgentLow, AlarmKind::Low]);
    assert_eq!(active[0].level, Some(Level::Urgent));
    assert_eq!(active[0].since, t(10));
    assert_eq!(active[1].level, None, "low was covered by urgent low, never sent");
}

#[test]
fn night_window_wraps_midnight() {
    let night = NightProfile { starts_min: 22 * 60, ends_min: 7 * 60, profile: Profile::default(), days: EVERY_DAY };
    let cases =
        [(0, true), (6 * 60 + 59, true), (7 * 60, false), (12 * 60, false), (21 * 60 + 59, false), (22 * 60, true)];
    for (minute, inside) in cases {
        assert_eq!(night.contains(minute), inside, "{minute}");
    }
    // The offset moves the window: 22:00 local at UTC+2 is 20:00 UTC.
    let config = AlarmConfig { utc_offset_min: 120, ..night_config(200, Volume::Quiet) };
    assert_eq!(config.profile_at(t(20 * 60)).1, ProfileKind::Night);
    assert_eq!(config.profile_at(t(20 * 60 - 1)).1, ProfileKind::Day);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_input_never_panics_and_never_duplicates(
        points in proptest::collection::btree_map(-100i64..400, 1u16..=600, 0..120),
        nows in proptest::collection::vec(-50i64..500, 1..80),
        lo_hi in proptest::collection::vec(0u8..3, 120),
        snooze_at in 0usize..80,
    ) {
        let readings: Vec<Reading> = points.iter().zip(lo_hi.iter().cycle()).map(|((&m, &v), &flag)| {
            let mut r = Reading::new(t(m), MgDl::new(v));
            r.range = match flag { 1 => crate::reading::SensorRange::Lo, 2 => crate::reading::SensorRange::Hi, _ => r.range };
            r
        }).collect();
        let mut nows = nows;
        nows.sort_unstable();
        let config = AlarmConfig { sensor_ends_at: Some(t(200)), ..night_config(200, Volume::Quiet) };
        let mut state = AlarmState::new();
        let mut seen = std::collections::HashSet::new();
        for (i, &m) in nows.iter().enumerate() {
            if i == snooze_at {
                state.snooze(AlarmKind::Low, t(m), t(m + 30));
                state.acknowledge(AlarmKind::High, t(m));
            }
            for _ in 0..2 {
                let (events, next) = step(t(m), &readings, &config, &state);
                for e in events {
                    let fired = matches!(e, AlarmEvent::Fired(_));
                    prop_assert!(seen.insert((e.kind(), e.at(), fired)), "duplicate {:?}", e);
                }
                state = next;
            }
        }
    }

    #[test]
    fn hand_written_json_is_serde_json_for_states_configs_and_readings(
        points in proptest::collection::btree_map(-100i64..400, 1u16..=600, 0..80),
        nows in proptest::collection::vec(-50i64..500, 1..40),
        flags in proptest::collection::vec((0u8..3, 0u8..9, proptest::option::of(-720i16..840), 0u8..3), 80),
        numbers in (1u16..400, 0u16..1440, proptest::option::of(0i64..2_000_000_000), -3.5f64..4.0),
        snooze_at in 0usize..40,
    ) {
        use crate::reading::{Origin, SensorRange, Series};
        use crate::trend::Direction;
        const ARROWS: [Direction; 8] = [Direction::DoubleDown, Direction::SingleDown, Direction::FortyFiveDown,
            Direction::Flat, Direction::FortyFiveUp, Direction::SingleUp, Direction::DoubleUp,
            Direction::NotComputable];
        let readings: Vec<Reading> = points.iter().zip(flags.iter().cycle()).map(|((&m, &v), &(range, arrow, offset, origin))| {
            let mut r = Reading::new(t(m), MgDl::new(v));
            r.range = [SensorRange::InRange, SensorRange::Lo, SensorRange::Hi][usize::from(range)];
            r.arrow = ARROWS.get(usize::from(arrow)).copied();
            r.wearer_offset_min = offset;
            r.origin = [Origin::Graph, Origin::Logbook, Origin::Current][usize::from(origin)];
            r
        }).collect();
        let (mgdl, minute, ends, rate) = numbers;
        let mut config = night_config(mgdl.max(100), Volume::Loud);
        config.utc_offset_min = i16::try_from(minute).unwrap_or(0) - 720;
        config.sensor_ends_at = ends.map(UtcTime::from_unix_secs);
        config.fast_rate = rate;
        config.disabled = vec![AlarmKind::Rebound, AlarmKind::StaleData];
        let series = Series::from_readings(readings.iter().copied());
        prop_assert_eq!(wire::from_value::<AlarmConfig>(&wire::to_value(&config)), Some(config.clone()));
        prop_assert_eq!(wire::from_value::<Series>(&wire::to_value(&series)), Some(series.clone()));
        let mut nows = nows;
        nows.sort_unstable();
        let mut state = AlarmState::new();
        for (i, &m) in nows.iter().enumerate() {
            if i == snooze_at {
                state.snooze(AlarmKind::Low, t(m), t(m + 30));
                state.acknowledge(AlarmKind::High, t(m));
            }
            state = step(t(m), series.as_slice(), &config, &state).1;
            prop_assert_eq!(wire::from_value::<AlarmState>(&wire::to_value(&state)), Some(state.clone()));
        }
    }

    #[test]
    fn every_cleared_follows_a_fired_episode(points in proptest::collection::vec(40u16..=400, 10..200)) {
        let readings: Vec<Reading> = points.iter().enumerate().map(|(i, &v)| Reading::new(t(i as i64), MgDl::new(v))).collect();
        let mut state = AlarmState::new();
        let mut open = std::collections::HashSet::new();
        for m in 0..(points.len() as i64 + 40) {
            let (events, next) = step(t(m), &readings, &AlarmConfig::default(), &state);
            for e in events {
                match e {
                    AlarmEvent::Fired(a) => { open.insert(a.kind); }
                    AlarmEvent::Cleared { kind, .. } => prop_assert!(open.remove(&kind), "cleared {:?} never fired", kind),
                }
            }
            state = next;
        }
    }
}

#[test]
fn a_fortnight_of_minute_data_is_cheap() {
    // 14 days of 1-minute readings (20,160); the machine looks only at the tail.
    let readings: Vec<Reading> = (0..20_160).map(|m| Reading::new(t(m), MgDl::new(100 + (m % 150) as u16))).collect();
    let (_, state) = step(t(20_159), &readings, &AlarmConfig::default(), &AlarmState::new());
    let json = serde_json::to_string(&state).unwrap();
    assert!(json.len() < 2_000, "state stays small: {} bytes", json.len());
}

#[test]
fn a_notification_says_which_alarm_what_value_and_how_old_in_the_followers_unit() {
    let alert = |kind, value: Option<u16>| Alert {
        kind,
        level: Level::Urgent,
        at: t(10),
        value: value.map(MgDl::new),
        repeat: 0,
        volume: Volume::Loud,
        profile: ProfileKind::Day,
    };
    let mut newest = Reading::new(t(7), MgDl::new(45));
    newest.arrow = Some(crate::trend::Direction::FortyFiveDown);
    let urgent = alert(AlarmKind::UrgentLow, Some(45));
    assert_eq!(
        urgent.notification("Lee", Some(&newest), GlucoseUnit::MgDl, t(10)),
        ("Urgent low: 45 mg/dL".to_owned(), "Lee · falling · 3 min ago".to_owned())
    );
    assert_eq!(urgent.notification("", Some(&newest), GlucoseUnit::MmolL, t(7)).0, "Urgent low: 2.5 mmol/L");
    assert_eq!(urgent.notification("", None, GlucoseUnit::MgDl, t(7)).1, "Glucose · no reading");
    assert_eq!(
        alert(AlarmKind::StaleData, None).notification("Lee", Some(&newest), GlucoseUnit::MgDl, t(27)),
        ("No recent data".to_owned(), "Lee: no new reading since 20 min ago. Check on them.".to_owned())
    );
}

/// A phone's settings and alarm state as earlier builds stored them (in the `Watcher`'s book) still read, and are
/// written the same way.
#[test]
fn stored_alarm_records_are_the_json_earlier_builds_wrote() {
    let mut config = night_config(200, Volume::Loud);
    config.utc_offset_min = -300;
    config.disabled = vec![AlarmKind::Rebound];
    config.sensor_ends_at = Some(UtcTime::from_unix_secs(1_800_000_000));
    config.fast_rate = 2.5;
    let mut state = AlarmState::new();
    let low = KindState {
        active: true,
        since: Some(t(1)),
        fired: 2,
        sent: 1,
        last_level: Some(Level::Warning),
        last_fired: Some(t(3)),
        acked_at: None,
        snoozed_until: Some(t(40)),
    };
    state.kinds.insert(AlarmKind::Low, low);
    state.kinds.insert(AlarmKind::StaleData, KindState::default());
    state.excursion = Excursion::Falling { trough: MgDl::new(90) };
    state.excursion_seen = Some(t(5));
    state.last_step = Some(t(6));
    let config_json = r#"{"day":{"high":180,"low":70,"urgent_high":250,"urgent_low":55,"volume":"Normal"},
        "disabled":["Rebound"],"fast_rate":2.5,"high_hysteresis":10,"low_hysteresis":5,"low_repeat_secs":900,
        "night":{"ends_min":420,"profile":{"high":200,"low":70,"urgent_high":250,"urgent_low":55,"volume":"Loud"},
        "starts_min":1320},"not_coming_down_after_secs":7200,"not_coming_down_slope":-0.5,
        "persistent_high_after_secs":7200,"persistent_high_every_secs":7200,"predicted_low_minutes":20,
        "predicted_low_repeat_secs":900,"rebound_fall":30,"rebound_rise":20,"sensor_ends_at":1800000000,
        "stale_repeat_secs":900,"stale_urgent_secs":1800,"stale_warning_secs":900,"urgent_high_repeat_secs":1800,
        "urgent_low_repeat_secs":300,"utc_offset_min":-300}"#;
    let state_json = r#"{"excursion":{"Falling":{"trough":90}},"excursion_seen":1709510700,
        "kinds":{"Low":{"acked_at":null,"active":true,"fired":2,"last_fired":1709510580,"last_level":"Warning",
        "sent":1,"since":1709510460,"snoozed_until":1709512800},"StaleData":{"acked_at":null,"active":false,
        "fired":0,"last_fired":null,"last_level":null,"sent":0,"since":null,"snoozed_until":null}},
        "last_step":1709510760}"#;
    let fresh_json = r#"{"excursion":{"Rising":{"peak":0}},"excursion_seen":null,"kinds":{},"last_step":null}"#;
    assert_eq!(wire::to_value(&config), wire::parse(config_json).unwrap());
    assert_eq!(wire::from_json::<AlarmConfig>(config_json), Some(config));
    assert_eq!(wire::to_value(&state), wire::parse(state_json).unwrap());
    assert_eq!(wire::from_json::<AlarmState>(state_json), Some(state));
    assert_eq!(wire::to_value(&AlarmState::new()), wire::parse(fresh_json).unwrap());
    assert_eq!(wire::from_json::<AlarmState>(fresh_json), Some(AlarmState::new()));
}

mod settings;
