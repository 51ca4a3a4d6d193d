//! The Hub's two pieces of async coordination, written out for one thread (a Durable Object's): [`Flight`], one
//! upstream read awaited by every viewer who asks while it runs, and [`Gate`], one login at a time per e-mail.
//! They replace `futures`' `Shared` and `Mutex`, general machinery (atomics, slabs, notifier lists) a single-threaded
//! object does not need: with `join::before` and `join::next`, the wasm went from 569,853 to 567,397 B, 0.9 KB less
//! gzip (BENCHMARKS.md, "The worker bundle").

use core::cell::{Cell, RefCell};
use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Wake;

/// A future run once and awaited by any number of waiters, each getting a clone of its output. Any waiter drives
/// it, so a waiter that goes away (a viewer who closed the app) does not strand the others: the future's wake-ups
/// reach every waiter still there.
pub struct Flight<T> {
    shared: Rc<Shared<T>>,
}

struct Shared<T> {
    state: RefCell<State<T>>,
    waiters: Arc<Waiters>,
}

enum State<T> {
    /// Still running; `None` only while a waiter is polling it.
    Running(Option<Pin<Box<dyn Future<Output = T>>>>),
    Done(T),
}

/// The wakers of everyone waiting on a flight; the future itself is polled with a waker that wakes them all.
#[derive(Default)]
struct Waiters(Mutex<Vec<Waker>>);

impl Waiters {
    fn add(&self, waker: &Waker) {
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !list.iter().any(|w| w.will_wake(waker)) {
            list.push(waker.clone());
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let woken = core::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        woken.into_iter().for_each(Waker::wake);
    }
}

impl<T: Clone + 'static> Flight<T> {
    /// A flight of `future`; nothing runs until a waiter polls it.
    pub fn new(future: impl Future<Output = T> + 'static) -> Flight<T> {
        let state = RefCell::new(State::Running(Some(Box::pin(future))));
        Flight { shared: Rc::new(Shared { state, waiters: Arc::default() }) }
    }
}

impl<T> Flight<T> {
    /// Whether `other` is this same flight (a clone of it), not another.
    pub fn same(&self, other: &Flight<T>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Flight<T> {
    fn clone(&self) -> Flight<T> {
        Flight { shared: Rc::clone(&self.shared) }
    }
}

impl<T: Clone> Future for Flight<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let shared = &self.shared;
        let running = match &mut *shared.state.borrow_mut() {
            State::Done(value) => return Poll::Ready(value.clone()),
            State::Running(future) => future.take(),
        };
        shared.waiters.add(cx.waker());
        // Taken out while it is polled, so the state is never borrowed across the poll; `None` means a waiter
        // further up this stack is polling it, and this one waits for the wake-up.
        let Some(mut future) = running else { return Poll::Pending };
        let waker = Waker::from(Arc::clone(&shared.waiters));
        let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
        let mut state = shared.state.borrow_mut();
        match polled {
            Poll::Ready(value) => {
                *state = State::Done(value.clone());
                drop(state);
                waker.wake();
                Poll::Ready(value)
            }
            Poll::Pending => {
                *state = State::Running(Some(future));
                Poll::Pending
            }
        }
    }
}

/// Lets one holder through at a time; the others wait until the pass is dropped. Not fair (whoever is polled first
/// after a release goes next), which is all the login guard needs, and a waiter that goes away loses nothing for
/// the rest: a release wakes every waiter.
#[derive(Default)]
pub struct Gate {
    busy: Cell<bool>,
    waiting: RefCell<Vec<Waker>>,
}

/// Holding the gate; dropping it lets the next one through.
pub struct Pass<'a> {
    gate: &'a Gate,
}

impl Gate {
    /// Waits until the gate is free and takes it.
    pub async fn enter(&self) -> Pass<'_> {
        poll_fn(|cx| {
            if self.busy.replace(true) {
                let mut waiting = self.waiting.borrow_mut();
                if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
                    waiting.push(cx.waker().clone());
                }
                Poll::Pending
            } else {
                Poll::Ready(Pass { gate: self })
            }
        })
        .await
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.gate.busy.set(false);
        let woken = self.gate.waiting.take();
        woken.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use core::task::Waker;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts wake-ups.
    #[derive(Default)]
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter::default());
        (Arc::clone(&counter), Waker::from(counter))
    }

    /// A future that is ready once `open` is set, registering the waker it is polled with; counts its polls.
    struct Door {
        open: Rc<Cell<bool>>,
        waker: Rc<RefCell<Option<Waker>>>,
        polls: Rc<Cell<u32>>,
    }

    impl Future for Door {
        type Output = u32;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            self.polls.set(self.polls.get() + 1);
            if self.open.get() {
                Poll::Ready(42)
            } else {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// A closed door, its latch, the waker it registered and its poll count.
    type Rig = (Door, Rc<Cell<bool>>, Rc<RefCell<Option<Waker>>>, Rc<Cell<u32>>);

    fn door() -> Rig {
        let (open, waker, polls) = (Rc::default(), Rc::default(), Rc::default());
        let door = Door { open: Rc::clone(&open), waker: Rc::clone(&waker), polls: Rc::clone(&polls) };
        (door, open, waker, polls)
    }

    fn open_and_wake(open: &Cell<bool>, waker: &RefCell<Option<Waker>>) {
        open.set(true);
        waker.borrow_mut().take().expect("the future registered a waker").wake();
    }

    #[test]
    fn every_waiter_gets_the_one_output_and_later_waiters_get_it_at_once() {
        let (inner, open, waker, polls) = door();
        let flight = Flight::new(inner);
        let mut a = Box::pin(flight.clone());
        let mut b = Box::pin(flight.clone());
        let ((count_a, wake_a), (count_b, wake_b)) = (counting(), counting());
        assert_eq!(a.as_mut().poll(&mut Context::from_waker(&wake_a)), Poll::Pending);
        assert_eq!(b.as_mut().poll(&mut Context::from_waker(&wake_b)), Poll::Pending);
        open_and_wake(&open, &waker);
        // The future's one wake-up reaches both waiters.
        assert_eq!((count_a.0.load(Ordering::SeqCst), count_b.0.load(Ordering::SeqCst)), (1, 1));
        assert_eq!(b.as_mut().poll(&mut Context::from_waker(&wake_b)), Poll::Ready(42));
        assert_eq!(a.as_mut().poll(&mut Context::from_waker(&wake_a)), Poll::Ready(42));
        let polls_when_done = polls.get();
        let mut late = Box::pin(flight);
        assert_eq!(late.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Ready(42));
        assert_eq!(polls.get(), polls_when_done, "a finished flight is never polled again");
    }

    #[test]
    fn a_waiter_that_goes_away_does_not_strand_the_others() {
        let (inner, open, waker, _) = door();
        let flight = Flight::new(inner);
        let mut first = Box::pin(flight.clone());
        let mut second = Box::pin(flight);
        let (counter, wake_second) = counting();
        // The first waiter polls (and so drives) the future, then goes away.
        assert_eq!(first.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Pending);
        assert_eq!(second.as_mut().poll(&mut Context::from_waker(&wake_second)), Poll::Pending);
        drop(first);
        open_and_wake(&open, &waker);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "the remaining waiter was woken");
        assert_eq!(second.as_mut().poll(&mut Context::from_waker(&wake_second)), Poll::Ready(42));
    }

    #[test]
    fn a_waiter_polled_again_without_a_wake_up_is_woken_once() {
        let (inner, open, waker, _) = door();
        let flight = Flight::new(inner);
        let mut a = Box::pin(flight);
        let (counter, wake_a) = counting();
        for _ in 0..3 {
            assert_eq!(a.as_mut().poll(&mut Context::from_waker(&wake_a)), Poll::Pending);
        }
        open_and_wake(&open, &waker);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_gate_lets_one_through_at_a_time_and_a_release_wakes_the_waiters() {
        let gate = Gate::default();
        let mut first = Box::pin(gate.enter());
        let pass = match first.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(pass) => pass,
            Poll::Pending => panic!("a free gate lets the first through"),
        };
        let (gone_counter, wake_gone) = counting();
        let (counter, wake_second) = counting();
        let mut gone = Box::pin(gate.enter());
        let mut second = Box::pin(gate.enter());
        assert!(gone.as_mut().poll(&mut Context::from_waker(&wake_gone)).is_pending());
        assert!(second.as_mut().poll(&mut Context::from_waker(&wake_second)).is_pending());
        drop(gone);
        drop(pass);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "the release woke the waiter");
        assert_eq!(gone_counter.0.load(Ordering::SeqCst), 1);
        let held = match second.as_mut().poll(&mut Context::from_waker(&wake_second)) {
            Poll::Ready(pass) => pass,
            Poll::Pending => panic!("the released gate lets the waiter through"),
        };
        let mut third = Box::pin(gate.enter());
        assert!(third.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending(), "held again");
        drop(held);
        assert!(third.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready());
    }
}
