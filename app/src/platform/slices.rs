//! The app's async executor: wasm-bindgen-futures' own, with every spawned future polled only while the current
//! task is young. Leptos runs effects and resources as spawned futures, and many become ready at once (an answer
//! arrives, a screen's module loads): polled back to back in one task's microtasks, they made one long task, and a
//! slow phone could not draw or answer a tap until all were done. Here, once a task has run futures for
//! [`SLICE_MS`], the next future waiting to run goes on in a new task (a zero-delay timer), in the order they woke.
//! One future's own poll is never cut: a single long piece of work is split where it is written (`Later`,
//! `next_task`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// How long one task runs spawned futures before the rest wait for a new one, in milliseconds: a frame's share of
/// a fast phone's time, and at most about 50 ms (a long task, in Lighthouse's terms) on a phone four times slower.
pub const SLICE_MS: f64 = 8.0;

thread_local! {
    /// When the running task began polling futures (`Date.now()`), until a timer queued then clears it.
    static SLICE_STARTED: Cell<Option<f64>> = const { Cell::new(None) };
}

/// Makes the sliced executor Leptos' executor. Called before the app is mounted; once another executor is set
/// (a test that mounted first), it changes nothing.
pub fn install() {
    let _ = Executor::init_custom_executor(Sliced);
}

/// Runs `future` as the app's executor does: polled only while the current task's slice lasts.
pub fn spawn_sliced(future: impl Future<Output = ()> + 'static) {
    wasm_bindgen_futures::spawn_local(InSlices(Box::pin(future)));
}

/// The executor: every future, `Send` or not, on this one thread.
struct Sliced;

impl CustomExecutor for Sliced {
    fn spawn(&self, future: PinnedFuture<()>) {
        spawn_sliced(future);
    }

    fn spawn_local(&self, future: PinnedLocalFuture<()>) {
        spawn_sliced(future);
    }

    fn poll_local(&self) {}
}

/// A future polled only while the running task's slice lasts; otherwise it asks to be polled again in a new task.
struct InSlices(Pin<Box<dyn Future<Output = ()>>>);

impl Future for InSlices {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if slice_lasts() {
            self.0.as_mut().poll(cx)
        } else {
            let waker = cx.waker().clone();
            in_a_new_task(move || waker.wake());
            Poll::Pending
        }
    }
}

/// Whether the running task may poll another future: the first poll in a task opens its slice (and queues the
/// timer that closes it, which runs before any future deferred from this task).
fn slice_lasts() -> bool {
    let now = js_sys::Date::now();
    SLICE_STARTED.with(|started| match started.get() {
        Some(start) => now - start < SLICE_MS,
        None => {
            started.set(Some(now));
            in_a_new_task(|| SLICE_STARTED.with(|started| started.set(None)));
            true
        }
    })
}

/// Runs `f` in a task of its own (a zero-delay timer); without a window (never in the app), at once.
fn in_a_new_task(f: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(f);
    let queued =
        web_sys::window().and_then(|w| w.set_timeout_with_callback(callback.unchecked_ref::<js_sys::Function>()).ok());
    if queued.is_none() {
        let _ = callback.unchecked_ref::<js_sys::Function>().call0(&wasm_bindgen::JsValue::NULL);
    }
}
