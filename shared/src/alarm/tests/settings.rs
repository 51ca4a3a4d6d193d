//! The settings a family sets in the app: the quiet window that urgent alarms break, the nights the night profile
//! is kept, the night's volume, and the snooze each notification offers.

use super::*;

fn quiet_until(minute: i64) -> AlarmConfig {
    AlarmConfig { quiet_until: Some(t(minute)), ..AlarmConfig::default() }
}

#[test]
fn a_quiet_window_holds_a_low_back_until_it_ends_then_it_rings() {
    let curve = |m| Some(if m < 10 { 100 } else { 62 });
    let s = Scenario::new(quiet_until(45), 0..90, 1, curve).run(0..90, 1, no_action);
    // Low from minute 10, heard at 45 when the window ends, then every 15 minutes.
    assert_eq!(s.fired_minutes(AlarmKind::Low), [45, 60, 75]);
    // The open app's banner shows it all along, not sent yet.
    let active = s.state.active();
    assert!(active.iter().any(|a| a.kind == AlarmKind::Low && a.since == t(10)));
}

#[test]
fn an_urgent_low_breaks_a_quiet_window_after_ten_minutes() {
    let curve = |m| Some(if m < 10 { 100 } else { 48 });
    let s = Scenario::new(quiet_until(120), 0..60, 1, curve).run(0..60, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [20, 25, 30, 35, 40, 45, 50, 55]);
    assert!(s.fired(AlarmKind::Low).is_empty(), "low waits for the window, and urgent low covers it anyway");
    // Stepped every five minutes, the same.
    let s = Scenario::new(quiet_until(120), 0..60, 1, curve).run(0..60, 5, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [20, 25, 30, 35, 40, 45, 50, 55]);
}

#[test]
fn a_quiet_window_ends_by_itself_and_one_too_long_is_no_quiet() {
    let config = quiet_until(30);
    assert!(config.quiet_at(t(29)));
    assert!(!config.quiet_at(t(30)));
    // Thirteen hours ahead is not a quiet window anybody asked for: it is ignored, not obeyed.
    let config = quiet_until(13 * 60);
    assert!(!config.quiet_at(t(0)));
    let s = Scenario::new(config, 0..30, 1, |_| Some(62)).run(0..30, 1, no_action);
    assert_eq!(s.fired_minutes(AlarmKind::Low), [0, 15]);
}

#[test]
fn a_server_drops_a_quiet_window_that_would_only_begin_to_count_later() {
    // Twenty hours ahead is ignored now, but would be twelve hours of quiet eight hours from now: it is not kept.
    let far = quiet_until(20 * 60).with_quiet_checked(t(0));
    assert_eq!(far.quiet_until, None);
    assert!(!far.quiet_at(t(8 * 60 + 30)));
    assert_eq!(quiet_until(-5).with_quiet_checked(t(0)).quiet_until, None, "already over");
    assert_eq!(quiet_until(60).with_quiet_checked(t(0)).quiet_until, Some(t(60)));
}

#[test]
fn a_wobbling_urgent_low_still_breaks_a_quiet_window_after_ten_minutes() {
    // 52, 52, 61, 61, 53 …: urgent low's own episode restarts at every 61 (past 55 + 5), low's stays open.
    let curve = |m: i64| {
        Some(if m < 10 {
            100
        } else if (m / 2) % 2 == 0 {
            52
        } else {
            61
        })
    };
    let s = Scenario::new(quiet_until(120), 0..60, 1, curve).run(0..60, 1, no_action);
    let first = s.fired_minutes(AlarmKind::UrgentLow).first().copied();
    assert!(first.is_some_and(|m| (20..=23).contains(&m)), "heard at {first:?}, ten minutes after 10");
}

#[test]
fn the_night_profile_is_kept_only_on_its_nights() {
    // t(0) is Monday 2024-03-04 00:00 UTC. School nights: the evenings from Sunday to Thursday.
    let mut config = night_config(200, Volume::Silent);
    if let Some(night) = config.night.as_mut() {
        night.days = SCHOOL_NIGHTS;
    }
    let day = 24 * 60;
    let cases = [
        (3 * 60, ProfileKind::Night, "Monday 03:00, the night from Sunday"),
        (23 * 60, ProfileKind::Night, "Monday 23:00"),
        (4 * day + 23 * 60, ProfileKind::Day, "Friday 23:00"),
        (5 * day + 3 * 60, ProfileKind::Day, "Saturday 03:00, the night from Friday"),
        (3 * day + 23 * 60, ProfileKind::Night, "Thursday 23:00"),
        (4 * day + 3 * 60, ProfileKind::Night, "Friday 03:00, the night from Thursday"),
        (6 * day + 23 * 60, ProfileKind::Night, "Sunday 23:00"),
        (2 * day + 12 * 60, ProfileKind::Day, "Wednesday noon"),
    ];
    for (minute, kind, what) in cases {
        assert_eq!(config.profile_at(t(minute)).1, kind, "{what}");
    }
    // A window that starts after midnight belongs to the evening before: 01:00–06:00 on Friday nights only is
    // Saturday's early hours.
    if let Some(night) = config.night.as_mut() {
        (night.starts_min, night.ends_min, night.days) = (60, 6 * 60, 1 << 4);
    }
    assert_eq!(config.profile_at(t(5 * day + 2 * 60)).1, ProfileKind::Night, "Saturday 02:00, Friday night");
    assert_eq!(config.profile_at(t(4 * day + 2 * 60)).1, ProfileKind::Day, "Friday 02:00, Thursday night");
    // An afternoon window (a nap, 13:00–15:00) is its own day's.
    if let Some(night) = config.night.as_mut() {
        (night.starts_min, night.ends_min, night.days) = (13 * 60, 15 * 60, 1 << 4);
    }
    assert_eq!(config.profile_at(t(4 * day + 14 * 60)).1, ProfileKind::Night, "Friday 14:00");
}

#[test]
fn a_silent_night_keeps_urgent_alarms_loud() {
    let config = AlarmConfig { night: night_config(200, Volume::Silent).night, ..AlarmConfig::default() };
    // Night from 22:00: a low at 23:00, an urgent low at 23:30.
    let curve = |m| {
        Some(if m < 23 * 60 {
            100
        } else if m < 23 * 60 + 30 {
            62
        } else {
            48
        })
    };
    let s = Scenario::new(config, 22 * 60..24 * 60, 1, curve).run(22 * 60..24 * 60, 1, no_action);
    let volumes: Vec<(AlarmKind, Volume)> =
        s.events.iter().filter_map(|e| e.alert()).map(|a| (a.kind, a.volume)).collect();
    assert_eq!(volumes.first(), Some(&(AlarmKind::Low, Volume::Silent)));
    assert!(volumes.contains(&(AlarmKind::UrgentLow, Volume::Loud)));
    assert!(volumes.iter().all(|(kind, volume)| (*kind == AlarmKind::UrgentLow) == (*volume == Volume::Loud)));
}

#[test]
fn each_notification_snoozes_for_the_chosen_length_within_what_its_alarm_allows() {
    let mut config = AlarmConfig::default();
    let lengths = |c: &AlarmConfig| {
        [AlarmKind::UrgentLow, AlarmKind::Low, AlarmKind::StaleData, AlarmKind::High].map(|k| c.snooze_min(k))
    };
    assert_eq!(lengths(&config), [5, 15, 15, 30]);
    config.snooze = Snoozes { urgent_low: 60, low: 45, other: 0 };
    assert_eq!(lengths(&config), [15, 45, 45, 1], "urgent low at most 15 minutes, nothing shorter than a minute");
}

#[test]
fn new_settings_are_written_only_when_set_so_earlier_builds_records_are_unchanged() {
    let mut config = night_config(200, Volume::Quiet);
    let before = wire::to_value(&config);
    for key in ["quiet_until", "snooze"] {
        assert!(before.get(key).is_none(), "{key}");
    }
    assert!(before.pointer("/night/days").is_none());
    config.quiet_until = Some(t(30));
    config.snooze.low = 30;
    if let Some(night) = config.night.as_mut() {
        night.days = SCHOOL_NIGHTS;
    }
    let written = wire::to_value(&config);
    assert_eq!(written.pointer("/night/days"), Some(&serde_json::json!(SCHOOL_NIGHTS)));
    assert_eq!(written.pointer("/snooze/low"), Some(&serde_json::json!(30)));
    assert_eq!(wire::from_value::<AlarmConfig>(&written), Some(config));
    assert_eq!(wire::from_value::<AlarmConfig>(&serde_json::json!({"day": {"high": 180, "low": 70, "urgent_high": 250, "urgent_low": 55, "volume": "Silent"}})).map(|c| c.day.volume), Some(Volume::Silent));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the glucose does: while quiet, nothing but an urgent alarm rings, and only one that has lasted ten
    /// minutes; an urgent low that lasts ten minutes and a step is always heard.
    #[test]
    fn quiet_lets_only_urgent_alarms_through_and_only_after_ten_minutes(
        values in proptest::collection::vec(30u16..=300, 120),
        quiet_end in 0i64..150,
        step_every in 1i64..6,
    ) {
        let config = quiet_until(quiet_end);
        let mut s = Scenario::new(config, 0..120, 1, |m| values.get(m as usize).copied());
        for m in (0..120).filter(|m| m % step_every == 0) {
            let before = s.events.len();
            s.step_at(m);
            let active = s.state.active();
            for alert in s.events.get(before..).unwrap_or_default().iter().filter_map(|e| e.alert()) {
                if m < quiet_end {
                    prop_assert_eq!(alert.level, Level::Urgent, "{:?} at {}", alert.kind, m);
                    // Counted from the earlier of its own episode and the milder alarm's (low for urgent low).
                    let milder = match alert.kind {
                        AlarmKind::UrgentLow => AlarmKind::Low,
                        AlarmKind::UrgentHigh => AlarmKind::High,
                        other => other,
                    };
                    let since = active.iter().filter(|a| a.kind == alert.kind || a.kind == milder).map(|a| a.since).min();
                    prop_assert!(since.is_some_and(|since| t(m).secs_since(since) >= QUIET_BREAK), "{:?} at {}", alert.kind, m);
                }
            }
        }
        // Every run of urgent lows that outlasts the break plus a step (inside the window) was heard.
        let mut run_start = None;
        for m in 0..120i64 {
            let low = values.get(m as usize).is_some_and(|&v| v < 55);
            run_start = if low { run_start.or(Some(m)) } else { None };
            if let Some(start) = run_start
                && m - start >= QUIET_BREAK / MINUTE + step_every
            {
                prop_assert!(s.fired_minutes(AlarmKind::UrgentLow).iter().any(|&f| f >= start && f <= m), "urgent low from {} unheard by {}", start, m);
            }
        }
    }
}
