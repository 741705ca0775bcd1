//! What the examples share: CPU clocks (CPU time survives a busy machine; wall time does not).

/// CPU time of the whole process (all threads), seconds; 0 where not measured.
#[allow(dead_code)] // each example uses one of the clocks
pub fn process_cpu_s() -> f64 {
    #[cfg(unix)]
    {
        cpu_clock_s(libc::CLOCK_PROCESS_CPUTIME_ID)
    }
    #[cfg(not(unix))]
    {
        0.0
    }
}

/// CPU time of the calling thread, seconds; 0 where not measured.
#[allow(dead_code)] // each example uses one of the clocks
pub fn thread_cpu_s() -> f64 {
    #[cfg(unix)]
    {
        cpu_clock_s(libc::CLOCK_THREAD_CPUTIME_ID)
    }
    #[cfg(not(unix))]
    {
        0.0
    }
}

#[cfg(unix)]
fn cpu_clock_s(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into `ts`.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
