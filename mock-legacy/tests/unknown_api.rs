//! A 404 for an unknown API allocates what its message needs, not a copy of the service's API
//! names: with 100,000 APIs that copy (about 3 MB), made under the service's lock, took 5 to 18
//! ms a 404 and held up the service's requests. Alone in its test binary: the allocator counts
//! the whole process's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes it hands out.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator as it came.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size.saturating_sub(layout.size()), Ordering::Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

#[tokio::test]
async fn a_404_for_an_unknown_api_copies_no_list_of_apis() {
    let s = model::scenario::parse(
        "test.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\napis = 100000\nworkers = 1\nservice_time = \"1ms\"\n",
    )
    .expect("valid scenario");
    let ml = mock_legacy::start(&s, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .expect("server starts");
    let c = mock_legacy::testing::client();
    let url = format!("{}/svc/no-such-api", ml.url());
    // The first opens the connection.
    let first = mock_legacy::testing::get(&c, &url).await.expect("a 404");
    assert_eq!(first.status, 404, "{first:?}");
    assert!(first.body.contains("(100000 APIs)"), "{}", first.body);
    let before = ALLOCATED.load(Ordering::Relaxed);
    let again = mock_legacy::testing::get(&c, &url).await.expect("a 404");
    let bytes = ALLOCATED.load(Ordering::Relaxed) - before;
    assert_eq!(again.status, 404, "{again:?}");
    assert!(again.body.contains("(100000 APIs)"), "{}", again.body);
    assert!(bytes < 1 << 20, "{bytes} bytes allocated for one 404");
    ml.shutdown().await;
}
