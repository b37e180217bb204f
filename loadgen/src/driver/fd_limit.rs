//! The open-files limit: raised to the hard one at start, and `--connections` fitted under it.

/// Raises the soft limit on open files to the hard one (as Go's runtime does at start): the
/// common soft limit of 1024 is below the default --connections, and a target that stalls
/// holds a socket per outstanding attempt; arrivals the generator cannot send are load the
/// target never sees. The hard limit is the administrator's, and stays. For the binary, at
/// start: a library user's process is its own to limit (tests lower it on purpose).
pub fn raise_fd_limit() {
    #[cfg(target_os = "linux")]
    if let Some(mut l) = nofile_limit().filter(|l| l.rlim_cur < l.rlim_max) {
        let was = l.rlim_cur;
        l.rlim_cur = l.rlim_max;
        // SAFETY: setrlimit reads the struct it is given, which lives on this stack.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &l) } == 0 {
            tracing::debug!("raised the open-files limit from {was} to {}", l.rlim_max);
        }
    }
}

/// The soft and hard limits on open files, where they can be read.
#[cfg(target_os = "linux")]
fn nofile_limit() -> Option<libc::rlimit> {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, which lives on this stack.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) } == 0).then_some(l)
}

/// The soft limit on open files, where it can be read.
pub(super) fn fd_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        // rlim_t is u64 on 64-bit Linux, narrower on some 32-bit targets.
        #[allow(clippy::useless_conversion)]
        nofile_limit().map(|l| u64::from(l.rlim_cur))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Descriptors that `--connections` leaves to the generator's own use: its runtime and timers,
/// the checks of the target, DNS, the results files.
const FD_RESERVE: u64 = 32;

/// Descriptors a connection takes: one over a socket to a target; four with the in-process
/// stack, whose gateway and mock-legacy share the process and its limit (the generator's socket,
/// the gateway's end of it, the gateway's upstream socket and mock-legacy's end of that).
fn fds_per_connection(in_process: bool) -> u64 {
    if in_process {
        4
    } else {
        1
    }
}

/// The descriptors this process has open, where they can be counted.
fn open_fds() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        // (The directory's own descriptor is among them: one more than before the count.)
        std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as u64)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// `--connections` within what the open-files limit allows: past it, connections fail with
/// "too many open files", their arrivals go unsent and the summary read as a generator short
/// of CPU ("rerun on a quieter machine"). Above it, the cap is lowered to fit, with a warning
/// naming both numbers and the fix (`ulimit -n`); with no room for one connection, refused.
/// Over HTTP/2, `--connections` caps streams, which share a few connections: as given.
pub fn connections_within_fd_limit(requested: u32, in_process: bool, http2: bool) -> Result<u32, model::UsageError> {
    if http2 {
        return Ok(requested);
    }
    let (Some(limit), Some(open)) = (fd_limit(), open_fds()) else {
        return Ok(requested);
    };
    let (cap, warning) =
        fit_connections(requested, limit, open, fds_per_connection(in_process)).map_err(model::UsageError)?;
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    Ok(cap)
}

/// [`connections_within_fd_limit`]'s arithmetic: the cap for `requested` connections of `per`
/// descriptors each under a `limit` with `open` open, and the warning when it is lower.
fn fit_connections(requested: u32, limit: u64, open: u64, per: u64) -> Result<(u32, Option<String>), String> {
    let used = open.saturating_add(FD_RESERVE);
    let room = limit.saturating_sub(used) / per.max(1);
    let each = if per == 1 {
        String::new()
    } else {
        format!(", {per} descriptors each with the in-process stack (its gateway and mock-legacy share this process's limit)")
    };
    let needed = u64::from(requested).saturating_mul(per).saturating_add(used);
    let raise = format!(
        "raise the limit before the run (`ulimit -n {needed}`, within the hard limit `ulimit -Hn`; spillway raises its soft limit to the hard one at start)"
    );
    if room == 0 {
        return Err(format!(
            "--connections: the open-files limit ({limit}, `ulimit -n`) leaves no room for a connection ({open} open, {FD_RESERVE} kept for the generator's own use{each}): {raise}"
        ));
    }
    if u64::from(requested) <= room {
        return Ok((requested, None));
    }
    let cap = u32::try_from(room).unwrap_or(u32::MAX);
    Ok((
        cap,
        Some(format!(
            "--connections {requested} is more than the open-files limit allows: the limit is {limit} (`ulimit -n`), with {open} open and {FD_RESERVE} kept for the generator's own use, which leaves room for {cap} connections{each}; capped at {cap} (the target holds at most {cap} requests at once, the rest wait in the generator, their waits counted in their latency). For {requested}, {raise}"
        )),
    ))
}

#[cfg(test)]
mod tests {
    /// `--connections 2048` under `ulimit -n 200` ran out of descriptors and left arrivals
    /// unsent, with no word before the run: it is capped to what the limit leaves room for,
    /// said with both numbers and the fix; with no room at all, refused.
    #[test]
    fn connections_are_capped_to_the_open_files_limit() {
        use super::{fit_connections, FD_RESERVE};
        assert_eq!(fit_connections(100, 200, 10, 1), Ok((100, None)));
        let room = 200 - 10 - FD_RESERVE;
        let (cap, w) = fit_connections(2048, 200, 10, 1).expect("room for some");
        assert_eq!(u64::from(cap), room);
        let w = w.expect("a warning");
        assert!(
            w.starts_with(&format!("--connections 2048 is more than the open-files limit allows: the limit is 200 (`ulimit -n`), with 10 open and {FD_RESERVE} kept for the generator's own use, which leaves room for {room} connections; capped at {room}")),
            "{w}"
        );
        let needed = 2048 + 10 + FD_RESERVE;
        assert!(
            w.contains(&format!(
                "For 2048, raise the limit before the run (`ulimit -n {needed}`"
            )),
            "{w}"
        );
        // In-process, each connection takes four.
        let (cap, w) = fit_connections(2048, 1024, 10, 4).expect("room for some");
        assert_eq!(u64::from(cap), (1024 - 10 - FD_RESERVE) / 4);
        assert!(w
            .expect("a warning")
            .contains("4 descriptors each with the in-process stack"));
        let e = fit_connections(10, 40, 10, 1).unwrap_err();
        assert!(
            e.starts_with("--connections: the open-files limit (40, `ulimit -n`) leaves no room"),
            "{e}"
        );
    }

    /// The binary raises the soft limit on open files to the hard one at start.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_one() {
        use super::{fd_limit, raise_fd_limit};
        let get = || {
            let mut l = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes the struct given, on this stack.
            assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) }, 0);
            l
        };
        let hard = get().rlim_max;
        // One below the hard limit first, so the raise has something to do.
        let lowered = libc::rlimit {
            rlim_cur: hard - 1,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct given, on this stack.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
        raise_fd_limit();
        assert_eq!((get().rlim_cur, get().rlim_max), (hard, hard));
        #[allow(clippy::useless_conversion)]
        let hard = u64::from(hard);
        assert_eq!(fd_limit(), Some(hard));
    }
}
