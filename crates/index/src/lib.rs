//! Exact (flat) and HNSW vector indexes with crash-safe persistence.
//!
//! Two indexes implement the same [`VectorIndex`] trait, so they are swappable:
//!
//! * [`FlatIndex`] compares a query with every live vector: exact, `O(n·d)` per query.
//! * [`HnswIndex`] is a Hierarchical Navigable Small World graph (Malkov & Yashunin), built
//!   like hnswlib's `hnswalg.h`: approximate, sub-linear, tuned with `M`, `ef_construction` and
//!   `ef_search`.
//!
//! Vectors carry caller-chosen `u64` ids. Distances are "smaller is closer" (see [`Metric`]).
//! Every method takes `&self`: any number of searches may run in parallel, and adds, removes
//! and saves may run concurrently with them. Batch adds and [`VectorIndex::search_batch`] run
//! on rayon's global pool; single calls stay on the calling thread.
//!
//! [`VectorIndex::save`] writes one checksummed file atomically ([`write_atomically`]:
//! temporary file, `fsync`, rename; the temporary files of killed writers are removed on the
//! next save); [`load_index`] (or [`read_index_kind`] and the concrete `load`) opens it again.
//!
//! # Example
//!
//! ```
//! use vn_index::{load_index, HnswIndex, HnswParams, Metric, SearchParams, VectorIndex};
//!
//! let index = HnswIndex::new(3, Metric::L2, HnswParams::default())?;
//! index.add(&[10, 20, 30], &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 5.0, 5.0, 5.0])?;
//! index.remove(&[20])?;
//!
//! let hits = index.search(&[0.9, 1.0, 1.1], &SearchParams { k: 2, ..Default::default() })?;
//! let ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
//! assert_eq!(ids, [10, 30]); // 20 was removed
//!
//! let path = std::env::temp_dir().join(format!("vn-index-doc-{}.vnidx", std::process::id()));
//! index.save(&path)?;
//! let loaded = load_index(&path)?;
//! assert_eq!(loaded.search(&[0.9, 1.0, 1.1], &SearchParams { k: 2, ..Default::default() })?, hits);
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod aligned;
mod atomic;
mod distance;
mod error;
mod flat;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod hnsw;
mod idmap;
mod persist;
mod select;
mod validate;

pub use atomic::{remove_stale_temp_files, write_atomically};
pub use error::{IndexError, Result};
pub use flat::FlatIndex;
pub use hnsw::{HnswIndex, HnswScratch, COMPACT_MIN_TOMBSTONES};
pub use persist::{FileChecksum, FORMAT_VERSION};
pub use validate::MAX_K;

use std::any::Any;
use std::collections::HashSet;
use std::path::Path;

/// Distance metric of an index. Distances are "smaller is closer":
/// `L2` is squared Euclidean, `Cosine` is `1 - cos`, `Dot` is `1 - a·b` (as in hnswlib).
///
/// Under `Cosine` the index stores normalized vectors and normalizes each query once, so the
/// distance is `1 - a·b` of unit vectors; a zero vector has no direction and is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `1 - cos(a, b)`, in `[0, 2]`.
    Cosine,
    /// Squared Euclidean distance `Σ (aᵢ - bᵢ)²`.
    L2,
    /// `1 - a·b` (inner product; not a metric in the mathematical sense).
    Dot,
}

impl Metric {
    /// `"cosine"`, `"l2"` or `"dot"`.
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
    /// The caller's id of the vector.
    pub id: u64,
    /// Its distance to the query under the index's [`Metric`] (smaller is closer).
    pub distance: f32,
}

/// Per-query parameters.
#[derive(Debug, Clone, Default)]
pub struct SearchParams<'a> {
    /// How many results at most (1 ..= 100 000). Fewer come back only when fewer live
    /// (and, with a filter, allowed) vectors exist.
    pub k: usize,
    /// HNSW beam width for this query; `None` uses the index's `ef_search`. Ignored by `FlatIndex`
    /// (but still validated: 1 ..= 1 000 000). HNSW searches with `max(ef, k)`.
    pub ef: Option<usize>,
    /// Only these ids may be returned.
    pub filter: Option<&'a HashSet<u64>>,
}

/// HNSW construction and search parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    /// Links per node on the upper layers (2 ..= 256); layer 0 keeps up to `2·m`.
    pub m: usize,
    /// Beam width while inserting (1 ..= 1 000 000).
    pub ef_construction: usize,
    /// Default beam width while searching (1 ..= 1 000 000). The default, 100, keeps
    /// recall@10 at or above 0.95 on hard (high intrinsic dimension) 10k-vector data with
    /// M = 16, where 64 reaches only about 0.94 (as hnswlib does at the same ef).
    pub ef_search: usize,
    /// Seed of the level generator: the same seed and insertion order give the same levels.
    pub seed: u64,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams { m: 16, ef_construction: 200, ef_search: 100, seed: 100 }
    }
}

/// Heap memory an index holds, in bytes, by what it is for.
///
/// Computed from what is allocated (the capacities of its tables, segments and maps), not
/// estimated from `len × dims`, so it includes growth headroom: a `Vec` or map that doubled,
/// the unused tail of the newest HNSW segment, tombstoned HNSW nodes, row padding to 16 floats.
/// Allocated is not resident: the newest HNSW segment comes zeroed from the OS, and its
/// unwritten pages take address space only (the process's RSS shows what is resident).
///
/// Not counted: search scratch buffers (pooled per thread), allocator bookkeeping, and the
/// index struct itself (a few hundred bytes). Taking it is cheap: `O(segments)` for HNSW, `O(1)`
/// for flat, each under a read lock held only to read a map's capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryUsage {
    /// The stored vectors. Flat: its row table (capacity × rows padded to a multiple of 16
    /// floats). HNSW: the vector part of every allocated level-0 block (the same padded rows).
    pub vector_bytes: u64,
    /// Caller ids and the id → row/node maps. Flat: the id column (capacity) and the id map.
    /// HNSW: the id words of every allocated level-0 block and the registry's id → node map.
    pub id_bytes: u64,
    /// The HNSW graph: the level-0 block headers (neighbour list of `2·M` slots, its count,
    /// sequence and flag words, padding), the upper-layer lists of every node, and each node
    /// slot (level, writer lock, pointer to its upper lists). 0 for a flat index.
    pub graph_bytes: u64,
    /// The rest. HNSW: the per-segment deletion bitsets and alignment slack of the segment
    /// allocations. Flat: 0 (a removal moves the last row into the hole: no tombstones).
    pub other_bytes: u64,
}

impl MemoryUsage {
    /// The sum of all fields.
    pub fn total(&self) -> u64 {
        self.vector_bytes + self.id_bytes + self.graph_bytes + self.other_bytes
    }
}

/// The algorithm behind an index, as recorded in a file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// [`FlatIndex`].
    Flat,
    /// [`HnswIndex`].
    Hnsw,
}

impl IndexKind {
    /// `"flat"` or `"hnsw"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            IndexKind::Flat => "flat",
            IndexKind::Hnsw => "hnsw",
        }
    }
}

impl std::str::FromStr for IndexKind {
    type Err = IndexError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "flat" => Ok(IndexKind::Flat),
            "hnsw" => Ok(IndexKind::Hnsw),
            other => Err(IndexError::InvalidArgument(format!(
                "unknown vector index {other:?}: expected \"hnsw\" or \"flat\""
            ))),
        }
    }
}

/// What every index does: exact and approximate are swappable.
pub trait VectorIndex: Send + Sync {
    /// Which algorithm this is.
    fn kind(&self) -> IndexKind;
    /// Components per vector.
    fn dimensions(&self) -> usize;
    /// The distance metric.
    fn metric(&self) -> Metric;
    /// Live (not deleted) vectors.
    fn len(&self) -> usize;
    /// Whether no live vector is left.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether `id` is live in the index.
    fn contains(&self, id: u64) -> bool;
    /// Adds `ids.len()` vectors stored row-major in `vectors`. All-or-nothing: on any error
    /// (bad length, non-finite value, duplicate id ...) nothing is added.
    fn add(&self, ids: &[u64], vectors: &[f32]) -> Result<()>;
    /// Deletes ids; all-or-nothing (an unknown id deletes none). Returns how many were deleted
    /// (an id listed twice counts once).
    fn remove(&self, ids: &[u64]) -> Result<usize>;
    /// Heap bytes the index holds, by kind (see [`MemoryUsage`]). Cheap: no scan of the vectors.
    fn memory(&self) -> MemoryUsage;
    /// The `k` nearest live vectors to `query`, by distance ascending, ties by id ascending.
    fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<Hit>>;
    /// [`search`](Self::search) for each row of `queries` (row-major), in parallel.
    fn search_batch(&self, queries: &[f32], params: &SearchParams) -> Result<Vec<Vec<Hit>>>;
    /// Writes the index to `path` atomically: the old file (if any) stays intact on failure.
    fn save(&self, path: &Path) -> Result<()> {
        self.save_checksummed(path).map(drop)
    }
    /// [`save`](Self::save), returning the written file's [`FileChecksum`] (what
    /// [`read_file_checksum`] reads back from it).
    fn save_checksummed(&self, path: &Path) -> Result<FileChecksum>;
    /// For downcasting a `dyn VectorIndex` to [`FlatIndex`] or [`HnswIndex`].
    fn as_any(&self) -> &dyn Any;
}

impl std::fmt::Debug for dyn VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("kind", &self.kind())
            .field("dimensions", &self.dimensions())
            .field("metric", &self.metric())
            .field("len", &self.len())
            .finish()
    }
}

/// Reads only the header of an index file and tells which kind of index it holds.
///
/// Errors: `Io` if the file cannot be opened, `Corrupt` for a foreign or damaged header,
/// `UnsupportedVersion` for a file from a newer format.
pub fn read_index_kind(path: &Path) -> Result<IndexKind> {
    persist::read_kind(path)
}

/// The [`FileChecksum`] of an index file: its length and the CRC-32 it ends with, read from the
/// last four bytes without reading the rest (loading the file verifies that CRC).
///
/// Errors: `Io` if the file cannot be read, `Corrupt` if it is shorter than a checksum.
pub fn read_file_checksum(path: &Path) -> Result<FileChecksum> {
    persist::read_checksum(path)
}

/// Opens whatever index file it is given (flat or HNSW, read from its header).
pub fn load_index(path: &Path) -> Result<Box<dyn VectorIndex>> {
    let data = persist::read_file(path)?;
    Ok(match data.header.kind {
        IndexKind::Flat => Box::new(FlatIndex::from_loaded(data)?),
        IndexKind::Hnsw => Box::new(HnswIndex::from_loaded(data)?),
    })
}
