//! JS arguments checked before they are narrowed. napi's `u32` conversion wraps (`2^32 + 1`
//! becomes 1, `-1` becomes 4294967295) and its string conversion replaces a lone surrogate with
//! U+FFFD; numbers therefore arrive as `f64` and ids as UTF-16, and are checked here. The
//! engine then checks the ranges it knows (k, ef, dimensions ...).

use std::path::PathBuf;

use napi::bindgen_prelude::Utf16String;

use crate::error::{CodedError, EngineResult};

/// Largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A count or size: a non-negative integer (NaN, ±∞, fractions, negatives and values above
/// 2^53 − 1 are ERR_INVALID_ARGUMENT naming `what`). Its range is the engine's to check.
pub fn count(what: &str, value: f64) -> EngineResult<usize> {
    if value.is_finite() && (0.0..=MAX_SAFE_INTEGER).contains(&value) && value.fract() == 0.0 {
        usize::try_from(value as u64).map_err(|_| out_of_range(what, value))
    } else {
        Err(CodedError::invalid_argument(format!("{what} must be a non-negative integer, got {value}")))
    }
}

/// [`count`] of an optional argument.
pub fn optional_count(what: &str, value: Option<f64>) -> EngineResult<Option<usize>> {
    value.map(|v| count(what, v)).transpose()
}

/// An integer from 0 to 2^32 − 1 (seeds, RRF's constant).
pub fn uint32(what: &str, value: f64) -> EngineResult<u32> {
    let n = count(what, value)?;
    u32::try_from(n).map_err(|_| out_of_range(what, value))
}

fn out_of_range(what: &str, value: f64) -> CodedError {
    CodedError::invalid_argument(format!("{what} is {value}, out of range"))
}

/// A string id (or a text) as the caller wrote it: well-formed UTF-16 (no lone surrogate), else
/// ERR_INVALID_ARGUMENT. Lossy conversion would turn `"x\u{D800}"` and `"x\u{DC00}"` into one id,
/// and store or search a text other than the one given.
pub fn string_id(what: &str, id: &Utf16String) -> EngineResult<String> {
    String::from_utf16(id).map_err(|_| {
        CodedError::invalid_argument(format!(
            "{what} {:?} is not well-formed UTF-16 (it holds a lone surrogate)",
            String::from_utf16_lossy(id)
        ))
    })
}

/// A file-system path from JS: non-empty, well-formed UTF-16 (a lone surrogate would become
/// U+FFFD: another file) and without a NUL character (no file system allows one; the OS call
/// would fail with an I/O error that blames the disk for the caller's value).
pub fn path(what: &str, value: &Utf16String) -> EngineResult<PathBuf> {
    let value = String::from_utf16(value).map_err(|_| {
        CodedError::invalid_argument(format!(
            "{what} {:?} is not well-formed UTF-16 (it holds a lone surrogate)",
            String::from_utf16_lossy(value)
        ))
    })?;
    if value.is_empty() {
        return Err(CodedError::invalid_argument(format!("{what} must be a non-empty path")));
    }
    if value.contains('\0') {
        return Err(CodedError::invalid_argument(format!("{what} {value:?} holds a NUL character")));
    }
    Ok(PathBuf::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_not_wrapped() {
        assert_eq!(count("k", 5.0).unwrap(), 5);
        assert_eq!(count("k", 4_294_967_297.0).unwrap(), 4_294_967_297);
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY, 2f64.powi(53)] {
            assert_eq!(count("k", bad).unwrap_err().code, "ERR_INVALID_ARGUMENT", "{bad}");
        }
        assert_eq!(uint32("seed", 4_294_967_295.0).unwrap(), u32::MAX);
        assert!(uint32("seed", 4_294_967_296.0).is_err());
    }

    #[test]
    fn paths_without_nul() {
        assert_eq!(path("path", &Utf16String::from("a/b".to_string())).unwrap(), PathBuf::from("a/b"));
        for bad in ["", "a\0b"] {
            let bad = Utf16String::from(bad.to_string());
            assert_eq!(path("path", &bad).unwrap_err().code, "ERR_INVALID_ARGUMENT", "{bad:?}");
        }
        let lone = Utf16String::from(vec![u16::from(b'x'), 0xD800]);
        assert_eq!(path("path", &lone).unwrap_err().code, "ERR_INVALID_ARGUMENT");
    }

    #[test]
    fn lone_surrogates_are_refused() {
        assert_eq!(string_id("id", &Utf16String::from("ok".to_string())).unwrap(), "ok");
        let lone = Utf16String::from(vec![u16::from(b'x'), 0xD800]);
        assert_eq!(string_id("id", &lone).unwrap_err().code, "ERR_INVALID_ARGUMENT");
    }
}
