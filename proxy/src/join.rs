//! Futures run side by side in one task: what the Watcher needs of `futures::future::join_all` (its reads of the
//! watched patients and its pushes), without the `FuturesOrdered` machinery `join_all` carries for long lists.
//! Every wake polls each unfinished future once; the lists are a few hundred at most and each future mostly waits
//! on the network, so that costs nothing that matters. And [`before`], a future against a deadline (a push
//! service's answer against its timeout), for `futures::future::select`, and [`next`], a stream's next item (a
//! body's next chunk), for `futures::StreamExt::next`.

use core::future::{Future, poll_fn};
use core::pin::Pin;
use core::task::Poll;

/// Runs every future to completion, side by side; their outputs in the order given.
pub async fn all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut running: Vec<Option<Pin<Box<F>>>> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = running.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut waiting = false;
        for (slot, output) in running.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *output = Some(value);
                        // A finished future is dropped at once and never polled again.
                        *slot = None;
                    }
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting { Poll::Pending } else { Poll::Ready(outputs.drain(..).flatten().collect()) }
    })
    .await
}

/// `future`'s output if it finishes before `deadline` does, else `None` (and `future` is dropped unfinished). When
/// both are ready at the same poll, the output wins.
pub async fn before<F: Future, D: Future>(future: F, deadline: D) -> Option<F::Output> {
    let (mut future, mut deadline) = (core::pin::pin!(future), core::pin::pin!(deadline));
    poll_fn(|cx| {
        if let Poll::Ready(value) = future.as_mut().poll(cx) {
            Poll::Ready(Some(value))
        } else if deadline.as_mut().poll(cx).is_ready() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    })
    .await
}

/// The next item of `stream`, or `None` at its end.
pub async fn next<S: futures::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;
    use core::task::{Context, Waker};

    use super::*;

    /// Ready with `value` after `waits` pendings; counts its polls.
    async fn after(waits: u32, value: u32, polls: &Cell<u32>) -> u32 {
        let mut left = waits;
        poll_fn(|cx| {
            polls.set(polls.get() + 1);
            if left == 0 {
                Poll::Ready(value)
            } else {
                left -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }

    #[test]
    fn every_future_finishes_its_output_in_order_and_none_is_polled_after_it_is_done() {
        let polls: Vec<Cell<u32>> = (0..5).map(|_| Cell::new(0)).collect();
        let waits = [3, 0, 7, 1, 3];
        let mut joined =
            Box::pin(all(waits.iter().zip(&polls).enumerate().map(|(i, (&w, p))| after(w, i as u32 * 10, p))));
        let mut cx = Context::from_waker(Waker::noop());
        let mut rounds = 0;
        let outputs = loop {
            rounds += 1;
            if let Poll::Ready(outputs) = joined.as_mut().poll(&mut cx) {
                break outputs;
            }
            assert!(rounds < 100, "never finished");
        };
        assert_eq!(outputs, vec![0, 10, 20, 30, 40]);
        // Side by side: the whole join takes as many rounds as its slowest future, not the sum.
        assert_eq!(rounds, 8);
        let counted: Vec<u32> = polls.iter().map(Cell::get).collect();
        assert_eq!(counted, waits.iter().map(|w| w + 1).collect::<Vec<_>>());
    }

    /// Polls `future` with a no-op waker until it is ready; returns the output and the rounds it took.
    fn run<F: Future>(future: F) -> (F::Output, u32) {
        let mut future = Box::pin(future);
        let mut cx = Context::from_waker(Waker::noop());
        for round in 1..100 {
            if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return (value, round);
            }
        }
        panic!("never finished");
    }

    #[test]
    fn before_the_deadline_gives_the_output_and_after_it_none() {
        let (future_polls, deadline_polls) = (Cell::new(0), Cell::new(0));
        assert_eq!(run(before(after(2, 7, &future_polls), after(5, 0, &deadline_polls))), (Some(7), 3));
        assert_eq!(deadline_polls.get(), 2, "the deadline is polled only while the future is pending");
        let (future_polls, deadline_polls) = (Cell::new(0), Cell::new(0));
        assert_eq!(run(before(after(9, 7, &future_polls), after(3, 0, &deadline_polls))), (None, 4));
        assert_eq!(future_polls.get(), 4, "a future past its deadline is not polled again");
        // Ready together: the output wins.
        let (future_polls, deadline_polls) = (Cell::new(0), Cell::new(0));
        assert_eq!(run(before(after(1, 7, &future_polls), after(1, 0, &deadline_polls))), (Some(7), 2));
    }

    #[test]
    fn nothing_to_run_is_ready_at_once() {
        let mut joined = Box::pin(all(Vec::<core::future::Ready<u8>>::new()));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(joined.as_mut().poll(&mut cx), Poll::Ready(Vec::new()));
    }

    /// A stream of `items`, each after one pending poll.
    struct Slow {
        items: Vec<u8>,
        ready: bool,
    }

    impl futures::Stream for Slow {
        type Item = u8;

        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u8>> {
            let ready = self.ready;
            self.ready = !ready;
            if !ready {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(if self.items.is_empty() { None } else { Some(self.items.remove(0)) })
        }
    }

    #[test]
    fn next_gives_each_item_in_order_then_none() {
        let mut stream = Slow { items: vec![3, 1, 2], ready: false };
        let mut seen = Vec::new();
        while let (Some(item), rounds) = run(next(&mut stream)) {
            assert_eq!(rounds, 2, "one pending poll, then the item");
            seen.push(item);
        }
        assert_eq!(seen, [3, 1, 2]);
    }
}
