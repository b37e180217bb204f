//! The answers the gateway holds for its clients: a gateway-wide budget of their bytes, and how
//! fast a client must take one.
//!
//! The gateway reads a service's answer whole before writing it to the client, so that a slow
//! client never pins one of the service's few workers (its slot frees as soon as the answer is
//! read). The price is memory: each answer waits in the gateway until its client has taken it.
//! Without a bound, clients that ask for large answers and read them slowly (or never, on h2c
//! with a closed flow-control window) grew the gateway by their number times the answer size
//! (20 HTTP/1.1 clients of 15 MB answers took it from 28 MB to 347 MB in a second).
//!
//! Two rules bound it:
//!
//! - A budget of answer bytes held, gateway-wide ([`AnswerBudget`], `--answer-memory`). An
//!   answer takes its bytes before they are read from the service: its whole `Content-Length`
//!   at once, or, for a chunked or read-until-close answer, its buffer's size as it grows. When
//!   the budget is spent the read waits up to [`AnswerLimits::wait`] for bytes to be given back
//!   (the service's worker is held that long, at most: past it, what it sent is still
//!   unread), then gives up: the upstream connection is closed, which frees the worker, and the
//!   client gets 503 with `Retry-After`. The service has done the work (a POST may have taken
//!   effect, as with a 504): the policy is told the service's own status, so a healthy
//!   service is neither paused nor retried for the gateway's lack of memory.
//! - A minimum pace for taking an answer: all of it within
//!   `max(stall timeout, size / min rate)` ([`send_time`], `--min-send-rate`), on top of the
//!   stall timeout for each write (HTTP/1.1) or for the stream's flow-control window to open
//!   (h2c). A client past either is cut off (HTTP/1.1: the connection closes; h2c: the stream's
//!   answer is dropped and the stream reset), and its bytes go back to the budget.

use bytes::{Buf as _, Bytes};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Answer bytes the gateway holds at most by default: eight answers of the largest size it
/// reads (16 MiB), or thousands of the few-KiB answers legacy APIs give.
pub const DEFAULT_ANSWER_MEMORY: usize = 128 << 20;
/// The slowest a client may take its answer by default, in bytes per second (a 15 MB answer
/// within about 4 minutes; answers up to 640 KiB get the stall timeout, 10 s, whatever their
/// pace).
pub const DEFAULT_MIN_SEND_RATE: u64 = 64 << 10;
/// How long an answer waits for budget before its client gets 503.
pub const DEFAULT_BUDGET_WAIT: Duration = Duration::from_secs(1);
/// The `Retry-After` of an answer refused for want of budget.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The gateway's limits on the answers it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerLimits {
    /// Answer bytes held at most, gateway-wide.
    pub memory: usize,
    /// The slowest pace at which a client may take its answer, bytes per second (0: no pace,
    /// the stall timeout alone).
    pub min_send_rate: u64,
    /// How long an answer that does not fit waits for budget before its client gets 503.
    pub wait: Duration,
}

impl Default for AnswerLimits {
    fn default() -> Self {
        AnswerLimits {
            memory: DEFAULT_ANSWER_MEMORY,
            min_send_rate: DEFAULT_MIN_SEND_RATE,
            wait: DEFAULT_BUDGET_WAIT,
        }
    }
}

/// How long a client may take an answer of `len` bytes in all: the stall timeout, or longer
/// for an answer that takes longer than that at `min_rate`.
pub fn send_time(len: usize, stall: Duration, min_rate: u64) -> Duration {
    if min_rate == 0 {
        return Duration::MAX;
    }
    stall.max(Duration::from_secs_f64(len as f64 / min_rate as f64))
}

/// The answer bytes held gateway-wide, and the most that may be.
pub struct AnswerBudget {
    held: AtomicUsize,
    limit: usize,
    freed: Notify,
    /// Answers refused (503) because the budget had no room for them.
    pub refused: AtomicU64,
    /// Answers whose client did not take them in time (stall or minimum pace).
    pub cut_off: AtomicU64,
    /// Small h2c answers handed to hyper's streams, oldest first, each with the instant it is
    /// cut off if its stream still has it then ([`reap`]).
    small: Mutex<VecDeque<(Instant, Weak<Mutex<Pieces>>)>>,
    reaping: AtomicBool,
}

impl AnswerBudget {
    pub fn new(limit: usize) -> Arc<AnswerBudget> {
        Arc::new(AnswerBudget {
            held: AtomicUsize::new(0),
            limit,
            freed: Notify::new(),
            refused: AtomicU64::new(0),
            cut_off: AtomicU64::new(0),
            small: Mutex::new(VecDeque::new()),
            reaping: AtomicBool::new(false),
        })
    }

    /// Watches a small answer: one task for all of them ([`reap`]), not one each (an answer
    /// of a few KiB is sent at once, nearly always), in the order they came, each given the
    /// same time.
    fn watch_small(self: &Arc<Self>, pieces: &Arc<Mutex<Pieces>>, until: Instant) {
        self.small
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back((until, Arc::downgrade(pieces)));
        if !self.reaping.swap(true, Ordering::AcqRel) {
            tokio::spawn(reap(Arc::downgrade(self)));
        }
    }

    /// Answer bytes held now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A hold of nothing yet, to grow as an answer is read.
    pub fn hold(self: &Arc<Self>) -> AnswerHold {
        AnswerHold {
            budget: self.clone(),
            bytes: 0,
            never_fits: None,
        }
    }

    fn try_take(&self, n: usize) -> bool {
        // Compare and swap, not add then undo: a take refused must not, for that instant,
        // crowd out another that fits.
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(n).filter(|&after| after <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        if n > 0 {
            self.held.fetch_sub(n, Ordering::AcqRel);
            self.freed.notify_waiters();
        }
    }
}

/// One answer's share of the [`AnswerBudget`], given back when dropped.
pub struct AnswerHold {
    budget: Arc<AnswerBudget>,
    bytes: usize,
    /// The size of a growth refused because it is larger than the whole budget (it never fits,
    /// however long it waits): what the refusal tells the client in place of "send again".
    never_fits: Option<usize>,
}

impl std::fmt::Debug for AnswerHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AnswerHold({} bytes)", self.bytes)
    }
}

impl AnswerHold {
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn budget(&self) -> &Arc<AnswerBudget> {
        &self.budget
    }

    /// The size of the last growth refused because no budget of this size could hold it.
    pub fn never_fits(&self) -> Option<usize> {
        self.never_fits
    }

    /// Grows the hold to `total` bytes, waiting up to `wait` for the budget to have room;
    /// false (holding what it held) if it has none by then, or never can.
    pub async fn grow_to(&mut self, total: usize, wait: Duration) -> bool {
        let Some(more) = total.checked_sub(self.bytes).filter(|&m| m > 0) else {
            return true;
        };
        if total > self.budget.limit {
            self.never_fits = Some(total);
            return false;
        }
        let until = Instant::now() + wait;
        loop {
            // Registered before the attempt: bytes given back between the attempt and the
            // wait still wake it.
            let freed = self.budget.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.budget.try_take(more) {
                self.bytes = total;
                return true;
            }
            if tokio::time::timeout_at(until, freed).await.is_err() {
                return self.budget.try_take(more) && {
                    self.bytes = total;
                    true
                };
            }
        }
    }

    /// Gives back all but `total` bytes.
    pub fn shrink_to(&mut self, total: usize) {
        if total < self.bytes {
            self.budget.give_back(self.bytes - total);
            self.bytes = total;
        }
    }
}

impl Drop for AnswerHold {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

/// An answer's hold as it travels in the response's extensions (which want `Clone`), from the
/// upstream call to the server side that writes the answer: dropped with the response, when
/// the answer has been written or its client has gone.
#[derive(Clone, Debug)]
pub struct HeldAnswer(pub Arc<AnswerHold>);

/// The size of the pieces an h2c answer is handed to hyper in (HTTP/2's default frame size).
/// Copies, not slices: a slice would keep the whole answer alive for as long as hyper holds
/// it, which is for ever when the client's window never opens.
const H2_CHUNK: usize = 16 * 1024;

/// An h2c answer's body. hyper takes a piece, then waits for the stream's flow-control window
/// to have room before it sends it and asks for the next, so the answer's bytes stay here or
/// in hyper (counted in the budget) until the client takes them. A watchdog cuts the answer
/// off when its window stays closed for the stall timeout or it is not all taken within
/// [`send_time`]: its bytes here go and, if hyper holds a piece of it (which it lets go only
/// once the window opens), the connection is closed when it has made no progress either
/// ([`Pieces::expire`]), as an HTTP/1.1 connection whose write stalls is. Small answers too: a client that opened
/// thousands of streams with a window of 0 and never read held all of the budget with answers
/// of 16 KB, and every other client got 503 for as long as its connection stayed open.
pub enum AnswerBody {
    /// Nothing to give back: no hold (the gateway's own answers).
    Whole(Option<Bytes>),
    Pieces(Arc<Mutex<Pieces>>),
}

/// Answers cut off on one connection while hyper held a piece of them, past which it is closed
/// even while other streams progress: a client reading one stream slowly kept thousands of
/// stalled ones, each holding up to two pieces.
const STUCK_STREAMS: u64 = 64;

/// One h2c connection's answers: when it last made progress (a piece taken, an answer done),
/// and the signal that closes it.
pub struct ConnAnswers {
    start: Instant,
    /// Milliseconds from `start` to the last progress.
    last_progress_ms: AtomicU64,
    stuck: AtomicU64,
    /// Told when the connection is to close (see [`Pieces::expire`]).
    pub stalled: tokio::sync::Notify,
}

impl ConnAnswers {
    pub fn new() -> Arc<ConnAnswers> {
        Arc::new(ConnAnswers {
            start: Instant::now(),
            last_progress_ms: AtomicU64::new(0),
            stuck: AtomicU64::new(0),
            stalled: tokio::sync::Notify::new(),
        })
    }

    fn progressed(&self) {
        let ms = Instant::now().saturating_duration_since(self.start).as_millis();
        self.last_progress_ms
            .fetch_max(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn last_progress(&self) -> Instant {
        self.start + Duration::from_millis(self.last_progress_ms.load(Ordering::Relaxed))
    }
}

pub struct Pieces {
    left: Bytes,
    /// Nothing handed to hyper yet (a small answer goes in one piece, without a copy).
    untouched: bool,
    hold: Option<AnswerHold>,
    last_piece: Instant,
    expired: bool,
    budget: Option<Arc<AnswerBudget>>,
    conn: Arc<ConnAnswers>,
    stall: Duration,
}

impl Pieces {
    /// Cuts the answer off at `now`: its bytes here go. If hyper holds a piece of it (kept
    /// until the stream's window opens), the connection closes when it has made no progress
    /// for the stall timeout, or holds [`STUCK_STREAMS`] such answers; a connection taking
    /// its other answers is not closed for one stream's window (a slow link with many
    /// answers queued on it).
    fn expire(&mut self, now: Instant) {
        self.left = Bytes::new();
        self.expired = true;
        if self.untouched {
            if let Some(h) = self.hold.as_mut() {
                h.shrink_to(0);
            }
        } else {
            // hyper may hold a piece, and h2 one more: counted until the stream goes.
            if let Some(h) = self.hold.as_mut() {
                h.shrink_to(2 * H2_CHUNK);
            }
            let stuck = self.conn.stuck.fetch_add(1, Ordering::Relaxed) + 1;
            if now >= self.conn.last_progress() + self.stall || stuck >= STUCK_STREAMS {
                self.conn.stalled.notify_one();
            }
        }
        if let Some(b) = &self.budget {
            b.cut_off.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Pieces {
    fn drop(&mut self) {
        // An answer done (or its stream gone) is the connection moving.
        if !self.expired {
            self.conn.progressed();
        }
    }
}

impl AnswerBody {
    /// The body for `data`, with its hold, and a watchdog for it; `conn` is its connection's
    /// ([`ConnAnswers`]).
    pub fn new(
        data: Bytes,
        held: Option<HeldAnswer>,
        stall: Duration,
        min_rate: u64,
        conn: &Arc<ConnAnswers>,
    ) -> AnswerBody {
        let hold = held.and_then(|h| Arc::try_unwrap(h.0).ok());
        let Some(budget) = hold.as_ref().map(|h| h.budget.clone()) else {
            return AnswerBody::Whole(Some(data));
        };
        let small = data.len() <= H2_CHUNK;
        let total = send_time(data.len(), stall, min_rate);
        let start = Instant::now();
        let pieces = Arc::new(Mutex::new(Pieces {
            left: data,
            untouched: true,
            hold,
            last_piece: start,
            expired: false,
            budget: Some(budget.clone()),
            conn: conn.clone(),
            stall,
        }));
        if small {
            budget.watch_small(&pieces, start + stall);
        } else {
            tokio::spawn(watch(Arc::downgrade(&pieces), stall, start.checked_add(total)));
        }
        AnswerBody::Pieces(pieces)
    }
}

/// Cuts off the small answers of `budget` that their streams still have at their time (see
/// [`AnswerBudget::watch_small`]): hyper lets an answer go once it has sent it, so one still
/// here waits for a window that did not open. Ends with the budget.
async fn reap(budget: Weak<AnswerBudget>) {
    loop {
        let next = {
            let Some(b) = budget.upgrade() else { return };
            let mut q = b.small.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            while q.front().is_some_and(|(at, _)| *at <= now) {
                let Some((_, answer)) = q.pop_front() else { break };
                if let Some(p) = answer.upgrade() {
                    let mut p = lock(&p);
                    if !p.expired {
                        p.expire(now);
                    }
                }
            }
            q.front().map(|(at, _)| *at)
        };
        match next {
            Some(at) => tokio::time::sleep_until(at).await,
            // Idle: looked at again within a second of the next answer's time.
            None => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

fn lock(p: &Mutex<Pieces>) -> std::sync::MutexGuard<'_, Pieces> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// Drops an h2c answer whose client is not taking it (see [`AnswerBody`]): watched until its
/// body goes, its last piece too (hyper holds it until the window opens; an answer whose last
/// piece never went held its bytes for good).
async fn watch(pieces: Weak<Mutex<Pieces>>, stall: Duration, end: Option<Instant>) {
    loop {
        let at = {
            let Some(p) = pieces.upgrade() else { return };
            let p = lock(&p);
            if p.expired {
                return;
            }
            let stalled = p.last_piece + stall;
            end.map_or(stalled, |e| e.min(stalled))
        };
        tokio::time::sleep_until(at).await;
        let Some(p) = pieces.upgrade() else { return };
        let mut p = lock(&p);
        let now = Instant::now();
        if now >= p.last_piece + stall || end.is_some_and(|e| now >= e) {
            p.expire(now);
            return;
        }
    }
}

/// Why an h2c answer was not sent whole.
#[derive(Debug, thiserror::Error)]
#[error("the client did not take its answer in time")]
pub struct TooSlow;

impl hyper::body::Body for AnswerBody {
    type Data = Bytes;
    type Error = TooSlow;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, TooSlow>>> {
        match self.get_mut() {
            AnswerBody::Whole(data) => Poll::Ready(data.take().map(|d| Ok(hyper::body::Frame::data(d)))),
            AnswerBody::Pieces(p) => {
                let mut p = lock(p);
                if p.expired {
                    return Poll::Ready(Some(Err(TooSlow)));
                }
                if p.left.is_empty() {
                    return Poll::Ready(None);
                }
                let n = p.left.len().min(H2_CHUNK);
                // A small answer whole, as it is; a large one's pieces copied.
                let piece = if p.untouched && n == p.left.len() {
                    std::mem::take(&mut p.left)
                } else {
                    let piece = Bytes::copy_from_slice(&p.left[..n]);
                    p.left.advance(n);
                    piece
                };
                // hyper asks for a piece once it has sent the one before: the connection moves
                // (not on the first, which hyper takes before the window has room).
                if !p.untouched {
                    p.conn.progressed();
                }
                p.untouched = false;
                p.last_piece = Instant::now();
                if p.left.is_empty() {
                    // The answer's own allocation goes; hyper and h2 hold copies of its end.
                    p.left = Bytes::new();
                    if let Some(h) = p.hold.as_mut() {
                        h.shrink_to(2 * H2_CHUNK);
                    }
                }
                Poll::Ready(Some(Ok(hyper::body::Frame::data(piece))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            AnswerBody::Whole(data) => data.as_ref().is_none_or(Bytes::is_empty),
            AnswerBody::Pieces(p) => {
                let p = lock(p);
                !p.expired && p.left.is_empty()
            }
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        let n = match self {
            AnswerBody::Whole(data) => data.as_ref().map_or(0, Bytes::len),
            AnswerBody::Pieces(p) => lock(p).left.len(),
        };
        hyper::body::SizeHint::with_exact(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn holds_take_what_fits_wait_for_what_is_given_back_and_give_it_all_back() {
        let b = AnswerBudget::new(100);
        let mut a = b.hold();
        assert!(a.grow_to(60, Duration::ZERO).await);
        let mut c = b.hold();
        assert!(!c.grow_to(50, Duration::from_millis(10)).await, "60 + 50 > 100");
        assert_eq!((b.held(), c.bytes()), (60, 0));
        assert_eq!(c.never_fits(), None, "it fits once room is made");
        assert!(!c.grow_to(101, Duration::from_secs(60)).await, "never fits: no wait");
        assert_eq!(c.never_fits(), Some(101));
        let waiting = tokio::spawn(async move {
            let ok = c.grow_to(50, Duration::from_secs(30)).await;
            (ok, c)
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        a.shrink_to(10);
        let (ok, c) = waiting.await.unwrap();
        assert!(ok, "room made while it waited");
        assert_eq!(b.held(), 60);
        drop(a);
        drop(c);
        assert_eq!(b.held(), 0);
    }

    async fn next_frame(body: &mut AnswerBody) -> Option<Result<hyper::body::Frame<Bytes>, TooSlow>> {
        use hyper::body::Body as _;
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await
    }

    /// A small answer its stream still has after the stall timeout is cut off (an h2c client
    /// with a window of 0: thousands of its streams on one connection held all of the budget,
    /// and every other client got 503; robustness review, stop 64). Not yet taken by hyper, its
    /// bytes go back at once; taken by hyper (which holds it until the window opens), the
    /// connection is told to close. One sent at once (its body dropped) is left alone.
    #[tokio::test(start_paused = true)]
    async fn a_small_answer_its_stream_still_has_is_cut_off() {
        let b = AnswerBudget::new(1 << 20);
        let stall = Duration::from_secs(10);
        let (conn, other) = (ConnAnswers::new(), ConnAnswers::new());
        let answer = |n: usize, c: &Arc<ConnAnswers>| {
            let (b, c) = (b.clone(), c.clone());
            async move {
                let mut h = b.hold();
                assert!(h.grow_to(n, Duration::ZERO).await);
                let held = Some(HeldAnswer(Arc::new(h)));
                AnswerBody::new(Bytes::from(vec![7u8; n]), held, stall, 64 << 10, &c)
            }
        };
        let mut unpolled = answer(16_000, &conn).await;
        let mut in_hyper = answer(1_000, &conn).await;
        let mut sent = answer(100, &other).await;
        for body in [&mut in_hyper, &mut sent] {
            let frame = next_frame(body).await.expect("a frame").expect("data");
            assert!(
                frame.into_data().is_ok_and(|d| d.len() < H2_CHUNK),
                "all of it in one piece"
            );
            assert!(hyper::body::Body::is_end_stream(&*body));
        }
        drop(sent);
        assert_eq!(b.held(), 17_000);
        tokio::time::sleep(Duration::from_secs(9)).await;
        assert_eq!((b.held(), b.cut_off.load(Ordering::Relaxed)), (17_000, 0), "not yet");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!((b.held(), b.cut_off.load(Ordering::Relaxed)), (1_000, 2));
        assert!(
            matches!(next_frame(&mut unpolled).await, Some(Err(TooSlow))),
            "its stream is reset"
        );
        // The piece hyper holds goes with the connection, told to close.
        tokio::time::timeout(Duration::from_millis(1), conn.stalled.notified())
            .await
            .expect("the connection is told");
        assert!(tokio::time::timeout(Duration::from_millis(1), other.stalled.notified())
            .await
            .is_err());
        drop(in_hyper);
        assert_eq!(b.held(), 0);
    }

    /// A connection that takes its other answers is not closed for one stream whose window
    /// stays shut (review: a slow link with many answers queued lost every stream): that
    /// answer alone is cut off. Past [`STUCK_STREAMS`] such answers it is closed all the same.
    #[tokio::test(start_paused = true)]
    async fn a_connection_that_moves_is_not_closed_for_one_stalled_stream() {
        let b = AnswerBudget::new(1 << 20);
        let stall = Duration::from_secs(10);
        let conn = ConnAnswers::new();
        let answer = |n: usize| {
            let (b, c) = (b.clone(), conn.clone());
            async move {
                let mut h = b.hold();
                assert!(h.grow_to(n, Duration::ZERO).await);
                AnswerBody::new(
                    Bytes::from(vec![7u8; n]),
                    Some(HeldAnswer(Arc::new(h))),
                    stall,
                    64 << 10,
                    &c,
                )
            }
        };
        let mut stuck = answer(1_000).await;
        assert!(
            next_frame(&mut stuck).await.is_some_and(|f| f.is_ok()),
            "taken by hyper"
        );
        // Others taken and done on the same connection meanwhile.
        tokio::time::sleep(Duration::from_secs(8)).await;
        let mut done = answer(500).await;
        assert!(next_frame(&mut done).await.is_some());
        drop(done);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(b.cut_off.load(Ordering::Relaxed), 1, "the stalled answer is cut off");
        assert!(
            tokio::time::timeout(Duration::from_millis(1), conn.stalled.notified())
                .await
                .is_err(),
            "the connection stays"
        );
        drop(stuck);
        // Many stalled at once: closed, however recently it moved.
        let mut many = Vec::new();
        for _ in 0..STUCK_STREAMS {
            let mut a = answer(100).await;
            assert!(next_frame(&mut a).await.is_some());
            many.push(a);
        }
        let mut done = answer(100).await;
        assert!(next_frame(&mut done).await.is_some());
        tokio::time::sleep(Duration::from_secs(9)).await;
        drop(done);
        tokio::time::sleep(Duration::from_secs(2)).await;
        tokio::time::timeout(Duration::from_millis(1), conn.stalled.notified())
            .await
            .expect("closed past the count of stalled streams");
    }

    #[test]
    fn the_time_allowed_is_the_stall_timeout_or_the_size_at_the_minimum_pace() {
        let stall = Duration::from_secs(10);
        assert_eq!(send_time(1000, stall, 64 << 10), stall);
        assert_eq!(send_time(15 << 20, stall, 64 << 10), Duration::from_secs(240));
        assert_eq!(send_time(15 << 20, stall, 0), Duration::MAX);
    }
}
