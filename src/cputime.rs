//! CPU time of the calling thread and a stable id for it, per OS.
//!
//! Linux and macOS: `CLOCK_THREAD_CPUTIME_ID`. Windows: `GetThreadTimes` (kernel + user time,
//! in 100 ns units). Elsewhere: `None`, and callers report CPU time as unavailable.

/// CPU time consumed so far by the current thread, in nanoseconds.
#[cfg(unix)]
pub fn thread_cpu_time_ns() -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes into it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// CPU time consumed so far by the current thread, in nanoseconds.
#[cfg(windows)]
pub fn thread_cpu_time_ns() -> Option<u64> {
    use windows_sys::Win32::Foundation::FILETIME;
    use windows_sys::Win32::System::Threading::{GetCurrentThread, GetThreadTimes};
    let zero = FILETIME { dwLowDateTime: 0, dwHighDateTime: 0 };
    let (mut creation, mut exit, mut kernel, mut user) = (zero, zero, zero, zero);
    // SAFETY: GetCurrentThread returns a pseudo-handle valid for this thread; the four
    // FILETIME out-pointers are valid, writable locals.
    let ok = unsafe { GetThreadTimes(GetCurrentThread(), &mut creation, &mut exit, &mut kernel, &mut user) };
    if ok == 0 {
        return None;
    }
    let ticks = |t: FILETIME| ((t.dwHighDateTime as u64) << 32) | t.dwLowDateTime as u64;
    Some((ticks(kernel) + ticks(user)) * 100)
}

/// CPU time consumed so far by the current thread, in nanoseconds.
#[cfg(not(any(unix, windows)))]
pub fn thread_cpu_time_ns() -> Option<u64> {
    None
}

/// A small, stable id for the current thread (1, 2, 3 ... in order of first use).
pub fn current_thread_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    thread_local! {
        static ID: u32 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    ID.with(|id| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = thread_cpu_time_ns().expect("thread CPU clock available on this OS");
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = thread_cpu_time_ns().unwrap();
        assert!(after > before);
    }

    #[test]
    fn thread_ids_differ_between_threads() {
        let here = current_thread_id();
        let there = std::thread::spawn(current_thread_id).join().unwrap();
        assert_ne!(here, there);
        assert_eq!(here, current_thread_id());
    }
}
