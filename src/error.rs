//! Engine errors -> JS `Error`s carrying a stable `code`.
//!
//! napi's own `Error` takes its `code` from a fixed `Status` enum, so we build the JS error
//! object ourselves on the main thread and hand it back as a retained value: the promise is
//! rejected (or the call throws) with exactly that object, `code` included.

use napi::bindgen_prelude::*;
use napi::{Env, Status};

/// An error that knows its stable JS `code`. Built anywhere (also on libuv worker threads);
/// turned into a JS object only on the main thread by [`CodedError::into_napi`].
#[derive(Debug, Clone)]
pub struct CodedError {
    pub code: &'static str,
    pub message: String,
}

impl CodedError {
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        CodedError { code: "ERR_INVALID_ARGUMENT", message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        CodedError { code: "ERR_INTERNAL", message: message.into() }
    }

    /// Builds the JS `Error` (with `code`) and wraps it so napi throws or rejects with it as is.
    pub fn into_napi(self, env: &Env) -> napi::Error {
        let build = || -> napi::Result<napi::Error> {
            let mut object = env.create_error(napi::Error::new(Status::GenericFailure, self.message.clone()))?;
            object.set_named_property("code", self.code)?;
            Ok(napi::Error::from(object.to_unknown()))
        };
        // If even building the object fails, fall back to napi's plain error: never panic here.
        build().unwrap_or_else(|_| napi::Error::new(Status::GenericFailure, format!("{}: {}", self.code, self.message)))
    }
}

impl From<vn_index::IndexError> for CodedError {
    fn from(e: vn_index::IndexError) -> Self {
        CodedError { code: e.code(), message: e.to_string() }
    }
}

impl From<vn_hybrid::HybridError> for CodedError {
    fn from(e: vn_hybrid::HybridError) -> Self {
        CodedError { code: e.code(), message: e.to_string() }
    }
}

/// Result type of engine work that has not reached JS yet.
pub type EngineResult<T> = std::result::Result<T, CodedError>;

/// Converts an engine result on the main thread (sync methods).
pub fn to_js<T>(env: &Env, result: EngineResult<T>) -> Result<T> {
    result.map_err(|e| e.into_napi(env))
}
