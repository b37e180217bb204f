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
//!   service is neither paused nor retried for the gateway's lack of memory. The bytes go
//!   back once written to the client's socket, or when the client has gone; over h2c, once h2
//!   lets go of the pieces it was handed ([`Piece`]), which it keeps in its send buffer until
//!   the stream's window lets them out.
//! - A minimum pace for taking an answer: all of it within
//!   `max(stall timeout, size / min rate)` ([`send_time`], `--min-send-rate`), on top of the
//!   stall timeout for each write (HTTP/1.1) or for hyper to take a piece (h2c). A client past
//!   either is cut off (HTTP/1.1: the connection closes; h2c: the stream's answer is dropped
//!   and the stream reset), and its bytes go back to the budget. Over h2c, what hyper and h2
//!   hold is judged with its connection instead ([`ConnAnswers::too_slow`]): closed when it
//!   does not write them at the pace, and bounded in bytes ([`ConnAnswers::cap`]).

use bytes::{Buf, Bytes};
use std::collections::{BinaryHeap, VecDeque};
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
    /// Small h2c answers handed to hyper's streams, soonest due first: each is cut off at its
    /// instant if it has not moved since ([`reap`]).
    small: Mutex<BinaryHeap<Due>>,
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
            small: Mutex::new(BinaryHeap::new()),
            reaping: AtomicBool::new(false),
        })
    }

    /// Watches a small answer: one task for all of them ([`reap`]), not one each (an answer
    /// of a few KiB is sent at once, nearly always).
    fn watch_small(self: &Arc<Self>, answer: &Arc<Answer>, at: Instant) {
        self.small.lock().unwrap_or_else(|e| e.into_inner()).push(Due {
            at,
            answer: Arc::downgrade(answer),
        });
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

    /// Takes `n` bytes whether or not they fit: memory already spent (a copy made where
    /// nothing can wait), counted so that the budget sees it and refuses what comes next.
    fn take_anyway(&self, n: usize) {
        self.held.fetch_add(n, Ordering::AcqRel);
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

    /// Its bytes, which the caller now holds (and gives back) in its place.
    fn hand_over(&mut self) -> usize {
        std::mem::take(&mut self.bytes)
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
/// Copies, not slices: a slice would keep the whole answer alive for as long as hyper or h2
/// holds it, which is until the connection closes when the client's window never opens.
const H2_CHUNK: usize = 16 * 1024;

/// An h2c answer's body. hyper takes a piece, waits for the stream's flow-control window to
/// have room, hands the piece to h2, and asks for the next; h2 keeps what the window does not
/// let out yet in its send buffer. The answer's bytes stay counted in the budget until the
/// last of it is written, here, in hyper or in h2 ([`Piece`]).
///
/// Two judges, by where the bytes wait:
/// - What the body still has, which waits for its own stream: a watchdog cuts the answer off
///   when no piece has been taken or written for the stall timeout, or it is not all taken
///   within [`send_time`] ([`Answer::expire`]): its bytes here go, and its stream is reset.
/// - What hyper and h2 hold, which waits behind the connection's other streams as much as for
///   its own window: judged by its connection ([`ConnAnswers::too_slow`]), closed when it does
///   not write at the minimum pace, and bounded in bytes ([`ConnAnswers::cap`]). Judged one by
///   one, 300 small answers queued on one slow but steady link were cut off after the stall
///   timeout though bytes flowed at 4 times the pace.
pub enum AnswerBody {
    /// Nothing to give back: no hold (the gateway's own answers).
    Whole(Option<Bytes>),
    Pieces(Arc<Answer>),
}

/// What one h2c connection's pieces may hold at least, whatever the answer memory: a few
/// dozen answers of 16 KiB in flight on one connection.
const MIN_CONN_CAP: usize = 1 << 20;

/// One h2c connection's answers in hyper's and h2's hands, judged together: the bytes their
/// pieces hold (at most [`ConnAnswers::cap`]), the bytes written of them, and the bodies
/// waiting for room under the cap.
pub struct ConnAnswers {
    budget: Arc<AnswerBudget>,
    /// Budget bytes of the pieces hyper and h2 hold.
    held: AtomicUsize,
    cap: usize,
    /// Bytes of the pieces written to the socket, all told: the only progress that counts (a
    /// stream that ends or is reset is not one; a client resetting a stream every few seconds
    /// kept a connection holding 25 MiB alive).
    written: AtomicU64,
    /// Times `held` has left 0: a pace window in which it did starts again.
    busy: AtomicU64,
    /// Told when `held` leaves 0.
    holding: Notify,
    /// Answers with pieces in hyper's or h2's hands, not cut off: cut off if the connection is.
    answers: AtomicU64,
    /// Bodies waiting for room under the cap, oldest first.
    waiting: Mutex<VecDeque<Weak<Answer>>>,
}

impl ConnAnswers {
    pub fn new(budget: &Arc<AnswerBudget>) -> Arc<ConnAnswers> {
        Arc::new(ConnAnswers {
            budget: budget.clone(),
            held: AtomicUsize::new(0),
            // A sixteenth of the memory: one connection cannot hold all of it in h2's buffers
            // (a client that stopped reading held 63 answers of 400 KiB each, 25 MiB).
            cap: MIN_CONN_CAP.max(budget.limit / 16),
            written: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            holding: Notify::new(),
            answers: AtomicU64::new(0),
            waiting: Mutex::new(VecDeque::new()),
        })
    }

    /// The most the connection's pieces may hold, in budget bytes: past it a body's next piece
    /// waits until some are written (or the connection is closed for its pace).
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Budget bytes its pieces hold now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Counts a piece of `n` bytes if it fits under the cap (always when nothing is held, so
    /// that one piece larger than the cap still goes); else queues `answer` to be woken when
    /// pieces go (once: `queued` says it already is).
    fn reserve_or_wait(&self, n: usize, answer: &Arc<Answer>, queued: bool) -> bool {
        // Tried under the lock that release wakes under: room made between the try and the
        // queueing still wakes it.
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let took = self.held.fetch_update(Ordering::AcqRel, Ordering::Acquire, |h| {
            (h == 0 || h.saturating_add(n) <= self.cap).then_some(h.saturating_add(n))
        });
        match took {
            Ok(before) => {
                if before == 0 {
                    self.busy.fetch_add(1, Ordering::AcqRel);
                    self.holding.notify_one();
                }
                true
            }
            Err(_) => {
                if !queued {
                    waiting.push_back(Arc::downgrade(answer));
                }
                false
            }
        }
    }

    /// A piece of `n` bytes gone: wakes about as many waiting bodies as it made room for.
    fn release(&self, n: usize) {
        self.held.fetch_sub(n, Ordering::AcqRel);
        let woken: Vec<Arc<Answer>> = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            let mut woken = Vec::new();
            // Not all of them: thousands of bodies woken for each piece written, each to find
            // room for one.
            while woken.len() <= n / H2_CHUNK {
                let Some(w) = waiting.pop_front() else { break };
                woken.extend(w.upgrade());
            }
            woken
        };
        for a in woken {
            let waker = {
                let mut p = lock(&a.state);
                p.blocked = false;
                p.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    /// Resolves when the connection is too slow: it has held bytes in hyper's and h2's hands
    /// for a whole stall timeout and written fewer of them than it held at its start, or than
    /// `min_rate` for that long (at least a byte). Its answers are counted as cut off; the
    /// caller closes it, which lets every piece go. A connection writing steadily at the pace
    /// keeps all of its answers, however long they queue. Windows of a stall timeout, one after
    /// another: one in which nothing was held at some point is not judged.
    pub async fn too_slow(&self, stall: Duration, min_rate: u64) {
        let stall = stall.max(Duration::from_millis(1));
        let pace = (min_rate as f64 * stall.as_secs_f64()) as u64;
        loop {
            if self.held() == 0 {
                self.holding.notified().await;
                continue;
            }
            let (busy, written, held) = (
                self.busy.load(Ordering::Acquire),
                self.written.load(Ordering::Acquire),
                self.held() as u64,
            );
            tokio::time::sleep(stall).await;
            if self.held() == 0 || self.busy.load(Ordering::Acquire) != busy {
                continue;
            }
            let wrote = self.written.load(Ordering::Acquire).wrapping_sub(written);
            if wrote < held.min(pace).max(1) {
                let n = self.answers.load(Ordering::Relaxed).max(1);
                self.budget.cut_off.fetch_add(n, Ordering::Relaxed);
                return;
            }
        }
    }
}

/// An h2c answer on its way to the client: shared by its body and by the pieces of it that
/// hyper and h2 hold, watched (weakly) by its watchdog. It goes with the last of them: all of it
/// written, or its stream gone.
pub struct Answer {
    budget: Arc<AnswerBudget>,
    conn: Arc<ConnAnswers>,
    stall: Duration,
    start: Instant,
    /// All of it is to be taken by then ([`send_time`]; none: no pace).
    end: Option<Instant>,
    /// Milliseconds from `start` to the answer's last move: a piece taken or some of one
    /// written.
    last_progress_ms: AtomicU64,
    state: Mutex<Pieces>,
}

/// What of an answer its body still has.
struct Pieces {
    left: Bytes,
    /// Nothing handed to hyper yet (a small answer goes in one piece, without a copy).
    untouched: bool,
    /// The bytes of `left`'s allocation (the pieces count their own).
    hold: AnswerHold,
    expired: bool,
    /// Waiting for room under its connection's cap, to be woken by `waker`: the connection's
    /// pace judges it meanwhile, not its own watchdog.
    blocked: bool,
    waker: Option<std::task::Waker>,
}

impl Pieces {
    /// All of it handed to hyper: the connection judges it now.
    fn handed(&self) -> bool {
        !self.untouched && self.left.is_empty()
    }
}

impl Answer {
    /// The answer moved.
    fn moved(&self) {
        let ms = Instant::now().saturating_duration_since(self.start).as_millis();
        self.last_progress_ms
            .fetch_max(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// When its body is cut off if it does not move before.
    fn due(&self) -> Instant {
        let last = self.start + Duration::from_millis(self.last_progress_ms.load(Ordering::Relaxed));
        let stalled = last + self.stall;
        self.end.map_or(stalled, |e| e.min(stalled))
    }

    /// What its watchdog does at `now`: `Some(at)` to look again then; none when done with it
    /// (cut off now, or no longer its to judge).
    fn judge(&self, now: Instant) -> Option<Instant> {
        let mut p = lock(&self.state);
        if p.expired || p.handed() {
            return None;
        }
        if p.blocked {
            // Waiting for its connection, which is judged by its pace.
            return Some(now + self.stall.max(Duration::from_millis(1)));
        }
        let at = self.due();
        if now < at {
            return Some(at);
        }
        self.expire(&mut p);
        None
    }

    /// Cuts the answer off: its bytes here go, and hyper resets its stream when it next asks
    /// for a piece. What hyper and h2 hold of it is counted in those pieces, and judged with its
    /// connection, until they go.
    fn expire(&self, p: &mut Pieces) {
        p.left = Bytes::new();
        p.hold.shrink_to(0);
        p.expired = true;
        if !p.untouched {
            self.conn.answers.fetch_sub(1, Ordering::Relaxed);
        }
        self.budget.cut_off.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        let p = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if !p.untouched && !p.expired {
            self.conn.answers.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A piece of an h2c answer as hyper and h2 hold it (the body's `Data`): its bytes stay in the
/// budget, and in its connection's count, until h2 drops it, once it is written or its stream
/// has gone. Before, they went back when hyper dropped the body, as soon as it had handed the
/// last piece to h2: with a window of a byte, h2 kept nearly all of every answer (up to 16 KiB
/// a stream, 65,536 streams a connection) in its send buffer, unseen by `--answer-memory`.
pub struct Piece {
    data: Bytes,
    /// Budget bytes it gives back when dropped: its own (a copy), or its answer's allocation
    /// (a small answer, handed over whole).
    counted: usize,
    /// None: the gateway's own answers, which hold nothing.
    answer: Option<Arc<Answer>>,
}

impl std::fmt::Debug for Piece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Piece({} bytes, {} counted)", self.data.len(), self.counted)
    }
}

impl Buf for Piece {
    fn remaining(&self) -> usize {
        self.data.len()
    }

    fn chunk(&self) -> &[u8] {
        &self.data
    }

    fn advance(&mut self, n: usize) {
        self.data.advance(n);
        // h2 advances a piece as it writes it: its answer moves, and its connection writes.
        if let Some(a) = self.answer.as_ref().filter(|_| n > 0) {
            a.moved();
            a.conn.written.fetch_add(n as u64, Ordering::AcqRel);
        }
    }
}

impl Drop for Piece {
    fn drop(&mut self) {
        if let Some(a) = &self.answer {
            a.budget.give_back(self.counted);
            a.conn.release(self.counted);
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
        let Some(hold) = held.and_then(|h| Arc::try_unwrap(h.0).ok()) else {
            return AnswerBody::Whole(Some(data));
        };
        let budget = hold.budget.clone();
        let small = data.len() <= H2_CHUNK;
        let start = Instant::now();
        let answer = Arc::new(Answer {
            budget: budget.clone(),
            conn: conn.clone(),
            stall,
            start,
            end: start.checked_add(send_time(data.len(), stall, min_rate)),
            last_progress_ms: AtomicU64::new(0),
            state: Mutex::new(Pieces {
                left: data,
                untouched: true,
                hold,
                expired: false,
                blocked: false,
                waker: None,
            }),
        });
        if small {
            budget.watch_small(&answer, answer.due());
        } else {
            tokio::spawn(watch(Arc::downgrade(&answer)));
        }
        AnswerBody::Pieces(answer)
    }
}

/// A small answer watched by [`reap`], at the instant it is due.
struct Due {
    at: Instant,
    answer: Weak<Answer>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    /// Reversed: the soonest is the greatest, on top of the heap.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.at.cmp(&self.at)
    }
}

/// Cuts off the small answers of `budget` whose bodies still have them, unmoved, at their
/// time (see [`AnswerBudget::watch_small`]): one still here waits for hyper to take it. One
/// handed to hyper is its connection's to judge; one waiting for room under its connection's
/// cap is looked at again later. Ends with the budget.
async fn reap(budget: Weak<AnswerBudget>) {
    loop {
        let next = {
            let Some(b) = budget.upgrade() else { return };
            let mut q = b.small.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            while q.peek().is_some_and(|d| d.at <= now) {
                let Some(d) = q.pop() else { break };
                let Some(a) = d.answer.upgrade() else { continue };
                // Later than now, or none: the loop ends.
                if let Some(at) = a.judge(now) {
                    q.push(Due { at, answer: d.answer });
                }
            }
            q.peek().map(|d| d.at)
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

/// Cuts off a large h2c answer whose body its client is not taking (see [`AnswerBody`]):
/// watched until its last piece is handed to hyper (its connection judges it from then on), or
/// it is cut off.
async fn watch(answer: Weak<Answer>) {
    let mut at = Instant::now();
    loop {
        tokio::time::sleep_until(at).await;
        let Some(a) = answer.upgrade() else { return };
        match a.judge(Instant::now()) {
            Some(next) => at = next,
            None => return,
        }
    }
}

/// Why an h2c answer was not sent whole.
#[derive(Debug, thiserror::Error)]
#[error("the client did not take its answer in time")]
pub struct TooSlow;

impl hyper::body::Body for AnswerBody {
    type Data = Piece;
    type Error = TooSlow;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Piece>, TooSlow>>> {
        match self.get_mut() {
            AnswerBody::Whole(data) => Poll::Ready(data.take().map(|data| {
                Ok(hyper::body::Frame::data(Piece {
                    data,
                    counted: 0,
                    answer: None,
                }))
            })),
            AnswerBody::Pieces(a) => {
                let mut p = lock(&a.state);
                if p.expired {
                    return Poll::Ready(Some(Err(TooSlow)));
                }
                if p.left.is_empty() {
                    return Poll::Ready(None);
                }
                let n = p.left.len().min(H2_CHUNK);
                let whole = p.untouched && n == p.left.len();
                let counted = if whole { p.hold.bytes() } else { n };
                // Room under the connection's cap first: past it, the body waits for pieces to
                // be written, and the connection's pace judges the wait.
                let queued = p.blocked;
                if !a.conn.reserve_or_wait(counted, a, queued) {
                    p.blocked = true;
                    p.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                p.blocked = false;
                p.waker = None;
                let data = if whole {
                    // A small answer whole, as it is: its allocation's bytes go with it.
                    p.hold.hand_over();
                    std::mem::take(&mut p.left)
                } else {
                    let piece = Bytes::copy_from_slice(&p.left[..n]);
                    p.left.advance(n);
                    // A copy is memory of its own, counted as it is made (hyper's poll cannot
                    // wait for room): the budget may pass its limit by the pieces hyper and h2
                    // hold of the answers being written, and refuses new ones meanwhile.
                    a.budget.take_anyway(n);
                    piece
                };
                if p.untouched {
                    a.conn.answers.fetch_add(1, Ordering::Relaxed);
                }
                a.moved();
                p.untouched = false;
                if p.left.is_empty() {
                    // The answer's own allocation goes; hyper and h2 hold copies of its end,
                    // counted in them.
                    p.left = Bytes::new();
                    p.hold.shrink_to(0);
                }
                drop(p);
                let piece = Piece {
                    data,
                    counted,
                    answer: Some(a.clone()),
                };
                Poll::Ready(Some(Ok(hyper::body::Frame::data(piece))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            AnswerBody::Whole(data) => data.as_ref().is_none_or(Bytes::is_empty),
            AnswerBody::Pieces(a) => {
                let p = lock(&a.state);
                !p.expired && p.left.is_empty()
            }
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        let n = match self {
            AnswerBody::Whole(data) => data.as_ref().map_or(0, Bytes::len),
            AnswerBody::Pieces(a) => lock(&a.state).left.len(),
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

    async fn next_frame(body: &mut AnswerBody) -> Option<Result<hyper::body::Frame<Piece>, TooSlow>> {
        use hyper::body::Body as _;
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await
    }

    /// The next piece of `body`, as hyper takes it.
    async fn next_piece(body: &mut AnswerBody) -> Piece {
        let frame = next_frame(body).await.expect("a frame").expect("not cut off");
        frame.into_data().expect("data")
    }

    /// An h2c answer of `n` bytes on `conn`, its hold taken from `b`.
    async fn answer(
        b: &Arc<AnswerBudget>,
        n: usize,
        stall: Duration,
        min_rate: u64,
        conn: &Arc<ConnAnswers>,
    ) -> AnswerBody {
        let mut h = b.hold();
        assert!(h.grow_to(n, Duration::ZERO).await);
        let held = Some(HeldAnswer(Arc::new(h)));
        AnswerBody::new(Bytes::from(vec![7u8; n]), held, stall, min_rate, conn)
    }

    /// Watches `conn`'s pace in a task of its own: finished once it is too slow.
    fn judge(conn: &Arc<ConnAnswers>, stall: Duration, min_rate: u64) -> tokio::task::JoinHandle<()> {
        let conn = conn.clone();
        tokio::spawn(async move { conn.too_slow(stall, min_rate).await })
    }

    /// A small answer its body still has by the stall timeout is cut off (an h2c client with a
    /// window of 0: thousands of its streams on one connection held all of the budget, and
    /// every other client got 503; robustness review, stop 64): its bytes go back at once.
    /// One taken by hyper (which holds it until the window opens) is its connection's to judge:
    /// the connection, which wrote nothing of it, is too slow, and its closing lets the piece
    /// go. One sent at once (its body and piece dropped) is left alone.
    #[tokio::test(start_paused = true)]
    async fn a_small_answer_its_stream_still_has_is_cut_off() {
        let b = AnswerBudget::new(1 << 20);
        let stall = Duration::from_secs(10);
        let (conn, other) = (ConnAnswers::new(&b), ConnAnswers::new(&b));
        let (slow, fine) = (judge(&conn, stall, 64 << 10), judge(&other, stall, 64 << 10));
        let mut unpolled = answer(&b, 16_000, stall, 64 << 10, &conn).await;
        let mut in_hyper = answer(&b, 1_000, stall, 64 << 10, &conn).await;
        let mut sent = answer(&b, 100, stall, 64 << 10, &other).await;
        let mut pieces = Vec::new();
        for body in [&mut in_hyper, &mut sent] {
            let piece = next_piece(body).await;
            assert!(piece.remaining() < H2_CHUNK, "all of it in one piece");
            assert!(hyper::body::Body::is_end_stream(&*body));
            pieces.push(piece);
        }
        // Written and let go, its body dropped.
        let mut written = pieces.pop().expect("sent's piece");
        written.advance(written.remaining());
        drop((written, sent));
        assert_eq!((b.held(), conn.held(), other.held()), (17_000, 1_000, 0));
        tokio::time::sleep(Duration::from_secs(9)).await;
        assert_eq!((b.held(), b.cut_off.load(Ordering::Relaxed)), (17_000, 0), "not yet");
        assert!(!slow.is_finished());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(slow.is_finished(), "the connection wrote nothing of what it held");
        assert!(!fine.is_finished());
        assert_eq!((b.held(), b.cut_off.load(Ordering::Relaxed)), (1_000, 2));
        assert!(
            matches!(next_frame(&mut unpolled).await, Some(Err(TooSlow))),
            "its stream is reset"
        );
        drop(in_hyper);
        assert_eq!(b.held(), 1_000, "counted while hyper holds the piece");
        drop(pieces);
        assert_eq!((b.held(), conn.held()), (0, 0));
        fine.abort();
    }

    /// hyper drops a small answer's body once it has handed the piece to h2, which keeps it
    /// while the stream's window is shut (a window of 1 byte: all but that byte). Its bytes stay
    /// counted until h2 lets the piece go, and its connection is judged by what it writes: a
    /// byte of 1,000 in a stall timeout is too slow. Before, they went back with the body, and
    /// h2 held up to 16 KiB a stream that the budget did not see. Without a pace, a byte every
    /// 5 s keeps the connection; none for a stall timeout closes it.
    #[tokio::test(start_paused = true)]
    async fn a_piece_h2_holds_stays_counted_and_its_connection_judged_after_its_body_has_gone() {
        let b = AnswerBudget::new(1 << 20);
        let stall = Duration::from_secs(10);
        let conn = ConnAnswers::new(&b);
        let slow = judge(&conn, stall, 64 << 10);
        let mut body = answer(&b, 1_000, stall, 64 << 10, &conn).await;
        let mut piece = next_piece(&mut body).await;
        assert!(hyper::body::Body::is_end_stream(&body));
        drop(body);
        piece.advance(1);
        assert_eq!((b.held(), piece.remaining()), (1_000, 999), "all of it still in memory");
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert!(slow.is_finished(), "a byte in 10 s, under the pace");
        assert_eq!(b.cut_off.load(Ordering::Relaxed), 1);
        assert_eq!(b.held(), 1_000, "counted until h2 lets it go");
        drop(piece);
        assert_eq!((b.held(), conn.held()), (0, 0));

        let conn = ConnAnswers::new(&b);
        let slow = judge(&conn, stall, 0);
        let mut body = answer(&b, 1_000, stall, 0, &conn).await;
        let mut piece = next_piece(&mut body).await;
        drop(body);
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_secs(5)).await;
            piece.advance(1);
        }
        assert!(!slow.is_finished(), "moving for 30 s: kept");
        tokio::time::sleep(Duration::from_secs(21)).await;
        assert!(slow.is_finished(), "no byte for a whole stall timeout");
        assert_eq!(b.cut_off.load(Ordering::Relaxed), 2);
        drop(piece);
        assert_eq!(b.held(), 0);
    }

    /// A large answer is handed to hyper in copies: each counted from when it is made until h2
    /// lets it go, on top of the answer's own allocation while that lives (until its last piece
    /// is copied). Nothing counted twice, nothing left once all is let go; and its last pieces,
    /// in h2 after the body has gone, are judged with their connection.
    #[tokio::test(start_paused = true)]
    async fn a_large_answers_copies_are_counted_until_h2_lets_them_go() {
        const N: usize = 40_000;
        let b = AnswerBudget::new(1 << 20);
        let stall = Duration::from_secs(10);
        let conn = ConnAnswers::new(&b);
        let slow = judge(&conn, stall, 64 << 10);
        let mut body = answer(&b, N, stall, 64 << 10, &conn).await;
        let first = next_piece(&mut body).await;
        assert_eq!((first.remaining(), b.held()), (H2_CHUNK, N + H2_CHUNK));
        let second = next_piece(&mut body).await;
        assert_eq!((b.held(), conn.held()), (N + 2 * H2_CHUNK, 2 * H2_CHUNK));
        drop(first);
        assert_eq!(b.held(), N + H2_CHUNK);
        let last = next_piece(&mut body).await;
        assert_eq!(last.remaining(), N - 2 * H2_CHUNK);
        assert!(hyper::body::Body::is_end_stream(&body));
        assert_eq!(b.held(), H2_CHUNK + (N - 2 * H2_CHUNK), "the answer's own bytes gone");
        drop(body);
        assert_eq!(b.held(), N - H2_CHUNK, "the copies h2 holds");
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert!(slow.is_finished());
        assert_eq!(b.cut_off.load(Ordering::Relaxed), 1);
        drop((second, last));
        assert_eq!((b.held(), conn.held()), (0, 0));
    }

    /// The review's slow link: one connection, 300 answers of 16 KiB queued in h2 at once,
    /// written at 250 KB/s (about 20 s for all, 4 times the minimum pace). No answer is cut
    /// off and the connection is kept, though most wait in h2 far longer than the stall
    /// timeout: the connection is judged, not the answer. Before, each had to be written
    /// within 10 s of arriving: about 150 were cut off, and the connection closed at 64.
    /// Stopping, it is closed within two stall timeouts.
    #[tokio::test(start_paused = true)]
    async fn many_answers_queued_on_a_connection_that_writes_steadily_are_not_cut_off() {
        const ANSWERS: usize = 300;
        let b = AnswerBudget::new(128 << 20);
        let stall = Duration::from_secs(10);
        let conn = ConnAnswers::new(&b);
        let slow = judge(&conn, stall, 64 << 10);
        let mut queued = std::collections::VecDeque::new();
        for _ in 0..ANSWERS {
            let mut body = answer(&b, H2_CHUNK, stall, 64 << 10, &conn).await;
            queued.push_back(next_piece(&mut body).await);
        }
        assert_eq!(conn.held(), ANSWERS * H2_CHUNK, "under the cap: all handed to h2");
        // 25,000 bytes every 100 ms, oldest first, as h2 writes them; bounded to 60 s.
        for _ in 0..600 {
            if queued.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut budget = 25_000;
            while budget > 0 {
                let Some(piece) = queued.front_mut() else { break };
                let n = piece.remaining().min(budget);
                piece.advance(n);
                budget -= n;
                if piece.remaining() == 0 {
                    queued.pop_front();
                }
            }
        }
        assert!(queued.is_empty(), "all written");
        assert!(!slow.is_finished(), "written at the pace: kept");
        assert_eq!((b.cut_off.load(Ordering::Relaxed), b.held()), (0, 0));

        // The same connection stops writing with answers held: closed.
        let mut body = answer(&b, H2_CHUNK, stall, 64 << 10, &conn).await;
        let piece = next_piece(&mut body).await;
        tokio::time::sleep(Duration::from_secs(21)).await;
        assert!(slow.is_finished());
        drop((piece, body));
        assert_eq!(b.held(), 0);
    }

    /// Streams that end or are reset are no progress: a connection whose held pieces are not
    /// written, while it asks for an answer and resets its stream every 3 s, is too slow at
    /// the stall timeout (before, each stream's end counted as progress and the check ran only
    /// when an answer was cut off: one such connection held 25 MiB for as long as it liked).
    #[tokio::test(start_paused = true)]
    async fn resetting_streams_is_no_progress() {
        let b = AnswerBudget::new(128 << 20);
        let stall = Duration::from_secs(10);
        let conn = ConnAnswers::new(&b);
        let slow = judge(&conn, stall, 64 << 10);
        let mut big = answer(&b, 4 * H2_CHUNK, stall, 64 << 10, &conn).await;
        let mut stuck = Vec::new();
        for _ in 0..4 {
            stuck.push(next_piece(&mut big).await);
        }
        drop(big);
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            // A request whose stream is reset as its answer comes: piece and body dropped.
            let mut reset = answer(&b, 1_000, stall, 64 << 10, &conn).await;
            drop(next_piece(&mut reset).await);
        }
        assert!(!slow.is_finished(), "not before the stall timeout");
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        assert!(slow.is_finished(), "closed at the stall timeout");
        assert!(b.cut_off.load(Ordering::Relaxed) >= 1);
        drop(stuck);
        assert_eq!((b.held(), conn.held()), (0, 0));
    }

    struct Woken(AtomicBool);

    impl std::task::Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    /// A connection's pieces in hyper and h2 hold at most its cap (a sixteenth of the memory,
    /// 1 MiB at least): past it a body waits, its answer not cut off meanwhile (its connection
    /// is judged), and is woken when a piece goes. Another connection's answers are taken all
    /// the while. Before, one connection that stopped reading held 25 MiB in h2's buffers.
    #[tokio::test(start_paused = true)]
    async fn a_connections_pieces_hold_at_most_its_cap() {
        const SIZE: usize = 16_000;
        let b = AnswerBudget::new(16 << 20);
        let stall = Duration::from_secs(10);
        let (conn, other) = (ConnAnswers::new(&b), ConnAnswers::new(&b));
        assert_eq!(conn.cap(), 1 << 20);
        let fits = conn.cap() / SIZE;
        let mut pieces = Vec::new();
        for _ in 0..fits {
            let mut body = answer(&b, SIZE, stall, 64 << 10, &conn).await;
            pieces.push(next_piece(&mut body).await);
        }
        let mut waiting = answer(&b, SIZE, stall, 64 << 10, &conn).await;
        let woken = Arc::new(Woken(AtomicBool::new(false)));
        let waker = std::task::Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        let poll = |body: &mut AnswerBody, cx: &mut Context<'_>| match hyper::body::Body::poll_frame(
            std::pin::Pin::new(body),
            cx,
        ) {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().ok(),
            _ => None,
        };
        assert!(poll(&mut waiting, &mut cx).is_none(), "past the cap: it waits");
        assert_eq!(conn.held(), fits * SIZE);
        // Another connection is not held back.
        let mut elsewhere = answer(&b, SIZE, stall, 64 << 10, &other).await;
        drop(next_piece(&mut elsewhere).await);
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(b.cut_off.load(Ordering::Relaxed), 0, "waiting for its connection");
        assert!(!woken.0.load(Ordering::Relaxed));
        drop(pieces.pop());
        assert!(woken.0.load(Ordering::Relaxed), "woken when a piece goes");
        let taken = poll(&mut waiting, &mut cx);
        assert!(taken.is_some(), "room for it now");
        assert_eq!(conn.held(), fits * SIZE);
        drop((pieces, taken));
        drop(waiting);
        assert_eq!((b.held(), conn.held()), (0, 0));
    }

    #[test]
    fn the_time_allowed_is_the_stall_timeout_or_the_size_at_the_minimum_pace() {
        let stall = Duration::from_secs(10);
        assert_eq!(send_time(1000, stall, 64 << 10), stall);
        assert_eq!(send_time(15 << 20, stall, 64 << 10), Duration::from_secs(240));
        assert_eq!(send_time(15 << 20, stall, 0), Duration::MAX);
    }
}
