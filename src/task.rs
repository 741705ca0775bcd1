//! One generic `AsyncTask` for all engine work: a closure run on libuv's thread pool.
//!
//! `compute` runs the closure under `catch_unwind` (a panic becomes `ERR_INTERNAL`, never a
//! crashed process) and records which native thread ran it and the CPU time it took.
//! The engine's error is kept aside and turned into a coded JS `Error` in `reject`, which
//! runs on the main thread. A caller that passes a stamps object gets the task's timing
//! written into it there too (see `timing.rs`).

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::*;
use napi::{Env, Status, Task};

use crate::error::{CodedError, EngineResult};
use crate::thread_stats::measure;
use crate::timing::{StampsRef, TaskStamps};

type Work<T> = Box<dyn FnOnce() -> EngineResult<T> + Send>;

/// A unit of engine work and the function that turns its output into a JS value.
pub struct EngineTask<T: Send + 'static, J> {
    work: Option<Work<T>>,
    failure: Option<CodedError>,
    finish: fn(&Env, T) -> Result<J>,
    stamps: TaskStamps,
    stamps_ref: Option<StampsRef>,
}

impl<T: Send + 'static, J> EngineTask<T, J> {
    pub fn new(work: impl FnOnce() -> EngineResult<T> + Send + 'static, finish: fn(&Env, T) -> Result<J>) -> Self {
        EngineTask {
            work: Some(Box::new(work)),
            failure: None,
            finish,
            stamps: TaskStamps::queued_now(),
            stamps_ref: None,
        }
    }

    /// Writes this task's timing into `stamps` (a plain JS object) when it settles. Timing is
    /// diagnostics: if the object cannot be referenced, the call runs untimed.
    pub fn stamped(mut self, env: &Env, stamps: Option<Object>) -> Self {
        if let Some(target) = stamps {
            self.stamps_ref = StampsRef::new(env, &target).ok();
        }
        self
    }

    fn write_stamps(&self, env: &Env) {
        if let Some(stamps_ref) = &self.stamps_ref {
            // Timing is diagnostics: failing to write it must not fail the call.
            let _ = stamps_ref.write(env, &self.stamps);
        }
    }
}

/// Wraps `task` so napi schedules it, cancelling it when `signal` aborts before it starts.
pub fn spawn<T: Send + 'static, J: ToNapiValue + TypeName>(
    task: EngineTask<T, J>,
    signal: Option<AbortSignal>,
) -> AsyncTask<EngineTask<T, J>> {
    AsyncTask::with_optional_signal(task, signal)
}

/// Runs work on the calling (main) thread for the sync forms, with the same panic guard.
pub fn run_sync<T>(env: &Env, work: impl FnOnce() -> EngineResult<T>) -> Result<T> {
    guarded(work).map_err(|e| e.into_napi(env))
}

/// `work`, with a panic turned into `ERR_INTERNAL`.
fn guarded<T>(work: impl FnOnce() -> EngineResult<T>) -> EngineResult<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| Err(CodedError::internal(panic_message(panic))))
}

/// Worker thread: `work` under the panic guard, measured against this thread (`nativeThreadStats`)
/// and recorded in `stamps` (started, finished, CPU time).
pub(crate) fn run_measured<T>(work: impl FnOnce() -> EngineResult<T>, stamps: &mut TaskStamps) -> EngineResult<T> {
    let (outcome, measured) = measure(|| guarded(work));
    stamps.started = Some(measured.started);
    stamps.finished = Some(measured.finished);
    stamps.cpu_ns = measured.cpu_ns;
    outcome
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("internal error in the native engine (please report): {detail}")
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for EngineTask<T, J> {
    type Output = T;
    type JsValue = J;

    fn compute(&mut self) -> Result<T> {
        let work = match self.work.take() {
            Some(work) => work,
            None => return Err(Error::new(Status::GenericFailure, "task computed twice")),
        };
        // The coded error is kept for `reject`, which builds it on the main thread.
        run_measured(work, &mut self.stamps).map_err(|e| {
            self.failure = Some(e);
            Error::new(Status::GenericFailure, "engine error")
        })
    }

    fn resolve(&mut self, env: Env, output: T) -> Result<J> {
        self.write_stamps(&env);
        (self.finish)(&env, output)
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<J> {
        self.write_stamps(&env);
        match self.failure.take() {
            Some(failure) => Err(failure.into_napi(&env)),
            None => Err(err),
        }
    }

    fn finally(mut self, env: Env) -> Result<()> {
        if let Some(stamps_ref) = self.stamps_ref.take() {
            stamps_ref.release(&env);
        }
        Ok(())
    }
}
