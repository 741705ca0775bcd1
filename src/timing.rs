//! Per-call timing: when a call was handed to the thread pool, when a worker started and
//! finished it, and the CPU time the worker spent, written on the main thread into a plain JS
//! object the caller passes in (`{ queuedNs, startedNs, finishedNs, cpuNs }`).
//!
//! Stamps are nanoseconds since a process-wide base `Instant` (the OS's monotonic clock, as
//! libuv's `uv_hrtime` reads it); `nativeClockNs()` exposes the same clock so JS can map it onto
//! `performance.now()` once (engine/timing.ts). The object is reached through a napi reference
//! and written only on the main thread (in the task's resolve/reject), so nothing is shared
//! with the worker, and a plain object cannot be detached the way a typed array can.

use std::ffi::CStr;
use std::ptr;
use std::sync::OnceLock;
use std::time::Instant;

use napi::bindgen_prelude::*;
use napi::{sys, Env, JsValue};
use napi_derive::napi;

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Nanoseconds since the process-wide base instant.
pub fn clock_ns(at: Instant) -> f64 {
    at.saturating_duration_since(base()).as_nanos() as f64
}

/// The binding's monotonic clock, in ns since an arbitrary process-wide base (for calibration
/// against `performance.now()`; see `engine/timing.ts`).
#[napi]
pub fn native_clock_ns() -> f64 {
    clock_ns(Instant::now())
}

/// What one call's task saw of its own life.
#[derive(Clone, Copy)]
pub struct TaskStamps {
    pub queued: Instant,
    pub started: Option<Instant>,
    pub finished: Option<Instant>,
    pub cpu_ns: u64,
}

impl TaskStamps {
    pub fn queued_now() -> Self {
        TaskStamps { queued: Instant::now(), started: None, finished: None, cpu_ns: 0 }
    }
}

/// A reference to the caller's stamps object, alive until the task's `finally`.
pub struct StampsRef(sys::napi_ref);

// SAFETY: the reference is created, read and deleted on the main thread only (in the method
// call, `resolve`/`reject` and `finally`); the worker thread merely carries the pointer.
unsafe impl Send for StampsRef {}

impl StampsRef {
    /// References `target` (a JS object) so it outlives the call.
    pub fn new(env: &Env, target: &Object) -> Result<Self> {
        let mut raw = ptr::null_mut();
        // SAFETY: `target` is a live object value of this env, on the main thread.
        check_status!(unsafe { sys::napi_create_reference(env.raw(), target.raw(), 1, &mut raw) })?;
        Ok(StampsRef(raw))
    }

    /// Writes the stamps into the referenced object (main thread).
    pub fn write(&self, env: &Env, stamps: &TaskStamps) -> Result<()> {
        let mut object = ptr::null_mut();
        // SAFETY: main thread; the reference is alive until `release`.
        check_status!(unsafe { sys::napi_get_reference_value(env.raw(), self.0, &mut object) })?;
        let set = |name: &CStr, value: f64| -> Result<()> {
            let mut number = ptr::null_mut();
            // SAFETY: main thread; `object` is the referenced object, `name` NUL-terminated.
            unsafe {
                check_status!(sys::napi_create_double(env.raw(), value, &mut number))?;
                check_status!(sys::napi_set_named_property(env.raw(), object, name.as_ptr(), number))
            }
        };
        set(c"queuedNs", clock_ns(stamps.queued))?;
        if let (Some(started), Some(finished)) = (stamps.started, stamps.finished) {
            set(c"startedNs", clock_ns(started))?;
            set(c"finishedNs", clock_ns(finished))?;
            set(c"cpuNs", stamps.cpu_ns as f64)?;
        }
        Ok(())
    }

    /// Deletes the reference (main thread).
    pub fn release(self, env: &Env) {
        // SAFETY: main thread; the reference is deleted exactly once (self is consumed).
        unsafe {
            sys::napi_delete_reference(env.raw(), self.0);
        }
    }
}

/// The object a timed call fills as it settles (nanoseconds on `nativeClockNs()`'s clock; the
/// worker's stamps are absent when the call was cancelled before it started).
#[napi(object)]
#[allow(dead_code)] // only its TypeScript declaration is used: `StampsRef::write` fills the JS object directly
pub struct NativeStamps {
    pub queued_ns: Option<f64>,
    pub started_ns: Option<f64>,
    pub finished_ns: Option<f64>,
    pub cpu_ns: Option<f64>,
}
