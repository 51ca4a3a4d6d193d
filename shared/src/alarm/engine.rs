//! One step's work: each rule evaluated on the recent readings, hysteresis, repeats and snoozes applied.

use super::*;

/// The inputs of one step, with what is computed once from them.
pub(super) struct Engine<'a> {
    pub(super) now: UtcTime,
    pub(super) config: &'a AlarmConfig,
    pub(super) profile: &'a Profile,
    pub(super) profile_kind: ProfileKind,
    /// Readings of the last [`LOOKBACK`] up to `now` (+ skew).
    pub(super) recent: &'a [Reading],
    pub(super) newest: Option<&'a Reading>,
    /// The newest reading is young enough for glucose alarms.
    pub(super) glucose_ok: bool,
}

impl<'a> Engine<'a> {
    pub(super) fn new(now: UtcTime, readings: &'a [Reading], config: &'a AlarmConfig) -> Self {
        let end = readings.partition_point(|r| r.at <= now + CLOCK_SKEW);
        let start = readings.partition_point(|r| r.at < now - LOOKBACK).min(end);
        let recent = readings.get(start..end).unwrap_or_default();
        let newest = recent.last();
        let glucose_ok = newest.is_some_and(|r| now.secs_since(r.at) <= ALARM_MAX_AGE);
        let (profile, profile_kind) = config.profile_at(now);
        Engine { now, config, profile, profile_kind, recent, newest, glucose_ok }
    }

    pub(super) fn run(&self, state: &mut AlarmState) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        self.track_excursion(state);
        // Whether urgent low and urgent high are past their thresholds now (`ALL` has each before the alarm it
        // covers). Only then do they silence low and high: an urgent low episode held open by its hysteresis
        // (55–59 mg/dL after 50) does not repeat, so low, which still holds, must be heard.
        let (mut urgent_low_on, mut urgent_high_on) = (false, false);
        for kind in AlarmKind::ALL {
            let cond = if !self.config.is_enabled(kind) {
                Cond::Off
            } else if kind.is_glucose() && !self.glucose_ok {
                Cond::Frozen
            } else {
                self.evaluate(kind, state)
            };
            let on = matches!(cond, Cond::On { .. });
            match kind {
                AlarmKind::UrgentLow => urgent_low_on = on,
                AlarmKind::UrgentHigh => urgent_high_on = on,
                _ => {}
            }
            let silenced = match kind {
                AlarmKind::Low => urgent_low_on,
                AlarmKind::High => urgent_high_on,
                _ => false,
            };
            // An urgent alarm's quiet-window break counts from when the glucose first crossed the milder line: its
            // own episode restarts each time the value wobbles past its hysteresis (52, 61, 53 …), the milder one's
            // does not, so a wobbling urgent low still breaks through after ten minutes.
            let milder = match kind {
                AlarmKind::UrgentLow => Some(AlarmKind::Low),
                AlarmKind::UrgentHigh => Some(AlarmKind::High),
                _ => None,
            };
            let milder_since = milder.and_then(|m| state.kinds.get(&m)).filter(|k| k.active).and_then(|k| k.since);
            let entry = state.kinds.entry(kind).or_default();
            self.drive(kind, entry, cond, self.repeat(kind), (silenced, milder_since), &mut events);
        }
        // Drop expired snoozes and untouched entries so the stored state stays small.
        for k in state.kinds.values_mut() {
            if k.snoozed_until.is_some_and(|until| until <= self.now) {
                k.snoozed_until = None;
            }
        }
        state.kinds.retain(|_, k| *k != KindState::default());
        state.last_step = Some(self.now);
        events
    }

    pub(super) fn repeat(&self, kind: AlarmKind) -> Repeat {
        let c = self.config;
        let every = |secs: i64| Repeat::Every(secs.max(MIN_REPEAT));
        match kind {
            AlarmKind::UrgentLow => Repeat::Every(c.urgent_low_repeat_secs.clamp(MIN_REPEAT, URGENT_LOW_MAX_MUTE)),
            AlarmKind::Low => every(c.low_repeat_secs),
            AlarmKind::PredictedLow => every(c.predicted_low_repeat_secs),
            AlarmKind::UrgentHigh => every(c.urgent_high_repeat_secs),
            AlarmKind::StaleData => every(c.stale_repeat_secs),
            AlarmKind::PersistentHigh => Repeat::Anchored {
                first: c.persistent_high_after_secs.max(0),
                every: c.persistent_high_every_secs.max(MIN_REPEAT),
            },
            AlarmKind::High
            | AlarmKind::NotComingDown
            | AlarmKind::Rebound
            | AlarmKind::RisingFast
            | AlarmKind::FallingFast
            | AlarmKind::SensorEndsInADay
            | AlarmKind::SensorEndsSoon => Repeat::Once,
        }
    }

    /// Applies one rule's condition to its state: opens, fires, repeats, closes.
    pub(super) fn drive(
        &self,
        kind: AlarmKind,
        k: &mut KindState,
        cond: Cond,
        repeat: Repeat,
        (silenced, milder_since): (bool, Option<UtcTime>),
        out: &mut Vec<AlarmEvent>,
    ) {
        let now = self.now;
        let (value, since, level) = match cond {
            Cond::Frozen | Cond::Hold => return,
            Cond::Off => {
                if k.active && k.sent > 0 {
                    out.push(AlarmEvent::Cleared { kind, at: now });
                }
                if k.active {
                    k.close();
                }
                return;
            }
            Cond::On { value, since, level } => (value, since, level),
        };
        if !k.active {
            k.close();
            k.active = true;
            k.since = Some(since);
        }
        if k.last_fired.is_some_and(|t| now <= t) || k.muted(kind, now) {
            return;
        }
        let escalated = k.fired > 0 && k.last_level.is_some_and(|l| level > l);
        let (due, repeat_no, slots) = match repeat {
            Repeat::Once => (k.fired == 0, k.fired, k.fired + 1),
            Repeat::Every(interval) => {
                let due = k.fired == 0 || k.last_fired.is_none_or(|t| now.secs_since(t) >= interval);
                (due, k.fired, k.fired + 1)
            }
            Repeat::Anchored { first, every } => {
                // From the episode's start: a signal gap (which holds the episode open) restarts the run of
                // readings the condition sees, but not the count of alerts already sent.
                let start = k.since.map_or(since, |opened| opened.min(since));
                let elapsed = now.secs_since(start) - first;
                let passed = if elapsed < 0 { 0 } else { u32::try_from(elapsed / every + 1).unwrap_or(u32::MAX) };
                (passed > k.fired, passed.saturating_sub(1), passed.max(k.fired + 1))
            }
        };
        if !due && !escalated {
            return;
        }
        // A quiet window holds the alarm back (nothing is used up, so it fires the moment the window lets it).
        let opened = match (k.since, milder_since) {
            (Some(own), Some(milder)) => Some(own.min(milder)),
            (own, milder) => own.or(milder),
        };
        let held = level < Level::Urgent || opened.is_none_or(|opened| now.secs_since(opened) < QUIET_BREAK);
        if self.config.quiet_at(now) && held {
            return;
        }
        k.fired = slots;
        k.last_fired = Some(now);
        k.last_level = Some(level);
        if silenced {
            return;
        }
        k.sent += 1;
        let volume = if level == Level::Urgent { Volume::Loud } else { self.profile.volume };
        out.push(AlarmEvent::Fired(Alert {
            kind,
            level,
            at: now,
            value,
            repeat: repeat_no,
            volume,
            profile: self.profile_kind,
        }));
    }

    /// Feeds the readings not seen yet to the rebound tracker.
    pub(super) fn track_excursion(&self, state: &mut AlarmState) {
        let floor = self.now - EXCURSION_REPLAY;
        let start = match state.excursion_seen {
            Some(seen) if seen >= floor => self.recent.partition_point(|r| r.at <= seen),
            _ => self.recent.partition_point(|r| r.at < floor),
        };
        for r in self.recent.get(start..).unwrap_or_default() {
            state.excursion = state.excursion.advance(MgDl::round(r.value()), self.profile.high, self.config);
            state.excursion_seen = Some(r.at);
        }
    }

    pub(super) fn evaluate(&self, kind: AlarmKind, state: &AlarmState) -> Cond {
        let now = self.now;
        match kind {
            AlarmKind::StaleData => self.stale(),
            AlarmKind::SensorEndsInADay => self.sensor_notice(SENSOR_NOTICE_DAY, SENSOR_NOTICE_SOON, Level::Info),
            AlarmKind::SensorEndsSoon => self.sensor_notice(SENSOR_NOTICE_SOON, 0, Level::Warning),
            _ => {
                let Some(newest) = self.newest else { return Cond::Frozen };
                let v = newest.value();
                let value = Some(newest.mgdl);
                let on = |level| Cond::On { value, since: newest.at, level };
                let p = self.profile;
                let low_hyst = self.config.low_hysteresis.as_f64();
                let high_hyst = self.config.high_hysteresis.as_f64();
                let below = |threshold: MgDl, level| {
                    if v < threshold.as_f64() {
                        on(level)
                    } else if v >= threshold.as_f64() + low_hyst {
                        Cond::Off
                    } else {
                        Cond::Hold
                    }
                };
                let above = |threshold: MgDl, level| {
                    if v > threshold.as_f64() {
                        on(level)
                    } else if v <= threshold.as_f64() - high_hyst {
                        Cond::Off
                    } else {
                        Cond::Hold
                    }
                };
                match kind {
                    AlarmKind::UrgentLow => below(p.urgent_low, Level::Urgent),
                    AlarmKind::Low => below(p.low, Level::Warning),
                    AlarmKind::UrgentHigh => above(p.urgent_high, Level::Urgent),
                    AlarmKind::High => above(p.high, Level::Warning),
                    AlarmKind::PredictedLow => self.predicted_low(v, value, newest.at),
                    AlarmKind::PersistentHigh => match self.high_since() {
                        Some(since) => Cond::On { value, since, level: Level::Warning },
                        None => Cond::Off,
                    },
                    AlarmKind::NotComingDown => self.not_coming_down(value),
                    AlarmKind::Rebound => match state.excursion {
                        Excursion::Rebounded => Cond::On { value, since: now, level: Level::Info },
                        _ => Cond::Off,
                    },
                    AlarmKind::RisingFast => self.fast(value, 1.0),
                    AlarmKind::FallingFast => self.fast(value, -1.0),
                    AlarmKind::StaleData | AlarmKind::SensorEndsInADay | AlarmKind::SensorEndsSoon => Cond::Frozen,
                }
            }
        }
    }

    pub(super) fn stale(&self) -> Cond {
        let Some(newest) = self.newest else { return Cond::Frozen };
        let age = self.now.secs_since(newest.at);
        if age < self.config.stale_warning_secs {
            return Cond::Off;
        }
        let level = if age >= self.config.stale_urgent_secs { Level::Urgent } else { Level::Warning };
        Cond::On { value: None, since: newest.at + self.config.stale_warning_secs, level }
    }

    /// On while the sensor's end is at most `from` and more than `to` seconds away.
    pub(super) fn sensor_notice(&self, from: i64, to: i64, level: Level) -> Cond {
        let Some(ends) = self.config.sensor_ends_at else { return Cond::Off };
        let left = ends.secs_since(self.now);
        if left <= from && left > to { Cond::On { value: None, since: ends - from, level } } else { Cond::Off }
    }

    pub(super) fn predicted_low(&self, v: f64, value: Option<MgDl>, at: UtcTime) -> Cond {
        let low = self.profile.low.as_f64();
        if v < low {
            return Cond::Off;
        }
        let Some(predicted) = forecast::ar2(self.recent).and_then(|f| f.at_minutes(self.config.predicted_low_minutes))
        else {
            return Cond::Hold;
        };
        let predicted = f64::from(predicted);
        if predicted < low {
            Cond::On { value, since: at, level: Level::Warning }
        } else if predicted >= low + self.config.low_hysteresis.as_f64() {
            Cond::Off
        } else {
            Cond::Hold
        }
    }

    /// When the current high episode began: the first reading above `high` in the run of readings (no gap over
    /// [`RUN_MAX_GAP`]) that ends at the newest and stays above `high − hysteresis`. `None` outside an episode.
    pub(super) fn high_since(&self) -> Option<UtcTime> {
        let high = self.profile.high.as_f64();
        let keep = high - self.config.high_hysteresis.as_f64();
        let mut first = self.recent.len();
        let mut later: Option<UtcTime> = None;
        for (i, r) in self.recent.iter().enumerate().rev() {
            let gap_ok = later.is_none_or(|t| t.secs_since(r.at) <= RUN_MAX_GAP);
            if r.value() <= keep || !gap_ok {
                break;
            }
            first = i;
            later = Some(r.at);
        }
        self.recent.get(first..)?.iter().find(|r| r.value() > high).map(|r| r.at)
    }

    /// Mean of the 15-minute least-squares slopes of the last 15 minutes and the 15 before (mg/dL/min).
    pub(super) fn slope_30(&self) -> Option<f64> {
        let newest = self.newest?.at;
        let last = rate_of_change(self.recent)?;
        let end = self.recent.partition_point(|r| r.at <= newest - 15 * MINUTE);
        match self.recent.get(..end).and_then(rate_of_change) {
            Some(before) => Some((last + before) / 2.0),
            None => Some(last),
        }
    }

    pub(super) fn not_coming_down(&self, value: Option<MgDl>) -> Cond {
        let Some(high_since) = self.high_since() else { return Cond::Off };
        // The rise began at the lowest reading in the 2 hours before the value crossed the high line.
        let from = self.recent.partition_point(|r| r.at < high_since - 2 * HOUR);
        let to = self.recent.partition_point(|r| r.at <= high_since);
        // Of equal lows, the latest (`rev` + `min_by`, which keeps the first minimum it meets).
        let rise_start = self
            .recent
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .rev()
            .min_by(|a, b| a.value().total_cmp(&b.value()))
            .map_or(high_since, |r| r.at);
        let old_enough = self.now.secs_since(rise_start) >= self.config.not_coming_down_after_secs;
        let flat = self.slope_30().is_some_and(|s| s > self.config.not_coming_down_slope);
        if old_enough && flat { Cond::On { value, since: rise_start, level: Level::Info } } else { Cond::Hold }
    }

    /// Rising (`sign` 1) or falling (`sign` −1) fast: the 15-minute least-squares rate has been beyond the
    /// threshold at the newest reading and at the readings 5, 10 and 15 minutes before it (sustained for 15
    /// minutes). The episode ends when the rate at the newest reading is [`RATE_HYSTERESIS`] below the threshold.
    pub(super) fn fast(&self, value: Option<MgDl>, sign: f64) -> Cond {
        let Some(newest) = self.newest else { return Cond::Hold };
        let rate_at = |back: i64| {
            let end = self.recent.partition_point(|r| r.at <= newest.at - back);
            let upto = self.recent.get(..end)?;
            // The reading that stands for "back minutes ago" must be close to it, or the data have a gap.
            let last = upto.last()?;
            (newest.at.secs_since(last.at) <= back + 2 * MINUTE)
                .then(|| rate_of_change(upto))
                .flatten()
                .map(|r| r * sign)
        };
        let Some(rate) = rate_at(0) else { return Cond::Hold };
        let threshold = self.config.fast_rate;
        let sustained = SUSTAINED_OFFSETS.iter().all(|&back| rate_at(back).is_some_and(|r| r > threshold));
        let level = if sign < 0.0 { Level::Warning } else { Level::Info };
        if sustained {
            Cond::On { value, since: newest.at, level }
        } else if rate < threshold - RATE_HYSTERESIS {
            Cond::Off
        } else {
            Cond::Hold
        }
    }
}
