//! A generator that runs out of file descriptors (EMFILE) has a problem of its own: the
//! attempts it could not open a socket for are no failure of the target. They are left out of
//! the figures, counted as not sent in the generator's health, and reported with a hint.
//!
//! The limit on open files is per process, and a target in the same process would run out too
//! (its accepts failing would look like a slow target): the target runs in a child process, this
//! test binary started again with `TARGET_ENV` set. Linux only (it reads `/proc/self/fd`).

#![cfg(target_os = "linux")]

use loadgen::{run_live_quiet, LiveOptions};
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::Duration;

const TARGET_ENV: &str = "SPILLWAY_FD_LIMIT_TEST_TARGET";

/// The target, in the child process: answers every request 200 after 500 ms on keep-alive
/// connections; prints its port, and exits when its stdin closes (the parent ended).
#[test]
#[ignore = "the fd-limit test's target process; run by that test"]
fn target_process() {
    if std::env::var_os(TARGET_ENV).is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("PORT {}", listener.local_addr().expect("addr").port());
        let serve = async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    loop {
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if s.write_all(ok).await.is_err() {
                                return;
                            }
                        }
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                });
            }
        };
        let parent_gone = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        });
        tokio::select! {
            _ = serve => {}
            _ = parent_gone => {}
        }
    });
}

/// Sets the soft limit on open files so that exactly `free` more descriptors can be opened;
/// returns the limit it replaced.
fn leave_free(free: usize) -> libc::rlimit {
    let open: std::collections::BTreeSet<usize> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // (The directory's own descriptor was listed too: one more is free than counted.)
    let (mut n, mut left) = (0usize, free);
    while left > 0 {
        if !open.contains(&n) {
            left -= 1;
        }
        n += 1;
    }
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read or write the struct given, on this stack.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0);
        let new = libc::rlimit {
            rlim_cur: n as libc::rlim_t,
            rlim_max: old.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &new), 0);
    }
    old
}

#[test]
fn running_out_of_file_descriptors_is_the_generators_problem_not_the_targets() {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "target_process",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(TARGET_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the target process");
    // The harness prints `test target_process ... ` before the port, on the same line. Read on a
    // thread of its own, so that a target that never starts fails the test instead of hanging it.
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if let Some((_, port)) = line.split_once("PORT ") {
                let _ = tx.send(port.trim().parse::<u16>().ok());
                return;
            }
        }
    });
    let port = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Some(port)) => port,
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the target process did not start");
        }
    };
    let s = model::scenario::parse(
        "test.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 40\n[clients]\ntimeout = \"5s\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n\
         [[thresholds]]\ncheck = \"goodput_ratio >= 0.5\"\n",
    )
    .expect("valid scenario");
    let opts = LiveOptions {
        target: Some(format!("http://127.0.0.1:{port}/x")),
        catch_all: true,
        ..LiveOptions::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Answers take 500 ms, so 40 intents/s need ~20 connections: a dozen descriptors (a few
    // for the run's timers and its check of the target, the rest for sockets) run out.
    let result = rt.block_on(async {
        let old = leave_free(12);
        let r = tokio::time::timeout(
            Duration::from_secs(30),
            run_live_quiet(&s, &opts, std::future::pending()),
        )
        .await;
        // SAFETY: as in `leave_free`.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &old) };
        r
    });
    drop(rt);
    let _ = child.kill();
    let _ = child.wait();
    let r = result.expect("the run ended in time").expect("run succeeds");
    let notes = &r.notes;
    let w = &r.summary.whole;
    let not_sent: u64 = notes.generator_failures.values().sum();
    assert!(not_sent > 0, "{notes:?}");
    assert!(
        notes.generator_failures.keys().any(|why| why.contains("ulimit -Hn")),
        "with a hint: {notes:?}"
    );
    let g = r.generator.as_ref().expect("generator health");
    assert_eq!(g.unsent, not_sent, "counted as not sent: {g:?}");
    assert!(g.lagging, "and the generator flagged: {g:?}");
    assert!(w.offered > 0, "some intents had a socket: {w:?}");
    assert_eq!(
        (w.errors, w.failures, w.successes),
        (0, 0, w.offered),
        "nothing counted against the target: {w:?}"
    );
    // Every intent sent succeeded, yet the load the target saw was not the scenario's: the
    // threshold that held is not judged, and fails (a gate must not pass on it).
    let t = &r.thresholds[0];
    assert!(!t.passed, "{t:?}");
    assert_eq!(
        t.missing.as_deref(),
        Some(
            format!(
                "not judged: the load generator left {not_sent} arrival{} unsent",
                if not_sent == 1 { "" } else { "s" }
            )
            .as_str()
        )
    );
    assert!(
        r.generator_in_doubt(),
        "so the exit is inconclusive (4), not a failure of the target"
    );
    let lines = notes.lines().join("\n");
    assert!(
        lines.contains("could not send") && lines.contains("no failure of the target"),
        "{lines}"
    );
}
