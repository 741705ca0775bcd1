//! napi-rs binding of the `@acme/vector-native` engine.
//!
//! No algorithms live here: arguments are converted, work is moved onto libuv's thread pool as
//! an [`task::EngineTask`], engine errors become JS `Error`s with a stable `code`.
#![deny(clippy::all)]

mod cputime;
mod error;
mod index;
mod task;
mod thread_stats;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

pub use index::{HnswOptions, NativeVectorIndex, SearchHit, SearchOptions};

/// The instruction set the distance kernels dispatched to on this CPU
/// (`"avx512f"`, `"avx2+fma"`, `"neon"` or `"scalar"`).
#[napi]
pub fn kernel_isa() -> String {
    vn_distance::selected_isa().to_string()
}

/// Cumulative work of one native thread (a libuv worker, or the main thread for sync calls).
#[napi(object)]
pub struct NativeThreadStats {
    /// Small stable id of the thread (1, 2, ... in order of first use).
    pub thread_id: u32,
    /// Engine tasks the thread has run.
    pub tasks: f64,
    /// CPU time those tasks used on the thread, in nanoseconds (per-thread CPU clock).
    pub cpu_time_ns: f64,
    /// Wall-clock time those tasks took, in nanoseconds.
    pub wall_time_ns: f64,
}

/// Cumulative per-thread task counts and CPU time of every async engine task so far.
/// Take a snapshot before and after a measurement window and subtract.
#[napi]
pub fn native_thread_stats() -> Vec<NativeThreadStats> {
    thread_stats::snapshot()
        .into_iter()
        .map(|(thread_id, tasks, cpu, wall)| NativeThreadStats {
            thread_id,
            tasks: tasks as f64,
            cpu_time_ns: cpu as f64,
            wall_time_ns: wall as f64,
        })
        .collect()
}

/// An async call that does nothing on the thread pool: the floor of any async engine call.
#[napi(ts_return_type = "Promise<void>")]
pub fn noop_async(signal: Option<AbortSignal>) -> AsyncTask<task::EngineTask<(), ()>> {
    fn finish(_env: &Env, _: ()) -> Result<()> {
        Ok(())
    }
    task::spawn(task::EngineTask::new(|| Ok(()), finish), signal)
}
