//! "Quiet for an hour": a window that ends by itself, during which this phone's non-urgent alarms wait and urgent
//! ones ring only once they have lasted `shared::alarm::QUIET_BREAK` (ten minutes). The engine applies it, in the
//! open app and on the server alike, because it is part of the phone's `AlarmConfig`.

use leptos::prelude::*;
use shared::alarm::{AlarmConfig, QUIET_BREAK, QUIET_MAX};
use shared::time::{HOUR, MINUTE, UtcTime, next_wall_clock};

use crate::{AppState, platform};

/// The next 07:00 on this phone's clock after `now`, but no further than [`QUIET_MAX`] away.
fn next_morning(now: UtcTime, offset_min: i32) -> UtcTime {
    next_wall_clock(now, offset_min, 7 * 60).min(now + QUIET_MAX)
}

/// The quiet window's status and its buttons.
#[component]
pub fn QuietWindow(
    /// The settings.
    config: RwSignal<AlarmConfig>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let offset = platform::utc_offset_min;
    let until = move || {
        let now = state.now.get();
        config.with(|c| c.quiet_at(now).then_some(c.quiet_until).flatten())
    };
    let quiet_until = move |at: Option<UtcTime>| config.update(|c| c.quiet_until = at);
    let status = move || match until() {
        Some(at) => format!(
            "Quiet until {}: other alarms wait, urgent ones ring after {} minutes.",
            at.wall_clock(offset()),
            QUIET_BREAK / MINUTE
        ),
        None => "Alarms ring as set.".to_owned(),
    };
    view! {
        <p role="status" data-testid="quiet-status" class:warning=move || until().is_some()>
            {status}
        </p>
        <div class="quiet-actions">
            <button
                data-testid="quiet-hour"
                on:click=move |_| quiet_until(Some(platform::now() + HOUR))
            >
                "Quiet for 1 hour"
            </button>
            <button
                data-testid="quiet-morning"
                on:click=move |_| quiet_until(Some(next_morning(platform::now(), offset())))
            >
                "Quiet until 07:00"
            </button>
            <Show when=move || until().is_some()>
                <button data-testid="quiet-end" class="secondary" on:click=move |_| quiet_until(None)>
                    "End quiet now"
                </button>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::time::DAY;

    #[test]
    fn quiet_until_morning_is_the_next_seven_oclock_on_the_phones_clock() {
        let day = 20_000 * DAY;
        // 23:30 UTC on a phone at UTC+1 (00:30 local): 07:00 local is 06:00 UTC the next day.
        assert_eq!(
            next_morning(UtcTime::from_unix_secs(day + 23 * HOUR + 30 * MINUTE), 60).unix_secs(),
            day + DAY + 6 * HOUR
        );
        // 08:00 local: tomorrow's 07:00 is 23 hours away, more than a quiet window may last.
        let eight = UtcTime::from_unix_secs(day + 8 * HOUR);
        assert_eq!(next_morning(eight, 0).unix_secs(), eight.unix_secs() + QUIET_MAX);
    }
}
