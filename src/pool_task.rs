//! Engine work on the engine's search pool (`pool.rs`), settled as a JS promise.
//!
//! The counterpart of `task.rs` for the calls where libuv's wake-up dominates (a search is a
//! few tens of µs): the call creates a promise, queues a closure on the pool and returns; the
//! worker runs it under `catch_unwind`, measures it like an `EngineTask`, and hands the outcome
//! back through one long-lived threadsafe function per JS thread, whose callback resolves or
//! rejects the promise on that thread (and writes the caller's stamps, as `EngineTask` does).
//!
//! An `AbortSignal` rejects the call at once on the JS thread; a worker that has not started
//! it skips the work. The threadsafe function is unref'd while nothing is in flight, so it
//! never keeps the process alive on its own. When the environment tears down, Node finalizes
//! it: workers finishing afterwards drop their outcome instead of touching a dead environment.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{sys, Env, JsError, Status};
use parking_lot::Mutex;

use crate::error::{CodedError, EngineResult};
use crate::pool::search_pool;
use crate::task::run_measured;
use crate::timing::{StampsRef, TaskStamps};

/// What the JS thread does with a finished call: build the resolution value, or the error.
type Outcome = Box<dyn FnOnce(Env) -> Result<sys::napi_value> + Send>;

/// The parts of one call that both the JS thread (abort) and its worker see.
struct CallState {
    /// The promise's deferred until whoever settles first takes it (JS thread only).
    deferred: AtomicPtr<sys::napi_deferred__>,
    /// Set on abort: a worker that has not started the call skips it.
    cancelled: AtomicBool,
}

impl CallState {
    fn take_deferred(&self) -> sys::napi_deferred {
        self.deferred.swap(ptr::null_mut(), Ordering::AcqRel)
    }
}

/// A finished call on its way to the JS thread.
struct Settlement {
    call: Arc<CallState>,
    stamps: TaskStamps,
    stamps_ref: Option<StampsRef>,
    outcome: Outcome,
}

impl Settlement {
    /// JS thread: stamps first (the caller reads them when the promise settles), then the promise.
    fn settle(self, env: Env) {
        if let Some(stamps_ref) = &self.stamps_ref {
            // Timing is diagnostics: failing to write it must not fail the call.
            let _ = stamps_ref.write(&env, &self.stamps);
        }
        let deferred = self.call.take_deferred();
        if !deferred.is_null() {
            let raw = env.raw();
            // SAFETY: JS thread inside the threadsafe function's callback (Node opens a handle
            // scope around it); `deferred` is settled exactly once (taken from the call state).
            unsafe {
                match (self.outcome)(env) {
                    Ok(value) => sys::napi_resolve_deferred(raw, deferred, value),
                    Err(error) => sys::napi_reject_deferred(raw, deferred, JsError::from(error).into_value(raw)),
                };
            }
        }
        if let Some(stamps_ref) = self.stamps_ref {
            stamps_ref.release(&env);
        }
    }
}

/// The threadsafe function a worker posts settlements to; `None` once Node has finalized it.
struct TsfnSlot(Mutex<Option<RawTsfn>>);

#[derive(Clone, Copy)]
struct RawTsfn(sys::napi_threadsafe_function);

// SAFETY: calling a threadsafe function from any thread is what it is for; the slot's mutex
// keeps the finalizer from freeing it while a worker is inside `napi_call_threadsafe_function`.
unsafe impl Send for RawTsfn {}

impl TsfnSlot {
    /// Worker thread: queues `settlement` for the JS thread, or drops it if the env is gone.
    fn post(&self, settlement: Settlement) {
        let slot = self.0.lock();
        let Some(tsfn) = *slot else { return };
        let data = Box::into_raw(Box::new(settlement));
        // SAFETY: the tsfn is alive while the slot holds it (we hold the lock); unbounded queue,
        // so nonblocking never fails for lack of room.
        let status = unsafe {
            sys::napi_call_threadsafe_function(tsfn.0, data.cast(), sys::ThreadsafeFunctionCallMode::nonblocking)
        };
        if status != sys::Status::napi_ok {
            // Closing: the settlement never reaches JS. Reclaim it without touching napi.
            // SAFETY: `data` came from `Box::into_raw` above and was not queued.
            drop(unsafe { Box::from_raw(data) });
        }
    }
}

/// One JS thread's delivery channel (each Node env runs on its own thread).
struct Channel {
    env: sys::napi_env,
    tsfn: Arc<TsfnSlot>,
    /// Calls submitted and not yet settled; the tsfn holds the loop open only while > 0.
    in_flight: Cell<usize>,
}

thread_local! {
    static CHANNEL: RefCell<Option<Rc<Channel>>> = const { RefCell::new(None) };
}

impl Channel {
    /// This thread's channel for `env`, created on first use or after its env was torn down.
    fn for_env(env: &Env) -> Result<Rc<Channel>> {
        CHANNEL.with(|cell| {
            if let Some(channel) = cell.borrow().as_ref() {
                if channel.env == env.raw() && channel.tsfn.0.lock().is_some() {
                    return Ok(channel.clone());
                }
            }
            let channel = Rc::new(Channel::create(env)?);
            *cell.borrow_mut() = Some(channel.clone());
            Ok(channel)
        })
    }

    fn create(env: &Env) -> Result<Channel> {
        let raw_env = env.raw();
        let slot = Arc::new(TsfnSlot(Mutex::new(None)));
        let name = c"vector-native search";
        let mut name_value = ptr::null_mut();
        let mut tsfn = ptr::null_mut();
        let finalize_data = Arc::into_raw(slot.clone()) as *mut c_void;
        // SAFETY: JS thread; no JS function (settlements run `settle_on_js_thread`); the
        // finalize data is an `Arc` reclaimed exactly once, in `finalize_tsfn` or below.
        unsafe {
            check_status!(sys::napi_create_string_utf8(
                raw_env,
                name.as_ptr(),
                name.count_bytes() as isize,
                &mut name_value
            ))?;
            let status = sys::napi_create_threadsafe_function(
                raw_env,
                ptr::null_mut(),
                ptr::null_mut(),
                name_value,
                0,
                1,
                finalize_data,
                Some(finalize_tsfn),
                ptr::null_mut(),
                Some(settle_on_js_thread),
                &mut tsfn,
            );
            if status != sys::Status::napi_ok {
                drop(Arc::from_raw(finalize_data as *const TsfnSlot));
                check_status!(status)?;
            }
            check_status!(sys::napi_unref_threadsafe_function(raw_env, tsfn))?;
        }
        *slot.0.lock() = Some(RawTsfn(tsfn));
        Ok(Channel { env: raw_env, tsfn: slot, in_flight: Cell::new(0) })
    }

    fn call_started(&self) {
        let n = self.in_flight.get();
        if n == 0 {
            if let Some(tsfn) = *self.tsfn.0.lock() {
                // SAFETY: JS thread, live tsfn. Keeps the loop alive until the call settles.
                unsafe { sys::napi_ref_threadsafe_function(self.env, tsfn.0) };
            }
        }
        self.in_flight.set(n + 1);
    }

    fn call_settled(&self) {
        let n = self.in_flight.get().saturating_sub(1);
        self.in_flight.set(n);
        if n == 0 {
            if let Some(tsfn) = *self.tsfn.0.lock() {
                // SAFETY: JS thread, live tsfn.
                unsafe { sys::napi_unref_threadsafe_function(self.env, tsfn.0) };
            }
        }
    }
}

/// The threadsafe function's callback: runs on the JS thread for each posted settlement.
unsafe extern "C" fn settle_on_js_thread(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: every `data` posted is a `Box<Settlement>` (see `TsfnSlot::post`).
    let settlement = unsafe { Box::from_raw(data.cast::<Settlement>()) };
    if env.is_null() {
        // Node drains the queue with no env while tearing down: nothing to settle.
        return;
    }
    CHANNEL.with(|cell| {
        if let Some(channel) = cell.borrow().as_ref() {
            if channel.env == env {
                channel.call_settled();
            }
        }
    });
    settlement.settle(Env::from_raw(env));
}

/// Node finalizes the threadsafe function when its env tears down: from then on workers drop
/// their settlements.
unsafe extern "C" fn finalize_tsfn(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Arc<TsfnSlot>` leaked in `Channel::create`, reclaimed once here.
    let slot = unsafe { Arc::from_raw(data as *const TsfnSlot) };
    *slot.0.lock() = None;
}

/// Runs `work` on the engine's search pool and returns a promise of `finish(output)`.
/// Errors become coded JS errors, panics `ERR_INTERNAL`; `stamps` receives the call's timing
/// (as for `EngineTask::stamped`); an abort rejects the promise at once.
pub fn run_pooled<'env, T, J>(
    env: &'env Env,
    work: impl FnOnce() -> EngineResult<T> + Send + 'static,
    finish: fn(&Env, T) -> Result<J>,
    stamps: Option<Object>,
    signal: Option<AbortSignal>,
) -> Result<PromiseRaw<'env, J>>
where
    T: Send + 'static,
    J: ToNapiValue + 'static,
{
    let pool = search_pool()
        .ok_or_else(|| CodedError::internal("the engine's search threads could not be started").into_napi(env))?;
    let channel = Channel::for_env(env)?;
    let raw_env = env.raw();
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: JS thread, inside a napi call.
    check_status!(unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) })?;
    let call = Arc::new(CallState { deferred: AtomicPtr::new(deferred), cancelled: AtomicBool::new(false) });
    let stamps_ref = stamps.and_then(|target| StampsRef::new(env, &target).ok());
    if let Some(signal) = signal {
        let call = call.clone();
        signal.on_abort(move || {
            call.cancelled.store(true, Ordering::Release);
            reject_aborted(raw_env, call.take_deferred());
        });
    }
    let mut task_stamps = TaskStamps::queued_now();
    let tsfn = channel.tsfn.clone();
    let worker_call = call.clone();
    channel.call_started();
    pool.submit(move || {
        let outcome: Outcome = if worker_call.cancelled.load(Ordering::Acquire) {
            Box::new(|_env| Err(Error::new(Status::Cancelled, "aborted before it started")))
        } else {
            let outcome = run_measured(work, &mut task_stamps);
            Box::new(move |env: Env| match outcome {
                // SAFETY (to_napi_value): JS thread, inside the settlement callback.
                Ok(value) => unsafe { J::to_napi_value(env.raw(), finish(&env, value)?) },
                Err(e) => Err(e.into_napi(&env)),
            })
        };
        tsfn.post(Settlement { call: worker_call, stamps: task_stamps, stamps_ref, outcome });
    });
    Ok(PromiseRaw::new(raw_env, promise))
}

/// Rejects with an `AbortError` (the JS wrapper turns it into `ERR_ABORTED` with the signal's
/// reason, as for a cancelled libuv task). No-op if the call has already settled.
fn reject_aborted(env: sys::napi_env, deferred: sys::napi_deferred) {
    if deferred.is_null() {
        return;
    }
    let js_env = Env::from_raw(env);
    let error = js_env.create_error(Error::new(Status::Cancelled, "the operation was aborted")).and_then(|mut e| {
        e.set_named_property("name", "AbortError")?;
        Ok(e.raw())
    });
    // SAFETY: JS thread (abort listeners run there); `deferred` was taken, so settled once.
    unsafe {
        match error {
            Ok(value) => sys::napi_reject_deferred(env, deferred, value),
            Err(e) => sys::napi_reject_deferred(env, deferred, JsError::from(e).into_value(env)),
        };
    }
}
