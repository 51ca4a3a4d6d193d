//! The stored and sent JSON of a phone's settings and alarm state (the same as serde's derive would write).

use super::*;

impl Wire for Profile {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("urgent_low", self.urgent_low.to_wire()),
            ("low", self.low.to_wire()),
            ("high", self.high.to_wire()),
            ("urgent_high", self.urgent_high.to_wire()),
            ("volume", self.volume.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<Profile> {
        Some(Profile {
            urgent_low: wire::get(value, "urgent_low")?,
            low: wire::get(value, "low")?,
            high: wire::get(value, "high")?,
            urgent_high: wire::get(value, "urgent_high")?,
            volume: wire::get(value, "volume")?,
        })
    }
}

impl Wire for NightProfile {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("starts_min", self.starts_min.to_wire()),
            ("ends_min", self.ends_min.to_wire()),
            ("profile", self.profile.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<NightProfile> {
        Some(NightProfile {
            starts_min: wire::get(value, "starts_min")?,
            ends_min: wire::get(value, "ends_min")?,
            profile: wire::get(value, "profile")?,
        })
    }
}

/// Every field may be absent (the default's value), as with `#[serde(default)]`.
impl Wire for AlarmConfig {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("day", self.day.to_wire()),
            ("night", self.night.to_wire()),
            ("utc_offset_min", self.utc_offset_min.to_wire()),
            ("disabled", self.disabled.to_wire()),
            ("low_hysteresis", self.low_hysteresis.to_wire()),
            ("high_hysteresis", self.high_hysteresis.to_wire()),
            ("urgent_low_repeat_secs", self.urgent_low_repeat_secs.to_wire()),
            ("low_repeat_secs", self.low_repeat_secs.to_wire()),
            ("predicted_low_repeat_secs", self.predicted_low_repeat_secs.to_wire()),
            ("urgent_high_repeat_secs", self.urgent_high_repeat_secs.to_wire()),
            ("stale_repeat_secs", self.stale_repeat_secs.to_wire()),
            ("fast_rate", self.fast_rate.to_wire()),
            ("predicted_low_minutes", self.predicted_low_minutes.to_wire()),
            ("persistent_high_after_secs", self.persistent_high_after_secs.to_wire()),
            ("persistent_high_every_secs", self.persistent_high_every_secs.to_wire()),
            ("not_coming_down_after_secs", self.not_coming_down_after_secs.to_wire()),
            ("not_coming_down_slope", self.not_coming_down_slope.to_wire()),
            ("rebound_fall", self.rebound_fall.to_wire()),
            ("rebound_rise", self.rebound_rise.to_wire()),
            ("stale_warning_secs", self.stale_warning_secs.to_wire()),
            ("stale_urgent_secs", self.stale_urgent_secs.to_wire()),
            ("sensor_ends_at", self.sensor_ends_at.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<AlarmConfig> {
        if !value.is_object() {
            return None;
        }
        let d = AlarmConfig::default();
        Some(AlarmConfig {
            day: wire::get_or(value, "day", d.day)?,
            night: wire::get_or(value, "night", d.night)?,
            utc_offset_min: wire::get_or(value, "utc_offset_min", d.utc_offset_min)?,
            disabled: wire::get_or(value, "disabled", d.disabled)?,
            low_hysteresis: wire::get_or(value, "low_hysteresis", d.low_hysteresis)?,
            high_hysteresis: wire::get_or(value, "high_hysteresis", d.high_hysteresis)?,
            urgent_low_repeat_secs: wire::get_or(value, "urgent_low_repeat_secs", d.urgent_low_repeat_secs)?,
            low_repeat_secs: wire::get_or(value, "low_repeat_secs", d.low_repeat_secs)?,
            predicted_low_repeat_secs: wire::get_or(value, "predicted_low_repeat_secs", d.predicted_low_repeat_secs)?,
            urgent_high_repeat_secs: wire::get_or(value, "urgent_high_repeat_secs", d.urgent_high_repeat_secs)?,
            stale_repeat_secs: wire::get_or(value, "stale_repeat_secs", d.stale_repeat_secs)?,
            fast_rate: wire::get_or(value, "fast_rate", d.fast_rate)?,
            predicted_low_minutes: wire::get_or(value, "predicted_low_minutes", d.predicted_low_minutes)?,
            persistent_high_after_secs: wire::get_or(
                value,
                "persistent_high_after_secs",
                d.persistent_high_after_secs,
            )?,
            persistent_high_every_secs: wire::get_or(
                value,
                "persistent_high_every_secs",
                d.persistent_high_every_secs,
            )?,
            not_coming_down_after_secs: wire::get_or(
                value,
                "not_coming_down_after_secs",
                d.not_coming_down_after_secs,
            )?,
            not_coming_down_slope: wire::get_or(value, "not_coming_down_slope", d.not_coming_down_slope)?,
            rebound_fall: wire::get_or(value, "rebound_fall", d.rebound_fall)?,
            rebound_rise: wire::get_or(value, "rebound_rise", d.rebound_rise)?,
            stale_warning_secs: wire::get_or(value, "stale_warning_secs", d.stale_warning_secs)?,
            stale_urgent_secs: wire::get_or(value, "stale_urgent_secs", d.stale_urgent_secs)?,
            sensor_ends_at: wire::get_or(value, "sensor_ends_at", d.sensor_ends_at)?,
        })
    }
}

impl Wire for KindState {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("active", self.active.to_wire()),
            ("since", self.since.to_wire()),
            ("fired", self.fired.to_wire()),
            ("sent", self.sent.to_wire()),
            ("last_level", self.last_level.to_wire()),
            ("last_fired", self.last_fired.to_wire()),
            ("acked_at", self.acked_at.to_wire()),
            ("snoozed_until", self.snoozed_until.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<KindState> {
        Some(KindState {
            active: wire::get(value, "active")?,
            since: wire::get(value, "since")?,
            fired: wire::get(value, "fired")?,
            sent: wire::get(value, "sent")?,
            last_level: wire::get(value, "last_level")?,
            last_fired: wire::get(value, "last_fired")?,
            acked_at: wire::get(value, "acked_at")?,
            snoozed_until: wire::get(value, "snoozed_until")?,
        })
    }
}

impl Wire for Excursion {
    fn to_wire(&self) -> Value {
        match self {
            Excursion::Rising { peak } => wire::variant("Rising", Some(wire::object(vec![("peak", peak.to_wire())]))),
            Excursion::Falling { trough } => {
                wire::variant("Falling", Some(wire::object(vec![("trough", trough.to_wire())])))
            }
            Excursion::Rebounded => wire::variant("Rebounded", None),
        }
    }

    fn from_wire(value: &Value) -> Option<Excursion> {
        match wire::read_variant(value)? {
            ("Rising", content) => Some(Excursion::Rising { peak: wire::get(content, "peak")? }),
            ("Falling", content) => Some(Excursion::Falling { trough: wire::get(content, "trough")? }),
            ("Rebounded", Value::Null) => Some(Excursion::Rebounded),
            _ => None,
        }
    }
}

/// Every field may be absent, as with `#[serde(default)]`; the kinds are an object keyed by kind name.
impl Wire for AlarmState {
    fn to_wire(&self) -> Value {
        let mut kinds = wire::Map::new();
        for (kind, state) in &self.kinds {
            kinds.insert(kind_name(*kind), state.to_wire());
        }
        wire::object(vec![
            ("kinds", Value::Object(kinds)),
            ("excursion", self.excursion.to_wire()),
            ("excursion_seen", self.excursion_seen.to_wire()),
            ("last_step", self.last_step.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<AlarmState> {
        if !value.is_object() {
            return None;
        }
        let mut kinds = BTreeMap::new();
        if let Some(stored) = value.get("kinds") {
            for (name, state) in stored.as_object()? {
                kinds.insert(AlarmKind::from_wire(&Value::from(name.as_str()))?, KindState::from_wire(state)?);
            }
        }
        Some(AlarmState {
            kinds,
            excursion: wire::get_or(value, "excursion", Excursion::default())?,
            excursion_seen: wire::get_or(value, "excursion_seen", None)?,
            last_step: wire::get_or(value, "last_step", None)?,
        })
    }
}

/// An alarm kind's name (`UrgentLow`).
fn kind_name(kind: AlarmKind) -> String {
    kind.to_wire().as_str().unwrap_or_default().to_owned()
}
