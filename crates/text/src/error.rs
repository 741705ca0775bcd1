//! The one error type of the crate, with stable codes shared with `vn-index`.

use std::io;
use std::sync::Arc;

use tantivy::directory::error::{LockError, OpenDirectoryError, OpenReadError};
use tantivy::TantivyError;

/// Result of every fallible text-index operation.
pub type Result<T> = std::result::Result<T, TextError>;

/// Every way a text-index operation can fail. [`code`](Self::code) is stable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TextError {
    /// A bad argument, or a path that cannot hold an index (a file, or a non-empty directory
    /// that is not a tantivy index).
    #[error("{0}")]
    InvalidArgument(String),
    /// An index that is damaged, or a tantivy index that was not written by this crate.
    #[error("corrupt text index: {0}")]
    Corrupt(String),
    /// Another writer (another open store, in this process or another) holds the index lock.
    #[error("the text index is locked by another writer: {0}")]
    Locked(String),
    /// An operating-system error.
    #[error("I/O error: {0}")]
    Io(Arc<io::Error>),
    /// A state tantivy reports as a bug of its own or of its caller (a poisoned lock, a dead
    /// indexing thread, an internal invariant).
    #[error("internal error in the text index (please report): {0}")]
    Internal(String),
}

impl TextError {
    /// The stable code that JS sees as `error.code` (same vocabulary as `vn-index`).
    pub fn code(&self) -> &'static str {
        match self {
            TextError::InvalidArgument(_) => "ERR_INVALID_ARGUMENT",
            TextError::Corrupt(_) => "ERR_CORRUPT_INDEX",
            TextError::Locked(_) => "ERR_LOCKED",
            TextError::Io(_) => "ERR_IO",
            TextError::Internal(_) => "ERR_INTERNAL",
        }
    }

    /// The same error with `path` named: which index the OS refused, or which one is damaged.
    pub(crate) fn at(self, path: Option<&std::path::Path>) -> Self {
        match (self, path) {
            (TextError::Io(e), Some(p)) => TextError::io(format!("text index at {}", p.display()), clone_io(&e)),
            (TextError::Corrupt(m), Some(p)) if !m.contains(&*p.to_string_lossy()) => {
                TextError::Corrupt(format!("{}: {m}", p.display()))
            }
            (other, _) => other,
        }
    }

    /// An `Io` error with a sentence of context in front of the operating system's message.
    pub(crate) fn io(context: impl std::fmt::Display, e: io::Error) -> Self {
        TextError::Io(Arc::new(io::Error::new(e.kind(), format!("{context}: {e}"))))
    }
}

impl From<io::Error> for TextError {
    fn from(e: io::Error) -> Self {
        TextError::Io(Arc::new(e))
    }
}

/// Folds tantivy's errors into the kinds above: damaged data (including I/O errors of the kinds
/// that mean undecodable bytes) and foreign indexes are `Corrupt`, lock contention is `Locked`,
/// bad arguments stay `InvalidArgument`, what the OS refused (files, threads) is `Io`, and
/// tantivy's own failures (poisoned locks, a dead indexing thread, internal errors) `Internal`.
impl From<TantivyError> for TextError {
    fn from(e: TantivyError) -> Self {
        match e {
            // tantivy reports bytes it cannot decode (a bad footer, a truncated block) as I/O
            // errors of these kinds: that is damage, not the OS refusing.
            TantivyError::IoError(io) if crate::index::is_damage(io.kind()) => TextError::Corrupt(io.to_string()),
            TantivyError::IoError(io) => TextError::Io(io),
            TantivyError::DataCorruption(c) => TextError::Corrupt(format!("{c:?}")),
            TantivyError::IncompatibleIndex(i) => TextError::Corrupt(format!("{i:?}")),
            TantivyError::DeserializeError(d) => TextError::Corrupt(d.to_string()),
            TantivyError::SchemaError(s) => TextError::Corrupt(format!("schema: {s}")),
            TantivyError::FieldNotFound(f) => TextError::Corrupt(format!("the schema has no field {f:?}")),
            TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(p)) => {
                TextError::Corrupt(format!("a file of the index is missing: {}", p.display()))
            }
            TantivyError::OpenReadError(OpenReadError::IncompatibleIndex(i)) => TextError::Corrupt(format!("{i:?}")),
            TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath })
                if crate::index::is_damage(io_error.kind()) =>
            {
                TextError::Corrupt(format!("{}: {io_error}", filepath.display()))
            }
            TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => {
                TextError::io(format!("reading {}", filepath.display()), clone_io(&io_error))
            }
            TantivyError::OpenDirectoryError(OpenDirectoryError::IoError { io_error, directory_path }) => {
                TextError::io(format!("opening {}", directory_path.display()), clone_io(&io_error))
            }
            TantivyError::LockFailure(LockError::LockBusy, _) => {
                TextError::Locked("close the other store first (or remove a stale .tantivy-writer.lock)".into())
            }
            TantivyError::LockFailure(LockError::IoError(io), _) => {
                TextError::io("taking the writer lock", clone_io(&io))
            }
            TantivyError::InvalidArgument(s) => TextError::InvalidArgument(s),
            TantivyError::IndexAlreadyExists => TextError::InvalidArgument("a text index already exists there".into()),
            // Segments that need plugins this build does not have: not an index of ours.
            e @ (TantivyError::MissingPlugin(_) | TantivyError::UnexpectedPlugin(_)) => {
                TextError::Corrupt(e.to_string())
            }
            TantivyError::OpenWriteError(e) => TextError::Io(Arc::new(io::Error::other(e.to_string()))),
            TantivyError::SystemError(s) => TextError::Io(Arc::new(io::Error::other(s))),
            other => TextError::Internal(other.to_string()),
        }
    }
}

fn clone_io(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}
