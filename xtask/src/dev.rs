//! `cargo xtask dev`: builds the app and the worker (wrangler runs `cargo xtask build`) and serves them on http://127.0.0.1:8787, with the demo patient always available (`POST /api/demo`). The upstream is
//! Abbott's LibreLinkUp; `--fake` starts the fake LibreLinkUp server on :9000 and points the worker at it.
//! Before serving it prints the demo patient as `shared` computes it.

use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

use shared::alarm::{self, AlarmConfig, AlarmEvent, AlarmState};
use shared::reading::{Series, format_age};
use shared::sensor::Sensor;
use shared::simulate::{self, Patient};
use shared::time::{DAY, MINUTE, UtcTime};
use shared::units::GlucoseUnit;
use shared::{forecast, stats, trend};

use crate::{Result, app, cargo, root, say, worker};

/// Where the fake LibreLinkUp listens with `--fake`.
const FAKE_PORT: &str = "9000";

/// Runs the dev task until wrangler stops (Ctrl-C).
pub fn dev(args: &[String]) -> Result<()> {
    let fake = args.iter().any(|a| a == "--fake");
    worker::npm_tools()?;
    worker::dev_vars()?;
    app::app_tools()?;
    println!("The demo patient right now, as `shared` computes it:");
    show(now(), AlarmState::default());
    let mut fake_server = None;
    if fake {
        say(&format!("starting the fake LibreLinkUp on http://127.0.0.1:{FAKE_PORT}"));
        let child =
            cargo(&["run", "-q", "-p", "tidewatch-tests", "--bin", "fake-libreview", "--", "--port", FAKE_PORT])
                .current_dir(root())
                .stdin(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start the fake: {e}"))?;
        fake_server = Some(child);
    }
    say("serving the worker and the app on http://127.0.0.1:8787 (wrangler dev builds the worker first)");
    println!("  demo: POST http://127.0.0.1:8787/api/demo, or sign in as demo@tidewatch.invalid (any password)");
    let mut cmd =
        worker::wrangler(&["dev", "--ip", "127.0.0.1", "--port", "8787", "--show-interactive-dev-session=false"]);
    if fake {
        cmd.args(["--var", &format!("LLU_UPSTREAM:http://127.0.0.1:{FAKE_PORT}")]);
    }
    let status = cmd.status().map_err(|e| format!("cannot start wrangler: {e}"));
    if let Some(mut child) = fake_server {
        let _ = child.kill();
        let _ = child.wait();
    }
    let status = status?;
    status.success().then_some(()).ok_or_else(|| format!("wrangler dev exited with {status}"))
}

/// The clock, read here and only here: `shared` takes `now` as a parameter.
fn now() -> UtcTime {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UtcTime::from_unix_secs(i64::try_from(secs).unwrap_or(0))
}

/// Prints the glance, the forecast, 24-hour statistics, the sensor and the alarms.
fn show(now: UtcTime, state: AlarmState) {
    let patient = Patient::demo();
    let mut series = Series::from_readings(simulate::readings(&patient, now - DAY, now));
    series.merge(simulate::current(&patient, now));
    let readings = series.as_slice();
    let Some(newest) = series.newest() else {
        println!("{now}: no readings");
        return;
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
}
