//! The follow screen's parts, one component per file. They render what `model` and `shared` computed.

/// "Tonight's alarm test": the owner's daily silent check that every phone gets alarms.
pub mod alarm_test;
/// The alarm banner and its actions.
pub mod alarms;
/// Bedside mode: dark, huge digits, screen kept awake.
pub mod bedside;
/// The big current value.
pub mod glance;
/// The SVG graph with target band, forecast cone and read-out.
pub mod graph;
/// This phone's loud channel (ntfy, Pushover, a webhook): the night shift's last rung.
pub mod loud;
/// The night profile's hours, nights and volume.
pub mod night;
/// The family's notes on the patient: the last day's, and a form to add one.
pub mod notes;
/// "Tidewatch cannot reach LibreLinkUp", while the server as a whole cannot.
pub mod outage;
/// "Phones that get alarms": the account's phones, each removable.
pub mod phones;
/// The patient picker.
pub mod picker;
/// "Alarms on this phone": background alarms through Web Push.
pub mod push;
/// "Quiet for an hour", which urgent alarms break.
pub mod quiet;
/// The night shift: who follows, who is on duty, who answered.
pub mod rota;
/// Repeat intervals and snooze lengths.
pub mod rules;
/// Sensor age and end.
pub mod sensor;
/// Alarm settings and device preferences.
pub mod settings;
/// Family links: make, list and revoke read-only share links.
pub mod share;
/// Time in range and the other statistics.
pub mod stats;
