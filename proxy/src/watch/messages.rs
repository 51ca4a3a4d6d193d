//! What each push says: alarms, notices (the watchdog, the sensor), the interruption notice and the test.

use super::*;

/// The topic of an alarm kind's messages (RFC 8030 `Topic`: at most 32 base64url characters).
pub fn topic_of(kind: AlarmKind) -> String {
    kind.name()
}

/// A test message for `sub`.
pub fn test_message(sub: &Subscription, name: &str, now: i64) -> Message {
    let who = if name.is_empty() { "your person".to_owned() } else { name.to_owned() };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "Test".into(),
        title: "Tidewatch test alarm".into(),
        body: format!("Alarms for {who} will reach this phone, even when Tidewatch is closed."),
        tag: "test".into(),
        urgent: false,
        silent: false,
        snooze_min: 0,
        at: now,
    };
    due_now("Test".into(), payload, Urgency::High, 600)
}

pub(super) fn alarm_message(sub: &Subscription, group: &Group, alert: &Alert, now: i64) -> Message {
    let (title, body) =
        alert.notification(&group.name, group.series.newest(), sub.setup.unit, UtcTime::from_unix_secs(now));
    let urgent = alert.level == Level::Urgent;
    let (urgency, ttl) = match alert.level {
        Level::Urgent => (Urgency::High, 5 * MINUTE),
        // A silent profile does not wake the phone: the push waits until the phone is awake anyway.
        _ if alert.volume == alarm::Volume::Silent => (Urgency::Low, HOUR),
        Level::Warning => (Urgency::High, 15 * MINUTE),
        Level::Info => (Urgency::Low, HOUR),
    };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: alert.kind.name(),
        title,
        body,
        tag: format!("tw-{}", alert.kind.name()),
        urgent,
        silent: !urgent && alert.volume <= alarm::Volume::Quiet,
        snooze_min: sub.setup.config.snooze_min(alert.kind),
        at: now,
    };
    due_now(topic_of(alert.kind), payload, urgency, ttl)
}

/// What a phone the ladder reached is told once someone said "I'm on it": it replaces the alarm that rang (same
/// tag), quietly.
pub(super) fn on_it_message(sub: &Subscription, alert: &Alert, on_it: &shared::rota::OnIt, now: i64) -> Message {
    let value = alert.value.map(|v| format!(": {} {}", sub.setup.unit.format(v.as_f64()), sub.setup.unit.label()));
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "OnIt".into(),
        title: shared::rota::on_it_text(on_it, sub.setup.config.utc_offset_min),
        body: format!("{}{}", alert.kind.label(), value.unwrap_or_default()),
        tag: format!("tw-{}", alert.kind.name()),
        urgent: false,
        silent: true,
        snooze_min: 0,
        at: now,
    };
    due_now(topic_of(alert.kind), payload, Urgency::Normal, 15 * MINUTE)
}

/// What a phone is told when its loud channel refused an alarm (HTTP `status`) or never answered (0).
pub(super) fn loud_failed_message(sub: &Subscription, status: u16, now: i64) -> Message {
    let channel = sub.loud.as_ref().map(shared::loud::Loud::describe).unwrap_or_default();
    let why = if status == 0 { "did not answer".to_owned() } else { format!("refused it (HTTP {status})") };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "LoudFailed".into(),
        title: "Your loud channel did not take an alarm".into(),
        body: format!("{channel} {why}. Check it in Tidewatch's Settings and send a loud test."),
        tag: "tw-loud-failed".into(),
        urgent: false,
        silent: false,
        snooze_min: 0,
        at: now,
    };
    due_now("LoudFailed".into(), payload, Urgency::High, 12 * HOUR)
}

/// What the other phones of a patient are told when one of them has not confirmed an alarm for
/// `receipts::RECEIPT_GRACE_SECS`: "Sam's phone has not received alarms since 21:40".
pub(super) fn missing_message(sub: &Subscription, group: &Group, name: &str, since: i64, now: i64) -> Message {
    let since = UtcTime::from_unix_secs(since).wall_clock(i32::from(sub.setup.config.utc_offset_min));
    let who = if group.name.is_empty() { "your person".to_owned() } else { group.name.clone() };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "PhoneMissing".into(),
        title: format!("{} has not received alarms since {since}", possessive_phone(name)),
        body: format!(
            "Alarms for {who} are sent to it but it does not confirm them. Open Tidewatch on that phone, and check \
             that it is on, online, and allows Tidewatch's notifications."
        ),
        tag: "tw-phone-missing".into(),
        urgent: false,
        silent: false,
        snooze_min: 0,
        at: now,
    };
    due_now("PhoneMissing".into(), payload, Urgency::Normal, 12 * HOUR)
}

/// "Tonight's alarm test": a silent push each phone's service worker confirms (as urgent as an urgent low, so it
/// takes the path an urgent low takes).
pub(super) fn alarm_test_message(sub: &Subscription, group: &Group, now: i64) -> Message {
    let who = if group.name.is_empty() { "your person".to_owned() } else { group.name.clone() };
    let at = UtcTime::from_unix_secs(now).wall_clock(i32::from(sub.setup.config.utc_offset_min));
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "AlarmTest".into(),
        title: format!("Tonight's alarm test ({at})"),
        body: format!("This phone gets the alarms for {who}. Nothing to do."),
        tag: "tw-alarm-test".into(),
        urgent: false,
        silent: true,
        snooze_min: 0,
        at: now,
    };
    due_now("AlarmTest".into(), payload, Urgency::High, 30 * MINUTE)
}

pub(super) fn lost_message(sub: &Subscription, group: &Group, lost: &LostPhone, now: i64) -> Message {
    let offset = i32::from(sub.setup.config.utc_offset_min);
    let clock = |at: i64| UtcTime::from_unix_secs(at).wall_clock(offset);
    let who = if group.name.is_empty() { "your person".to_owned() } else { group.name.clone() };
    let reached =
        lost.last_reached.map(|at| format!(" The last alarm reached it at {}.", clock(at))).unwrap_or_default();
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "PhoneLost".into(),
        title: format!("{} no longer gets alarms for {who}", possessive_phone(&lost.name)),
        body: format!(
            "Its browser ended Tidewatch's notifications at {}.{reached} Open Tidewatch on that phone and turn \
             alarms on again.",
            clock(lost.at)
        ),
        tag: "tw-phone-lost".into(),
        urgent: false,
        silent: false,
        snooze_min: 0,
        at: now,
    };
    due_now("PhoneLost".into(), payload, Urgency::Normal, 24 * HOUR)
}

/// "Sam's phone", or "A phone (Chrome on Android)" as it is.
fn possessive_phone(name: &str) -> String {
    if name.starts_with("A phone") { name.to_owned() } else { format!("{name}'s phone") }
}

pub(super) fn notice_message(sub: &Subscription, group: &Group, notice: Notice, now: i64) -> Message {
    let who = if group.name.is_empty() { "your person".to_owned() } else { group.name.clone() };
    let (kind, title, body) = match (notice, &sub.setup.access) {
        (Notice::Outage, _) => (
            "Outage",
            "Tidewatch cannot reach LibreLinkUp".to_owned(),
            format!(
                "No data for {who} for 30 minutes: alarms cannot come until it is back. Check on them another way."
            ),
        ),
        (Notice::SignedOut, Access::Viewer { from, .. }) => (
            "SignedOut",
            "Alarms stopped".to_owned(),
            format!("Ask {from} to sign in to Tidewatch again: alarms for {who} have stopped."),
        ),
        (Notice::SessionEnds, Access::Viewer { from, .. }) => (
            "SessionEnds",
            "Alarms stop in a week".to_owned(),
            format!(
                "Ask {from} to open Tidewatch and sign in again before {}: alarms for {who} stop then.",
                session_day(group, sub)
            ),
        ),
        (Notice::SessionEnds, Access::Owner { .. }) => (
            "SessionEnds",
            "Alarms stop in a week".to_owned(),
            format!(
                "Open Tidewatch and sign in again before {}: LibreLinkUp's session ends then, and alarms for {who} \
                 with it.",
                session_day(group, sub)
            ),
        ),
        (Notice::SignedOut, Access::Owner { .. }) => (
            "SignedOut",
            "Alarms stopped".to_owned(),
            format!(
                "Open Tidewatch and sign in again: LibreLinkUp ended the session, so alarms for {who} have stopped."
            ),
        ),
    };
    // A week's notice is worth reading in the morning, not waking anyone for.
    let urgent = notice != Notice::SessionEnds;
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: kind.into(),
        title,
        body,
        tag: "tw-watchdog".into(),
        urgent,
        silent: false,
        snooze_min: 0,
        at: now,
    };
    let (urgency, ttl) = if urgent { (Urgency::High, HOUR) } else { (Urgency::Normal, 24 * HOUR) };
    watchdog_message(payload, urgency, ttl)
}

/// When the alarms' session ends, on the phone's clock: "14 Dec at 02:10".
fn session_day(group: &Group, sub: &Subscription) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let Some(ends) = group.session_ends else { return "it ends".to_owned() };
    let offset = i32::from(sub.setup.config.utc_offset_min);
    let at = UtcTime::from_unix_secs(ends);
    let civil = (at + i64::from(offset) * MINUTE).civil();
    let month = MONTHS.get(usize::from(civil.month.saturating_sub(1))).copied().unwrap_or("");
    format!("{} {month} at {}", civil.day, at.wall_clock(offset))
}

/// "Background alarms were interrupted", from `from` to `to` on the phone's clock.
pub(super) fn interrupted_message(sub: &Subscription, name: &str, from: i64, to: i64) -> Message {
    let who = if name.is_empty() { "your person" } else { name };
    let clock = |at: i64| UtcTime::from_unix_secs(at).wall_clock(i32::from(sub.setup.config.utc_offset_min));
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "Interrupted".into(),
        title: "Background alarms were interrupted".to_owned(),
        body: format!(
            "Tidewatch's server did not check {who} from {} to {}: no alarm could come then. It checks again now.",
            clock(from),
            clock(to)
        ),
        tag: "tw-interrupted".into(),
        urgent: false,
        silent: false,
        snooze_min: 0,
        at: to,
    };
    due_now("Interrupted".into(), payload, Urgency::High, 6 * HOUR)
}

/// The watchdog's push (its topic: a newer one replaces an older one not yet delivered), due now.
fn watchdog_message(payload: Payload, urgency: Urgency, ttl: i64) -> Message {
    due_now("Watchdog".into(), payload, urgency, ttl)
}

/// A push of `payload` to its phone under `topic`, queued at its time and due then.
fn due_now(topic: String, payload: Payload, urgency: Urgency, ttl: i64) -> Message {
    Message {
        sub: payload.sub.clone(),
        topic,
        created: payload.at,
        next_try: payload.at,
        payload,
        urgency,
        ttl,
        tries: 0,
    }
}

pub(super) fn recovered_message(sub: &Subscription, group: &Group, now: i64) -> Message {
    let who = if group.name.is_empty() { "your person".to_owned() } else { group.name.clone() };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "Recovered".into(),
        title: "Alarms are working again".into(),
        body: format!("Tidewatch has data for {who} again."),
        tag: "tw-watchdog".into(),
        urgent: false,
        silent: true,
        snooze_min: 0,
        at: now,
    };
    watchdog_message(payload, Urgency::Normal, HOUR)
}
