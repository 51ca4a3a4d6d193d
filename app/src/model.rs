//! What the screen shows, derived from LibreLinkUp answers and the device's history with `shared`. Pure: no DOM,
//! no clock (`now` is a parameter), so it is tested natively and the components only render its output.

use serde::{Deserialize, Serialize};
use shared::forecast::{self, Forecast, ForecastPoint};
pub use shared::glance::{Glance, Tone, glance};
use shared::llu::wire::{Connection, GraphData};
use shared::reading::{Freshness, Reading, Series};
use shared::sensor::{Sensor, SensorStatus};
use shared::time::{DAY, HOUR, MINUTE, UtcTime};
use shared::units::MgDl;

/// How long the device keeps readings (LibreLinkUp itself serves 12 hours).
pub const HISTORY_KEEP: i64 = 14 * DAY;

/// Two readings further apart than this are drawn with a gap between them, never joined.
pub const GAP_AFTER: i64 = 15 * MINUTE;

/// The graph's time windows, hours.
pub const WINDOWS_HOURS: [i64; 4] = [3, 6, 12, 24];

/// One followed person, as the picker lists them.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PatientRef {
    /// LLU's `patientId`.
    pub id: String,
    /// First and last name as LLU has them.
    pub name: String,
}

impl PatientRef {
    /// The picker entry of a connection.
    pub fn of(connection: &Connection) -> PatientRef {
        let name = shared::llu::display_name(&connection.first_name, &connection.last_name);
        PatientRef { id: connection.patient_id.clone(), name }
    }
}

/// One patient's data as the app keeps it: the connection (targets, sensor, alarm rules) and every reading known
/// on this device for them.
#[derive(Clone, PartialEq, Debug)]
pub struct PatientData {
    /// Who.
    pub patient: PatientRef,
    /// The connection from the newest answer.
    pub connection: Connection,
    /// Readings from the device's history merged with the newest graph and current value.
    pub series: Series,
    /// Items LLU sent that could not become readings (shown as a count, never silently dropped).
    pub rejected: usize,
}

impl PatientData {
    /// Merges a graph answer into `history` (dropping what is older than [`HISTORY_KEEP`] before `now`).
    pub fn from_graph(graph: &GraphData, mut history: Series, now: UtcTime) -> PatientData {
        let converted = graph.readings();
        history.merge(converted.series.as_slice().iter().copied());
        history.retain_since(now - HISTORY_KEEP);
        PatientData {
            patient: PatientRef::of(&graph.connection),
            connection: graph.connection.clone(),
            series: history,
            rejected: converted.rejected.len(),
        }
    }

    /// The patient's target range from LLU (`targetLow`/`targetHigh`), or 70–180 mg/dL.
    pub fn targets(&self) -> (MgDl, MgDl) {
        let get = |n: &serde_json::Number, fallback: u16| {
            n.as_f64().filter(|v| (40.0..=400.0).contains(v)).map_or(MgDl::new(fallback), MgDl::round)
        };
        (get(&self.connection.target_low, 70), get(&self.connection.target_high, 180))
    }

    /// The sensor's state at `now`, when LLU reports one.
    pub fn sensor_status(&self, now: UtcTime) -> Option<SensorStatus> {
        let sensor = self.connection.sensor.as_ref()?;
        let warmup = sensor.warmup_minutes.and_then(|w| u32::try_from(w).ok());
        let dtid = self.connection.patient_device.as_ref().and_then(|d| d.dtid).and_then(|d| u32::try_from(d).ok());
        Sensor::from_llu(sensor.activated, warmup, dtid).ok().map(|s| s.status(now))
    }
}

/// The graph's coordinate system: a time window on x, mg/dL on y, in SVG user units.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Scale {
    /// Left edge.
    pub from: UtcTime,
    /// Right edge (now plus room for the forecast).
    pub to: UtcTime,
    /// The value at the bottom edge, mg/dL.
    pub low: f64,
    /// The value at the top edge, mg/dL.
    pub high: f64,
    /// Width in SVG units.
    pub width: f64,
    /// Height in SVG units.
    pub height: f64,
}

impl Scale {
    /// The graph's standard size: 360 × 200 units.
    pub const WIDTH: f64 = 360.0;
    /// See [`Scale::WIDTH`].
    pub const HEIGHT: f64 = 200.0;

    /// A window of `hours` ending `ahead_min` minutes after `now`, tall enough for `series` (40 mg/dL to at
    /// least 300, more when a value is higher).
    pub fn new(now: UtcTime, hours: i64, ahead_min: i64, series: &[Reading]) -> Scale {
        let top = series.iter().map(Reading::value).fold(300.0_f64, f64::max).min(500.0);
        Scale {
            from: now - hours * HOUR,
            to: now + ahead_min * MINUTE,
            low: 40.0,
            high: (top / 50.0).ceil() * 50.0,
            width: Self::WIDTH,
            height: Self::HEIGHT,
        }
    }

    /// x of an instant.
    pub fn x(&self, at: UtcTime) -> f64 {
        let span = self.to.secs_since(self.from).max(1) as f64;
        at.secs_since(self.from) as f64 / span * self.width
    }

    /// y of a value (clamped to the drawing).
    pub fn y(&self, mgdl: f64) -> f64 {
        let clamped = mgdl.clamp(self.low, self.high);
        self.height - (clamped - self.low) / (self.high - self.low) * self.height
    }

    /// The instant at x (for the read-out under a finger).
    pub fn at(&self, x: f64) -> UtcTime {
        let span = self.to.secs_since(self.from) as f64;
        self.from + (x / self.width * span).round() as i64
    }
}

/// The SVG path of `readings` on `scale`: one `M` per run, a new run after every gap longer than [`GAP_AFTER`], so
/// missing data is drawn as missing. Coordinates have one decimal.
pub fn glucose_path(readings: &[Reading], scale: &Scale) -> String {
    let mut path = String::new();
    let mut previous: Option<UtcTime> = None;
    let mut run_len = 0;
    for reading in readings.iter().filter(|r| r.at >= scale.from && r.at <= scale.to) {
        let joined = previous.is_some_and(|p| reading.at.secs_since(p) <= GAP_AFTER);
        if !joined && run_len == 1 {
            path.push_str(" h0");
        }
        if !path.is_empty() {
            path.push(' ');
        }
        let command = if joined { 'L' } else { 'M' };
        path.push_str(&format!("{command}{:.1},{:.1}", scale.x(reading.at), scale.y(reading.value())));
        run_len = if joined { run_len + 1 } else { 1 };
        previous = Some(reading.at);
    }
    if run_len == 1 {
        // A reading alone between gaps: a zero-length segment, drawn as a dot by the round line cap.
        path.push_str(" h0");
    }
    path
}

/// The newest reading and its AR2 forecast, only while that reading is current: a forecast from stale data would
/// look like data.
pub fn forecast_now(series: &Series, now: UtcTime) -> Option<(Reading, Forecast)> {
    if series.freshness_at(now) != Freshness::Current {
        return None;
    }
    let newest = *series.newest()?;
    let forecast = forecast::ar2(series.since(newest.at - 25 * MINUTE))?;
    Some((newest, forecast))
}

/// Wall-clock ticks along the bottom of the graph (every 30 min for 3 h, 1 h for 6 h, 2 h for 12 h, 4 h for
/// 24 h), in the device's local time: `(x, "14:00")`.
pub fn hour_ticks(scale: &Scale, hours: i64, offset_min: i32) -> Vec<(f64, String)> {
    let step = match hours {
        3 => HOUR / 2,
        6 => HOUR,
        12 => 2 * HOUR,
        _ => 4 * HOUR,
    };
    let offset = i64::from(offset_min) * MINUTE;
    let first = ((scale.from.unix_secs() + offset).div_euclid(step) + 1) * step - offset;
    (0..)
        .map(|i| UtcTime::from_unix_secs(first + i * step))
        .take_while(|t| *t <= scale.to)
        .map(|t| (scale.x(t), clock(t, offset_min)))
        .collect()
}

/// The forecast cone as SVG polygon points (upper edge forward, lower edge back), for the points up to `until`.
/// Empty when the forecast does not start inside the drawing.
pub fn cone_points(forecast: &Forecast, scale: &Scale, until: UtcTime) -> String {
    let shown: Vec<&ForecastPoint> = forecast.points.iter().filter(|p| p.at <= until).collect();
    if shown.len() < 2 {
        return String::new();
    }
    let upper = shown.iter().map(|p| (p.at, p.high));
    let lower = shown.iter().rev().map(|p| (p.at, p.low));
    upper
        .chain(lower)
        .map(|(at, v)| format!("{:.1},{:.1}", scale.x(at), scale.y(f64::from(v))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The forecast's centre line from the newest reading, as an SVG path.
pub fn forecast_path(newest: &Reading, forecast: &Forecast, scale: &Scale, until: UtcTime) -> String {
    let mut path = format!("M{:.1},{:.1}", scale.x(newest.at), scale.y(newest.value()));
    for p in forecast.points.iter().filter(|p| p.at <= until) {
        path.push_str(&format!(" L{:.1},{:.1}", scale.x(p.at), scale.y(f64::from(p.mgdl))));
    }
    path
}

/// The reading nearest to `at` within 10 minutes, for the tap/hover read-out.
pub fn nearest(readings: &[Reading], at: UtcTime) -> Option<&Reading> {
    readings.iter().filter(|r| r.at.secs_since(at).abs() <= 10 * MINUTE).min_by_key(|r| r.at.secs_since(at).abs())
}

/// The day of `at` as "21 Nov 2026" on a clock `offset_min` minutes from UTC.
pub fn date(at: UtcTime, offset_min: i32) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let civil = (at + i64::from(offset_min) * MINUTE).civil();
    let month = MONTHS.get(usize::from(civil.month.saturating_sub(1))).copied().unwrap_or("");
    format!("{} {month} {}", civil.day, civil.year)
}

/// `at` as the follower's wall-clock time "14:05", `offset_min` being this device's UTC offset.
pub fn clock(at: UtcTime, offset_min: i32) -> String {
    at.wall_clock(offset_min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_on_the_followers_clock() {
        let at = UtcTime::from_unix_secs(1_798_761_600); // 2027-01-01T00:00:00Z
        assert_eq!(date(at, 0), "1 Jan 2027");
        assert_eq!(date(at, -60), "31 Dec 2026");
    }
    use shared::units::MgDl;

    fn at(min: i64) -> UtcTime {
        UtcTime::from_unix_secs(1_700_000_000 + min * MINUTE)
    }

    fn series(points: &[(i64, u16)]) -> Series {
        Series::from_readings(points.iter().map(|&(m, v)| Reading::new(at(m), MgDl::new(v))))
    }

    #[test]
    fn a_gap_starts_a_new_run_in_the_path() {
        let s = series(&[(0, 100), (5, 120), (40, 140), (60, 90), (65, 80)]);
        let scale = Scale { from: at(0), to: at(60), low: 40.0, high: 240.0, width: 360.0, height: 200.0 };
        assert_eq!(glucose_path(s.as_slice(), &scale), "M0.0,140.0 L30.0,120.0 M240.0,100.0 h0 M360.0,150.0 h0");
    }

    #[test]
    fn scale_round_trips_and_clamps() {
        let scale = Scale::new(at(0), 3, 30, &[]);
        assert_eq!(scale.high, 300.0);
        assert_eq!(scale.at(scale.x(at(-60))), at(-60));
        assert_eq!(scale.y(20.0), scale.height);
        assert_eq!(scale.y(900.0), 0.0);
    }

    #[test]
    fn ticks_fall_on_local_whole_hours() {
        // 10:20 UTC now, 6 h window, device at UTC+1: ticks at 05:00 … 11:00 local.
        let now = UtcTime::from_unix_secs(10 * HOUR + 20 * MINUTE);
        let scale = Scale::new(now, 6, 30, &[]);
        let labels: Vec<String> = hour_ticks(&scale, 6, 60).into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["06:00", "07:00", "08:00", "09:00", "10:00", "11:00"]);
    }

    #[test]
    fn no_forecast_from_a_value_that_is_not_current() {
        let s = series(&[(0, 100), (5, 110)]);
        assert!(forecast_now(&s, at(5)).is_some());
        assert!(forecast_now(&s, at(11)).is_none());
    }

    #[test]
    fn clock_uses_the_device_offset() {
        let t = UtcTime::from_unix_secs(0);
        assert_eq!(clock(t, 0), "00:00");
        assert_eq!(clock(t, 90), "01:30");
        assert_eq!(clock(t, -60), "23:00");
    }
}
