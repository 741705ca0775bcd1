//! [`OpenOptions`]: how to open (or create) a store, with its bounds and defaults.

use std::path::PathBuf;

use vn_index::{HnswParams, IndexKind, Metric};

use crate::embed::EmbedderConfig;

/// Largest accepted dimensions (as `vn-index`).
pub const MAX_DIMENSIONS: usize = 65_536;
/// Default indexing memory of the text writer (one indexing thread).
pub const DEFAULT_WRITER_MEMORY: usize = 50_000_000;

/// How to open (or create) a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Directory of the text index (the source of truth); created when absent. It must be a
    /// new or empty directory, or hold a store's text index.
    pub text_index_path: PathBuf,
    /// Directory of the vector index (`vectors.vnidx` and `manifest.json`); created when
    /// absent. Must differ from `text_index_path`.
    pub vector_db_path: PathBuf,
    /// Vector length (1 ..= 65 536). Must match an existing store.
    pub dimensions: usize,
    /// Distance metric. Must match an existing store.
    pub metric: Metric,
    /// The vector index: `None` opens an existing store with the kind it was created with and
    /// creates a new one with [`IndexKind::Hnsw`]; `Some(kind)` must match an existing store
    /// (a store keeps its kind: another one is an `InvalidArgument` error, never a silent
    /// rebuild). [`IndexKind::Flat`] is exact (every search compares the query with every
    /// vector); HNSW is approximate and sub-linear.
    pub vector_index: Option<IndexKind>,
    /// HNSW parameters for a new (or rebuilt) HNSW index; an existing one keeps its own.
    /// Ignored by a flat index (but still checked).
    pub hnsw: HnswParams,
    /// Embedder for documents and queries without a vector.
    pub embedder: EmbedderConfig,
    /// Indexing memory of the text writer in bytes (at least 15 MB); past it, a segment is
    /// flushed to disk, still invisible until a commit.
    pub writer_memory: usize,
}

impl OpenOptions {
    /// Options with the defaults: cosine, the store's vector index kind (HNSW for a new
    /// store) with default HNSW parameters, the feature-hashing embedder, 50 MB of writer
    /// memory.
    pub fn new(text_index_path: impl Into<PathBuf>, vector_db_path: impl Into<PathBuf>, dimensions: usize) -> Self {
        OpenOptions {
            text_index_path: text_index_path.into(),
            vector_db_path: vector_db_path.into(),
            dimensions,
            metric: Metric::Cosine,
            vector_index: None,
            hnsw: HnswParams::default(),
            embedder: EmbedderConfig::default(),
            writer_memory: DEFAULT_WRITER_MEMORY,
        }
    }
}
