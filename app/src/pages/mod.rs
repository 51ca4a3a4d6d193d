//! One module per screen.

/// Following a patient: glance, graph, statistics, sensor, alarms, settings, bedside mode.
pub mod follow;
/// Sign-in, the demo, and LibreLinkUp's consent steps.
pub mod signin;
