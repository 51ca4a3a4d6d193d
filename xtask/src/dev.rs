//! `cargo xtask dev`: build what exists and show it. Today that is the `shared` domain only, so it shows the demo
//! patient in the terminal, computed by the same code the app and the worker will use, and says plainly that
//! nothing is served on http://127.0.0.1:8787 until the worker and the app exist.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared::alarm::{self, AlarmConfig, AlarmEvent, AlarmState};
use shared::reading::{Series, format_age};
use shared::sensor::Sensor;
use shared::simulate::{self, Patient};
use shared::time::{DAY, MINUTE, UtcTime};
use shared::units::GlucoseUnit;
use shared::{forecast, stats, trend};

use crate::Result;

/// Runs the dev task: once, or every minute with `--watch`.
pub fn dev(args: &[String]) -> Result<()> {
    let watch = args.iter().any(|a| a == "--watch");
    println!("Tidewatch dev");
    println!("  built today: `shared`, the glucose domain (LLU parsing, trend, forecast, statistics, alarms).");
    println!("  not built yet: the worker (proxy/) and the app (app/): nothing is served on http://127.0.0.1:8787.");
    println!("  Until then, here is the demo patient, computed by `shared` as the app will compute it.\n");
    let mut state = AlarmState::default();
    loop {
        state = show(now(), state);
        if !watch {
            println!("\n(`cargo xtask dev --watch` refreshes every minute)");
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// The clock, read here and only here: `shared` takes `now` as a parameter.
fn now() -> UtcTime {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UtcTime::from_unix_secs(i64::try_from(secs).unwrap_or(0))
}

/// Prints the glance, the forecast, 24-hour statistics, the sensor and the alarms; returns the next alarm state.
fn show(now: UtcTime, state: AlarmState) -> AlarmState {
    let patient = Patient::demo();
    let mut series = Series::from_readings(simulate::readings(&patient, now - DAY, now));
    series.merge(simulate::current(&patient, now));
    let readings = series.as_slice();
    let Some(newest) = series.newest() else {
        println!("{now}: no readings");
        return state;
    };
    let age = now.secs_since(newest.at);
    let direction = newest.arrow.unwrap_or_else(|| trend::direction(readings));
    let delta = trend::delta(readings).map_or("no delta".to_string(), |d| {
        let mark = if d.interpolated { " (interpolated)" } else { "" };
        format!("{} per 5 min{mark}", GlucoseUnit::MgDl.format_delta(d.per_5_min))
    });
    println!(
        "{now}  {} {}: {} mg/dL ({} mmol/L) {} {}, {delta}, {} [{:?}]",
        patient.first_name,
        patient.last_name,
        newest.display(GlucoseUnit::MgDl),
        newest.display(GlucoseUnit::MmolL),
        direction.symbol(),
        direction.label(),
        format_age(age),
        series.freshness_at(now),
    );
    if let Some(f) = forecast::ar2(readings) {
        let at30 = f.points.get(5);
        if let Some(p) = at30 {
            println!("  forecast in 30 min: {} mg/dL (cone {}–{})", p.mgdl, p.low, p.high);
        }
    }
    if let Some(s) = stats::summarize(readings, now - DAY, now + MINUTE) {
        println!(
            "  last 24 h: {:.0} % in range, {:.0} % below, {:.0} % above; mean {:.0} mg/dL, GMI {:.1} %, CV {:.0} %, coverage {:.0} %",
            s.bands.in_range * 100.0,
            s.bands.below_range() * 100.0,
            s.bands.above_range() * 100.0,
            s.mean,
            s.gmi_percent,
            s.cv,
            s.coverage * 100.0
        );
    }
    let activation = patient.sensor_activation(now).unix_secs();
    if let Ok(sensor) = Sensor::from_llu(activation, Some(60), Some(patient.sensor_model.device_type_id())) {
        let status = sensor.status(now);
        let assumption = status.assumption_text().map(|a| format!(" ({a})")).unwrap_or_default();
        println!("  sensor: {}, {}, {}{assumption}", status.model.label(), status.day_text(), status.summary(now));
    }
    let (events, next) = alarm::step(now, readings, &AlarmConfig::default(), &state);
    for event in &events {
        match event {
            AlarmEvent::Fired(alert) => {
                println!("  ALARM {:?}: {} (repeat {})", alert.level, alert.kind.label(), alert.repeat)
            }
            AlarmEvent::Cleared { kind, .. } => println!("  cleared: {}", kind.label()),
        }
    }
    if next.active().is_empty() {
        println!("  alarms: none active");
    }
    next
}
