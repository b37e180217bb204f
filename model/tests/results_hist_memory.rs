//! A histogram's header was trusted for memory: hdrhistogram's deserializer allocates the
//! payload length it claims and a counts array sized by its significant digits and range, so a
//! 41-byte string in a results file aborted `report` ("memory allocation of 4294967280 bytes
//! failed") and a 5-digit one took 49 MB per window. Each is now refused from its header, with
//! the allocations of the whole read measured here.
//!
//! The allocator counts the bytes live at once and refuses any single allocation of 1 GiB or
//! more (the process aborts, as `report` did), so a regression fails without using the memory.

use base64::Engine as _;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
const REFUSED_FROM: usize = 1 << 30;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= REFUSED_FROM {
            return std::ptr::null_mut();
        }
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// One measurement at a time: the counters are the process's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What `f` returns, and the most bytes it had allocated at once beyond those live before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst).saturating_sub(before))
}

/// The results file `results_input.rs` builds too, small: one window histogram to replace.
fn results_json() -> String {
    use model::results::{Recorder, RunMeta, Tag};
    use model::scenario::Priority;
    let s = model::scenario::parse(
        "t.toml",
        "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"2s\"\nrate = 10\n\
         [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .expect("valid scenario");
    let mut r = Recorder::for_scenario(&s);
    for i in 0..20u64 {
        let at = model::time::Time(i * 100_000_000);
        let tag = Tag::new(Priority::Interactive, 0);
        r.intent_offered(tag, at);
        r.intent_finished(tag, at, std::time::Duration::from_millis(10), true);
    }
    r.finish(&s, RunMeta::sim("fifo")).to_json()
}

/// Reads the results with `hist` as windows[1]'s intent latency: the error, and the peak bytes.
fn read_with(hist: &str) -> (String, usize) {
    let mut v: serde_json::Value = serde_json::from_str(&results_json()).expect("json");
    v["windows"][1]["histograms"]["intent_latency"] = serde_json::json!(hist);
    let text = v.to_string();
    let (r, peak) = peak_of(|| model::results::Results::from_json("pr/results.json", &text).map(|_| ()));
    (r.expect_err("refused").to_string(), peak)
}

/// A V2 header (40 bytes) and `payload`.
fn v2(payload_len: u32, digits: u32, low: u64, high: u64, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x1c84_9313u32.to_be_bytes());
    b.extend_from_slice(&payload_len.to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes());
    b.extend_from_slice(&digits.to_be_bytes());
    b.extend_from_slice(&low.to_be_bytes());
    b.extend_from_slice(&high.to_be_bytes());
    b.extend_from_slice(&1.0f64.to_be_bytes());
    b.extend_from_slice(payload);
    b
}

/// The compressed envelope around `raw`, its length field `claimed` (`None`: the true one).
fn compressed(raw: &[u8], claimed: Option<u32>) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(raw).expect("deflate");
    let body = z.finish().expect("deflate");
    let mut b = 0x1c84_9314u32.to_be_bytes().to_vec();
    b.extend_from_slice(&claimed.unwrap_or(body.len() as u32).to_be_bytes());
    b.extend_from_slice(&body);
    b
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A read of a results file this small stays well under this; each hostile histogram was
/// 49 MB to 4 GiB.
const SMALL: usize = 4 << 20;

#[test]
fn a_header_claiming_4_gib_of_counts_is_refused_without_allocating_it() {
    let (e, peak) = read_with("HISTE/////AAAAAAAAAAAgAAAAAAAAABAAAAAAAD//8/8AAAAAAAAAI=");
    assert!(peak < SMALL, "{peak} bytes");
    assert!(
        e.contains("windows[1].histograms.intent_latency: histogram header claims 4294967280 bytes of counts"),
        "{e}"
    );
}

#[test]
fn a_compressed_histogram_claiming_gigabytes_is_refused_without_allocating_them() {
    // Counters of 2 digits up to 2^20 take a few hundred bytes; this claims 2.5 GB.
    let raw = v2(2_500_000_000, 2, 1, 1 << 20, &[2, 4, 6]);
    let (e, peak) = read_with(&b64(&compressed(&raw, None)));
    assert!(peak < SMALL, "{peak} bytes");
    assert!(e.contains("histogram header claims 2500000000 bytes of counts"), "{e}");
    // An envelope whose length passes the bytes there are.
    let raw = v2(3, 2, 1, 1 << 20, &[2, 4, 6]);
    let (e, peak) = read_with(&b64(&compressed(&raw, Some(u32::MAX))));
    assert!(peak < SMALL, "{peak} bytes");
    assert!(e.contains("histogram claims 4294967295 compressed bytes"), "{e}");
}

#[test]
fn five_significant_digits_are_refused_without_allocating_their_counts() {
    // 5 digits up to 2^62: 49 MB of counters for every window that held one.
    let (e, peak) = read_with("HISTFAAAACF4nJNpmSzMwMDAygABMJrRAcqw/wCh/2+9w8oEAFckBVg=");
    assert!(peak < SMALL, "{peak} bytes");
    assert!(e.contains("histogram has 5 significant digits: 1 to 3 are read"), "{e}");
}

/// What spillway writes, up to the widest range at its finest precision, still reads.
#[test]
fn histograms_spillway_writes_still_read() {
    use model::results::{Hist, TOTAL_SIGFIG, WINDOW_SIGFIG};
    for digits in [WINDOW_SIGFIG, TOTAL_SIGFIG] {
        let mut h = Hist::new(digits);
        for us in [1u64, 999, 1_000_000, u64::MAX / 2] {
            h.record_us(us);
        }
        let (back, peak) = peak_of(|| Hist::decode(&h.encode()));
        let back = back.expect("decodes");
        // (Compared by figures: a failed `assert_eq!` would print 56,320 counters.)
        assert_eq!(
            (back.len(), back.0.max(), back.0.min()),
            (h.len(), h.0.max(), h.0.min())
        );
        assert!(peak < SMALL, "{peak} bytes");
    }
}
