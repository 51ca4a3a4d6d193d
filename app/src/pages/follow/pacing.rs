//! Pacing a slow phone's main thread: what comes first on screen is drawn (and can be painted) in a task of its
//! own, and what comes after waits a task or two, so a tap never waits long.

use std::time::Duration;

use leptos::prelude::*;

/// Its children, drawn `tasks` zero-delay timers after it is: what comes before them on screen is drawn, and can be
/// painted, without waiting for them.
#[component]
pub(super) fn Later(tasks: u8, children: ChildrenFn) -> impl IntoView {
    fn wait(tasks: u8, ready: RwSignal<bool>) {
        if tasks == 0 {
            // The page may be gone by then: `try_set` does nothing once it is.
            ready.try_set(true);
        } else {
            set_timeout(move || wait(tasks - 1, ready), Duration::ZERO);
        }
    }
    let ready = RwSignal::new(false);
    wait(tasks, ready);
    view! { <Show when=move || ready.get()>{children()}</Show> }
}

/// `source`'s value, one task later: what reads it is redrawn in a task of its own, after what reads `source`.
pub(super) fn next_task<T>(source: Signal<T>) -> ReadSignal<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let (later, set_later) = signal(source.get_untracked());
    Effect::new(move |_| {
        source.track();
        set_timeout(
            // The page may be gone by then: the `try_` forms do nothing once it is.
            move || {
                let Some(value) = source.try_get_untracked() else { return };
                set_later.try_maybe_update(|v| {
                    let changed = *v != value;
                    if changed {
                        *v = value;
                    }
                    (changed, ())
                });
            },
            Duration::ZERO,
        );
    });
    later
}
