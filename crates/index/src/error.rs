//! The one error type of the crate.

use std::sync::Arc;

/// Result of every fallible index operation.
pub type Result<T> = std::result::Result<T, IndexError>;

/// Every way an index operation can fail. `code()` is stable and reaches JS as `error.code`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IndexError {
    /// A vector or query whose length is not the index's dimension.
    #[error("dimension mismatch: the index has {expected} dimensions, got {got}")]
    DimensionMismatch {
        /// The index's dimensions.
        expected: usize,
        /// The length that was given (for a batch whose length is not a multiple of the
        /// dimensions: the whole batch's length).
        got: usize,
    },
    /// A component that is NaN or infinite.
    #[error("vector {row} has a non-finite component at position {position} ({value})")]
    NonFinite {
        /// Row of the batch (0 for a single vector or query).
        row: usize,
        /// Component index within the row.
        position: usize,
        /// The offending value (NaN, +inf or -inf).
        value: f32,
    },
    /// A bad parameter (k, ef, metric, empty batch, zero vector under cosine ...).
    #[error("{0}")]
    InvalidArgument(String),
    /// An id that is already in the index.
    #[error("id {0} is already in the index")]
    DuplicateId(u64),
    /// An id that is not in the index.
    #[error("id {0} is not in the index")]
    UnknownId(u64),
    /// A file that is not an index of ours, or is damaged or truncated.
    #[error("corrupt index file: {0}")]
    Corrupt(String),
    /// A file written by a newer format version.
    #[error("unsupported index format version {found} (this build reads up to {supported})")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Highest version this build reads.
        supported: u32,
    },
    /// An operating-system error while reading or writing.
    #[error("I/O error: {0}")]
    Io(Arc<std::io::Error>),
}

impl IndexError {
    /// The stable code that JS sees as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            IndexError::DimensionMismatch { .. } => "ERR_DIMENSION_MISMATCH",
            IndexError::NonFinite { .. } => "ERR_INVALID_ARGUMENT",
            IndexError::InvalidArgument(_) => "ERR_INVALID_ARGUMENT",
            IndexError::DuplicateId(_) => "ERR_DUPLICATE_ID",
            IndexError::UnknownId(_) => "ERR_UNKNOWN_ID",
            IndexError::Corrupt(_) => "ERR_CORRUPT_INDEX",
            IndexError::UnsupportedVersion { .. } => "ERR_UNSUPPORTED_VERSION",
            IndexError::Io(_) => "ERR_IO",
        }
    }
}

impl From<std::io::Error> for IndexError {
    fn from(e: std::io::Error) -> Self {
        IndexError::Io(Arc::new(e))
    }
}
