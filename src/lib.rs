//! napi-rs binding of the `@acme/vector-native` engine.
//!
//! No algorithms live here: arguments are converted, work is moved onto libuv's thread pool as
//! an [`task::EngineTask`], engine errors become JS `Error`s with a stable `code`.
#![deny(clippy::all)]

mod args;
mod cputime;
mod error;
mod hybrid;
mod index;
mod pool;
mod pool_task;
mod task;
mod thread_stats;
mod timing;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

pub use hybrid::{NativeSearchSession, NativeUnifiedSearchSystem};
pub use index::{BatchSearchResult, HnswOptions, NativeVectorIndex, PackedHits, SearchOptions};
pub use timing::native_clock_ns;

/// The instruction set the distance kernels dispatched to on this CPU
/// (`"avx512f"`, `"avx2+fma"`, `"neon"` or `"scalar"`).
#[napi]
pub fn kernel_isa() -> String {
    vn_distance::selected_isa().to_string()
}

/// The distance between two vectors under `metric`, with the same definitions as the indexes
/// (`"l2"`: squared Euclidean, `"cosine"`: 1 − cos, `"dot"`: 1 − a·b), computed by the
/// dispatched SIMD kernel on the calling thread. Reads both arrays in place.
#[napi]
pub fn distance(env: Env, metric: String, a: Float32ArraySlice, b: Float32ArraySlice) -> Result<f64> {
    let metric = error::to_js(&env, metric.parse::<vn_index::Metric>().map_err(error::CodedError::from))?;
    if a.len() != b.len() {
        let message = format!("dimension mismatch: a has {} components, b has {}", a.len(), b.len());
        return Err(error::CodedError { code: "ERR_DIMENSION_MISMATCH", message }.into_napi(&env));
    }
    let d = match metric {
        vn_index::Metric::L2 => vn_distance::l2_squared(&a, &b),
        vn_index::Metric::Cosine => vn_distance::cosine_distance(&a, &b),
        vn_index::Metric::Dot => 1.0 - vn_distance::dot(&a, &b),
    };
    Ok(d as f64)
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

/// Threads of the engine's search pool, which runs every `search`: `UV_THREADPOOL_SIZE` when
/// it is set, otherwise 4, or the number of cores if fewer. 0 if the threads could not start.
#[napi]
pub fn search_threads() -> u32 {
    pool::search_pool().map_or(0, |p| p.threads() as u32)
}

/// An async call that does nothing on the thread pool: the floor of any async engine call.
#[napi(ts_return_type = "Promise<void>")]
pub fn noop_async(signal: Option<AbortSignal>) -> AsyncTask<task::EngineTask<(), ()>> {
    fn finish(_env: &Env, _: ()) -> Result<()> {
        Ok(())
    }
    task::spawn(task::EngineTask::new(|| Ok(()), finish), signal)
}
