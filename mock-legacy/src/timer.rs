//! A sub-millisecond timer for service times.
//!
//! tokio's timer wheel has 1 ms resolution and rounds sleeps up, which would add up to a
//! millisecond to every request: a 1 ms service time would measure near 2 ms. One thread
//! holds the pending deadlines in a heap and waits on a channel with a timeout (a futex wait,
//! precise to tens of microseconds on Linux), then wakes the due tasks.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;
use tokio::sync::oneshot;

struct Entry {
    at: Instant,
    seq: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// Handle to the timer thread; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct PreciseTimer {
    tx: mpsc::Sender<Entry>,
}

impl PreciseTimer {
    pub fn new() -> std::io::Result<PreciseTimer> {
        let (tx, rx) = mpsc::channel::<Entry>();
        std::thread::Builder::new()
            .name("precise-timer".into())
            .spawn(move || {
                let mut heap: BinaryHeap<Reverse<Entry>> = BinaryHeap::new();
                loop {
                    let now = Instant::now();
                    while heap.peek().is_some_and(|e| e.0.at <= now) {
                        if let Some(Reverse(e)) = heap.pop() {
                            let _ = e.wake.send(());
                        }
                    }
                    let next = match heap.peek() {
                        Some(e) => rx.recv_timeout(e.0.at.saturating_duration_since(now)),
                        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    };
                    match next {
                        Ok(e) => heap.push(Reverse(e)),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => {
                            if heap.is_empty() {
                                return;
                            }
                            // Senders are gone but sleepers remain: serve them, then stop.
                            while let Some(Reverse(e)) = heap.pop() {
                                std::thread::sleep(e.at.saturating_duration_since(Instant::now()));
                                let _ = e.wake.send(());
                            }
                            return;
                        }
                    }
                }
            })?;
        Ok(PreciseTimer { tx })
    }

    /// Completes at `at`, within tens of microseconds.
    pub async fn sleep_until(&self, at: Instant) {
        if at <= Instant::now() {
            return;
        }
        let (wake, rx) = oneshot::channel();
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.tx.send(Entry { at, seq, wake }).is_err() {
            // The timer thread is gone (cannot happen while we hold a sender): fall back to tokio.
            tokio::time::sleep_until(at.into()).await;
            return;
        }
        let _ = rx.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn never_wakes_early() {
        let t = PreciseTimer::new().unwrap();
        for us in [300u64, 1_000, 2_500] {
            let start = Instant::now();
            t.sleep_until(start + Duration::from_micros(us)).await;
            assert!(start.elapsed() >= Duration::from_micros(us));
        }
    }

    #[tokio::test]
    async fn wakes_many_sleepers_in_order() {
        let t = PreciseTimer::new().unwrap();
        let start = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for k in (1..=20u64).rev() {
            let t = t.clone();
            set.spawn(async move {
                t.sleep_until(start + Duration::from_millis(k)).await;
                (k, Instant::now())
            });
        }
        while let Some(r) = set.join_next().await {
            let (k, at) = r.unwrap();
            assert!(at >= start + Duration::from_millis(k));
        }
    }
}
