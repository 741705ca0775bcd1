//! Per-native-thread task counts and CPU time, recorded by every async task.
//!
//! Each libuv worker thread accumulates into its own slot (no shared counter on the hot path
//! beyond a relaxed atomic add); the load harness reads cumulative totals and takes differences
//! between the start and the end of its measurement window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::cputime::{current_thread_id, thread_cpu_time_ns};

/// Cumulative counters of one native thread.
pub struct ThreadSlot {
    pub thread_id: u32,
    pub tasks: AtomicU64,
    pub cpu_time_ns: AtomicU64,
    pub wall_time_ns: AtomicU64,
}

fn registry() -> &'static Mutex<Vec<Arc<ThreadSlot>>> {
    static SLOTS: OnceLock<Mutex<Vec<Arc<ThreadSlot>>>> = OnceLock::new();
    SLOTS.get_or_init(|| Mutex::new(Vec::new()))
}

thread_local! {
    static SLOT: Arc<ThreadSlot> = {
        let slot = Arc::new(ThreadSlot {
            thread_id: current_thread_id(),
            tasks: AtomicU64::new(0),
            cpu_time_ns: AtomicU64::new(0),
            wall_time_ns: AtomicU64::new(0),
        });
        registry().lock().unwrap_or_else(|p| p.into_inner()).push(slot.clone());
        slot
    };
}

/// When a piece of work ran on this thread, and the thread CPU time it took.
pub struct Measured {
    pub started: Instant,
    pub finished: Instant,
    pub cpu_ns: u64,
}

/// Runs `work` and records its CPU and wall time against the current thread.
pub fn measure<T>(work: impl FnOnce() -> T) -> (T, Measured) {
    let started = Instant::now();
    let cpu_before = thread_cpu_time_ns();
    let out = work();
    let cpu = match (cpu_before, thread_cpu_time_ns()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let finished = Instant::now();
    let wall_ns = finished.saturating_duration_since(started).as_nanos() as u64;
    SLOT.with(|slot| {
        slot.tasks.fetch_add(1, Ordering::Relaxed);
        slot.cpu_time_ns.fetch_add(cpu.unwrap_or(0), Ordering::Relaxed);
        slot.wall_time_ns.fetch_add(wall_ns, Ordering::Relaxed);
    });
    (out, Measured { started, finished, cpu_ns: cpu.unwrap_or(0) })
}

/// A copy of every thread's cumulative counters.
pub fn snapshot() -> Vec<(u32, u64, u64, u64)> {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|s| {
            (
                s.thread_id,
                s.tasks.load(Ordering::Relaxed),
                s.cpu_time_ns.load(Ordering::Relaxed),
                s.wall_time_ns.load(Ordering::Relaxed),
            )
        })
        .collect()
}
