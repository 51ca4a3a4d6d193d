//! Futures run side by side in one task: what the Watcher needs of `futures::future::join_all` (its reads of the
//! watched patients and its pushes), without the `FuturesOrdered` machinery `join_all` carries for long lists.
//! Every wake polls each unfinished future once; the lists are a few hundred at most and each future mostly waits
//! on the network, so that costs nothing that matters.

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

    #[test]
    fn nothing_to_run_is_ready_at_once() {
        let mut joined = Box::pin(all(Vec::<core::future::Ready<u8>>::new()));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(joined.as_mut().poll(&mut cx), Poll::Ready(Vec::new()));
    }
}
