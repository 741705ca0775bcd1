//! The one error type of the crate, with stable codes shared with `vn-index` and `vn-text`.

use std::io;
use std::sync::Arc;

use vn_index::IndexError;
use vn_text::TextError;

/// Result of every fallible operation of the crate.
pub type Result<T> = std::result::Result<T, HybridError>;

/// Every way an operation can fail. [`code`](Self::code) is stable and reaches JS as
/// `error.code`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HybridError {
    /// A bad argument: empty id or text, `k` out of range, a query without what its mode
    /// needs, options that contradict the store on disk, a path that cannot hold a store ...
    #[error("{0}")]
    InvalidArgument(String),
    /// A vector whose length is not the store's dimensions.
    #[error("dimension mismatch: {context} has {got} dimensions, the store has {expected}")]
    DimensionMismatch {
        /// The store's dimensions.
        expected: usize,
        /// The length that was given.
        got: usize,
        /// Which vector ("the query vector", "document \"doc-1\"", "the embedder's output").
        context: String,
    },
    /// An id that is already committed or pending, or listed twice in one batch.
    #[error("duplicate id {id:?}: {reason}")]
    DuplicateId {
        /// The id.
        id: String,
        /// Where the first one is.
        reason: &'static str,
    },
    /// An id that is neither committed nor pending.
    #[error("unknown id {0:?}: it is neither committed nor pending")]
    UnknownId(String),
    /// A store that cannot be repaired: a damaged or foreign text index (the source of truth).
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// An operating-system error.
    #[error("I/O error: {0}")]
    Io(Arc<io::Error>),
    /// Another open store (in this process or another) holds the text index's writer lock or
    /// the vector directory's lock.
    #[error("the store is locked: {0}")]
    Locked(String),
    /// An operation after [`close`](crate::UnifiedSearchSystem::close) (or after a simulated
    /// crash).
    #[error("the search system is closed")]
    Closed,
    /// A failure inside the engine that no input should cause (please report it).
    #[error("internal error (please report): {0}")]
    Internal(String),
    /// An error of the vector index, with its own code (`ERR_UNSUPPORTED_VERSION` among them).
    #[error(transparent)]
    Index(IndexError),
}

impl HybridError {
    /// The stable code that JS sees as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            HybridError::InvalidArgument(_) => "ERR_INVALID_ARGUMENT",
            HybridError::DimensionMismatch { .. } => "ERR_DIMENSION_MISMATCH",
            HybridError::DuplicateId { .. } => "ERR_DUPLICATE_ID",
            HybridError::UnknownId(_) => "ERR_UNKNOWN_ID",
            HybridError::Corrupt(_) => "ERR_CORRUPT_INDEX",
            HybridError::Io(_) => "ERR_IO",
            HybridError::Locked(_) => "ERR_LOCKED",
            HybridError::Closed => "ERR_CLOSED",
            HybridError::Internal(_) => "ERR_INTERNAL",
            HybridError::Index(e) => e.code(),
        }
    }

    /// An `Io` error with a sentence of context in front of the operating system's message.
    pub(crate) fn io(context: impl std::fmt::Display, e: io::Error) -> Self {
        HybridError::Io(Arc::new(io::Error::new(e.kind(), format!("{context}: {e}"))))
    }
}

impl From<io::Error> for HybridError {
    fn from(e: io::Error) -> Self {
        HybridError::Io(Arc::new(e))
    }
}

impl From<IndexError> for HybridError {
    fn from(e: IndexError) -> Self {
        HybridError::Index(e)
    }
}

/// The text side's errors (tantivy's, already folded) map onto the same codes.
impl From<TextError> for HybridError {
    fn from(e: TextError) -> Self {
        match e {
            TextError::InvalidArgument(s) => HybridError::InvalidArgument(s),
            TextError::Corrupt(s) => HybridError::Corrupt(format!("text index: {s}")),
            TextError::Locked(s) => HybridError::Locked(format!("the text index is in use by another writer: {s}")),
            TextError::Io(e) => HybridError::Io(e),
            TextError::Internal(s) => HybridError::Internal(format!("text index: {s}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_index_codes_pass_through() {
        assert_eq!(HybridError::Closed.code(), "ERR_CLOSED");
        assert_eq!(HybridError::from(IndexError::DuplicateId(3)).code(), "ERR_DUPLICATE_ID");
        assert_eq!(
            HybridError::from(IndexError::UnsupportedVersion { found: 9, supported: 1 }).code(),
            "ERR_UNSUPPORTED_VERSION"
        );
        assert_eq!(HybridError::from(TextError::Corrupt("x".into())).code(), "ERR_CORRUPT_INDEX");
        assert_eq!(HybridError::from(TextError::Locked("x".into())).code(), "ERR_LOCKED");
        let e = HybridError::DimensionMismatch { expected: 4, got: 3, context: "the query vector".into() };
        assert_eq!(e.to_string(), "dimension mismatch: the query vector has 3 dimensions, the store has 4");
    }
}
