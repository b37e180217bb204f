//! The timer that paces the open-loop schedule.
//!
//! tokio's timer wheel has 1 ms resolution, far too coarse for arrivals microseconds apart.
//! On Linux a `timerfd` (nanosecond resolution, no timer slack) registered with the runtime's
//! own reactor wakes the dispatch task directly: an arrival costs no thread hand-off, and the
//! worker that wakes for it also sends its request. Elsewhere the precise-timer thread of
//! `mock_legacy::timer` does the job with one hand-off per wake.

use std::time::Instant;

#[cfg(target_os = "linux")]
pub struct SendTimer {
    fd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

#[cfg(target_os = "linux")]
impl SendTimer {
    /// Must be called within the tokio runtime that will await it.
    pub fn new() -> std::io::Result<SendTimer> {
        use std::os::fd::FromRawFd as _;
        // SAFETY: plain syscall; the descriptor is checked and then owned by `OwnedFd`.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh, valid descriptor that nothing else owns.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        // SAFETY: `OwnedFd` owns the descriptor and keeps it open for as long as the AsyncFd
        // holds it; nothing else closes or replaces it.
        let fd = unsafe { tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }?;
        Ok(SendTimer { fd })
    }

    /// Completes at `at` or just after (never before).
    pub async fn sleep_until(&self, at: Instant) -> std::io::Result<()> {
        use std::os::fd::AsRawFd as _;
        let wait = at.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return Ok(());
        }
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec {
                tv_sec: libc::time_t::try_from(wait.as_secs()).unwrap_or(libc::time_t::MAX),
                // At least 1 ns: a zero it_value would disarm the timer.
                tv_nsec: wait.subsec_nanos().max(1) as libc::c_long,
            },
        };
        let fd = self.fd.get_ref().as_raw_fd();
        // SAFETY: `fd` is our open timerfd and `spec` a valid itimerspec.
        if unsafe { libc::timerfd_settime(fd, 0, &spec, std::ptr::null_mut()) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        loop {
            let mut ready = self.fd.readable().await?;
            let mut expirations = [0u8; 8];
            // SAFETY: reads at most 8 bytes into a buffer of 8.
            let read = ready.try_io(|fd| {
                let n = unsafe { libc::read(fd.as_raw_fd(), expirations.as_mut_ptr().cast(), 8) };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            match read {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => return Err(e),
                // Not expired yet (a stale readiness): wait again.
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub struct SendTimer {
    timer: mock_legacy::timer::PreciseTimer,
}

#[cfg(not(target_os = "linux"))]
impl SendTimer {
    pub fn new() -> std::io::Result<SendTimer> {
        Ok(SendTimer {
            timer: mock_legacy::timer::PreciseTimer::new()?,
        })
    }

    pub async fn sleep_until(&self, at: Instant) -> std::io::Result<()> {
        self.timer.sleep_until(at).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn never_wakes_early_and_can_be_rearmed() {
        let t = SendTimer::new().expect("timer");
        for us in [50u64, 300, 1_000, 0, 2_500] {
            let start = Instant::now();
            t.sleep_until(start + Duration::from_micros(us)).await.expect("sleep");
            assert!(start.elapsed() >= Duration::from_micros(us));
        }
        // A deadline in the past returns at once.
        t.sleep_until(Instant::now() - Duration::from_millis(5))
            .await
            .expect("sleep");
    }
}
