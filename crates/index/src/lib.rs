//! Exact (flat) and HNSW vector indexes.
//!
//! PLACEHOLDER API: implementations are being written.

mod error;
pub use error::{IndexError, Result};

use std::collections::HashSet;
use std::path::Path;

/// Distance metric of an index. Distances are "smaller is closer":
/// `L2` is squared Euclidean, `Cosine` is `1 - cos`, `Dot` is `1 - a·b` (as in hnswlib).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Cosine,
    L2,
    Dot,
}

impl Metric {
    pub fn as_str(&self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::L2 => "l2",
            Metric::Dot => "dot",
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = IndexError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cosine" => Ok(Metric::Cosine),
            "l2" => Ok(Metric::L2),
            "dot" => Ok(Metric::Dot),
            other => Err(IndexError::InvalidArgument(format!(
                "unknown metric {other:?}: expected \"cosine\", \"l2\" or \"dot\""
            ))),
        }
    }
}

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub distance: f32,
}

/// Per-query parameters.
#[derive(Debug, Clone, Default)]
pub struct SearchParams<'a> {
    pub k: usize,
    /// HNSW beam width for this query; `None` uses the index's `ef_search`. Ignored by `FlatIndex`.
    pub ef: Option<usize>,
    /// Only these ids may be returned.
    pub filter: Option<&'a HashSet<u64>>,
}

/// HNSW construction and search parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    pub m: usize,
    pub ef_construction: usize,
    pub ef_search: usize,
    pub seed: u64,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams { m: 16, ef_construction: 200, ef_search: 64, seed: 100 }
    }
}

/// What every index does: exact and approximate are swappable.
pub trait VectorIndex: Send + Sync {
    fn dimensions(&self) -> usize;
    fn metric(&self) -> Metric;
    /// Live (not deleted) vectors.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn contains(&self, id: u64) -> bool;
    /// Adds `ids.len()` vectors stored row-major in `vectors`. All-or-nothing.
    fn add(&self, ids: &[u64], vectors: &[f32]) -> Result<()>;
    /// Deletes ids; all-or-nothing. Returns how many were deleted.
    fn remove(&self, ids: &[u64]) -> Result<usize>;
    fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<Hit>>;
    fn search_batch(&self, queries: &[f32], params: &SearchParams) -> Result<Vec<Vec<Hit>>>;
    fn save(&self, path: &Path) -> Result<()>;
}
