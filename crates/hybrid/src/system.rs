//! [`UnifiedSearchSystem`]: opening a store, writes (buffered until commit), the two-step
//! commit, and the committed snapshot that searches read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use vn_index::{HnswIndex, HnswParams, Metric, VectorIndex};
use vn_text::{TextIndex, TextSnapshot};

use crate::consistency::{self, OpenReport, Payload, TextState};
use crate::embed::{check_embedded, is_zero, Embedder, EmbedderConfig, FeatureHashingEmbedder};
use crate::lock::VectorDirLock;
use crate::query::{Hit, Query};
use crate::session::{execute, Session};
use crate::write::{Pending, WriterState};
use crate::{HybridError, Result};

/// Longest accepted document id, in bytes.
pub const MAX_ID_BYTES: usize = 4096;
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
    /// HNSW parameters for a new (or rebuilt) vector index; an existing one keeps its own.
    pub hnsw: HnswParams,
    /// Embedder for documents and queries without a vector.
    pub embedder: EmbedderConfig,
    /// Indexing memory of the text writer in bytes (at least 15 MB); past it, a segment is
    /// flushed to disk, still invisible until a commit.
    pub writer_memory: usize,
}

impl OpenOptions {
    /// Options with the defaults: cosine, default HNSW parameters, the feature-hashing
    /// embedder, 50 MB of writer memory.
    pub fn new(text_index_path: impl Into<PathBuf>, vector_db_path: impl Into<PathBuf>, dimensions: usize) -> Self {
        OpenOptions {
            text_index_path: text_index_path.into(),
            vector_db_path: vector_db_path.into(),
            dimensions,
            metric: Metric::Cosine,
            hnsw: HnswParams::default(),
            embedder: EmbedderConfig::default(),
            writer_memory: DEFAULT_WRITER_MEMORY,
        }
    }
}

/// A document to add (and, from [`UnifiedSearchSystem::get`], as stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The caller's id: non-empty, at most [`MAX_ID_BYTES`] bytes, unique in the store.
    pub id: String,
    /// The searchable text: must contain a non-whitespace character.
    pub text: String,
    /// The document's vector (store dimensions, finite, non-zero under cosine). Without one,
    /// the system's embedder embeds `text`; without an embedder (or when the text has no
    /// tokens) the document is text-only: found by text search, never by vector search.
    pub vector: Option<Vec<f32>>,
    /// A JSON string stored with the document (validated as JSON, never indexed).
    pub metadata: Option<String>,
}

impl Document {
    /// A document without vector or metadata.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Document {
        Document { id: id.into(), text: text.into(), vector: None, metadata: None }
    }

    /// The same document with a vector.
    pub fn with_vector(mut self, vector: Vec<f32>) -> Document {
        self.vector = Some(vector);
        self
    }

    /// The same document with metadata (a JSON string).
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Document {
        self.metadata = Some(metadata.into());
        self
    }
}

/// Counters of a system.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Committed documents.
    pub doc_count: u64,
    /// Vectors in the vector index (documents with a vector).
    pub vector_count: usize,
    /// Documents added and not yet committed.
    pub pending_adds: usize,
    /// Deletions not yet committed.
    pub pending_deletes: usize,
    /// The generation searches currently see (one more per commit that changed something).
    pub generation: u64,
    /// Vector length.
    pub dimensions: usize,
    /// Distance metric.
    pub metric: Metric,
    /// Bytes of the text index's files.
    pub text_index_bytes: u64,
    /// Bytes of the vector file.
    pub vector_index_bytes: u64,
}

/// One committed state as searches see it.
pub(crate) struct Snapshot {
    /// Bumped on every publication (sessions compare it).
    pub version: u64,
    /// The commit generation.
    pub generation: u64,
    pub text: TextSnapshot,
    /// Internal ids at or above this were assigned after this state: never returned from it.
    pub watermark: u64,
}

/// Shared by the system and its sessions.
pub(crate) struct Inner {
    pub text: TextIndex,
    pub hnsw: HnswIndex,
    pub dims: usize,
    pub metric: Metric,
    pub embedder: Option<Arc<dyn Embedder>>,
    pub vector_dir: PathBuf,
    snapshot: RwLock<Arc<Snapshot>>,
    pub snapshot_version: AtomicU64,
    /// Committed internal id → caller's id. Entries appear before the commit that added them
    /// is published (hence [`Snapshot::watermark`]) and vanish when a delete is committed.
    pub resolver: RwLock<HashMap<u64, Arc<str>>>,
    pub closed: AtomicBool,
    pub writer: Mutex<Option<WriterState>>,
    report: OpenReport,
}

impl Inner {
    pub fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(HybridError::Closed)
        } else {
            Ok(())
        }
    }

    pub fn current_snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().clone()
    }

    /// Reloads the text reader and makes its state the one searches see.
    pub fn publish(&self, generation: u64, watermark: u64) -> Result<()> {
        self.text.reload()?;
        let text = self.text.snapshot()?;
        let mut slot = self.snapshot.write();
        let version = slot.version + 1;
        *slot = Arc::new(Snapshot { version, generation, text, watermark });
        self.snapshot_version.store(version, Ordering::Release);
        Ok(())
    }

    /// The embedder's vectors of `texts`, checked: one per text, each of the store's dimensions
    /// and finite. `InvalidArgument` when the store has no embedder.
    pub fn embed_checked(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let e = self.embedder.as_ref().ok_or_else(|| {
            HybridError::InvalidArgument(
                "this store has no built-in embedder (open it with embedder 'feature-hashing')".into(),
            )
        })?;
        let vectors = e.embed(texts);
        if vectors.len() != texts.len() {
            return Err(HybridError::InvalidArgument(format!(
                "the embedder returned {} vectors for {} texts",
                vectors.len(),
                texts.len()
            )));
        }
        for v in &vectors {
            check_embedded(v, self.dims)?;
        }
        Ok(vectors)
    }

    /// Embeds one query text; `None` for a text without tokens (zero vector).
    pub fn embed_query(&self, text: &str) -> Result<Option<Vec<f32>>> {
        let v = self.embed_checked(&[text])?.pop().expect("one vector per text");
        Ok(if is_zero(&v) { None } else { Some(v) })
    }
}

/// A text index and a vector index kept in step, searched by BM25, by vector, or both fused.
///
/// * **Writes** ([`add`](Self::add), [`delete`](Self::delete)) are validated whole (a bad
///   document or id rejects the batch) and buffered; searches do not see them until
///   [`commit`](Self::commit); [`rollback`](Self::rollback) discards them. Writers are
///   serialized by a mutex.
/// * **Commit**: the vector index applies the pending changes and is saved with a manifest at
///   generation `g + 1`, then the text index commits with the same generation in its payload,
///   then searches switch to the new state. A failure rolls the pending work back and brings
///   the vector index back in step with the text index; a crash is repaired by the next
///   [`open`](Self::open) (see [`crate::consistency`]).
/// * **Searches** take `&self`, run concurrently with each other and with writes, and read one
///   committed snapshot: every id they return exists in that state. (While a commit is being
///   applied, the vector leg of a search on the previous state may miss the documents that
///   commit deletes; it never returns the ones it adds.)
/// * All methods fail with `ERR_CLOSED` after [`close`](Self::close).
pub struct UnifiedSearchSystem {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for UnifiedSearchSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnifiedSearchSystem")
            .field("text_index", &self.inner.text.path())
            .field("vector_db", &self.inner.vector_dir)
            .field("dimensions", &self.inner.dims)
            .field("metric", &self.inner.metric)
            .finish_non_exhaustive()
    }
}

fn new_store_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

fn prepare_vector_dir(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(HybridError::InvalidArgument(format!(
            "the vector db path {} is a file, not a directory",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(path)
            .map_err(|e| HybridError::io(format!("creating the vector db directory {}", path.display()), e)),
        Err(e) => Err(HybridError::io(format!("reading {}", path.display()), e)),
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

impl UnifiedSearchSystem {
    /// Opens the store at the two paths, creating it when absent, and repairs the vector
    /// index from the text index if they are out of step ([`open_report`](Self::open_report)
    /// tells what happened).
    ///
    /// Errors: `InvalidArgument` for bad options, dimensions or metric other than the store's
    /// (the message names both), equal paths, a file where a directory is expected, or a
    /// non-empty directory that is not a text index; `Corrupt` when the text index is damaged
    /// or foreign (it cannot be repaired: it is the source of truth); `Locked` when another
    /// open system holds the text index or the vector directory; `Io` when a directory cannot
    /// be created or read.
    pub fn open(options: OpenOptions) -> Result<UnifiedSearchSystem> {
        let OpenOptions { text_index_path, vector_db_path, dimensions, metric, hnsw, embedder, writer_memory } =
            options;
        if dimensions == 0 || dimensions > MAX_DIMENSIONS {
            return Err(HybridError::InvalidArgument(format!(
                "dimensions must be between 1 and {MAX_DIMENSIONS}, got {dimensions}"
            )));
        }
        // Checked before anything is created: HNSW parameters, writer memory.
        HnswIndex::new(dimensions, metric, hnsw)?;
        if writer_memory < vn_text::MIN_WRITER_MEMORY {
            return Err(HybridError::InvalidArgument(format!(
                "writer_memory must be at least {} bytes, got {writer_memory}",
                vn_text::MIN_WRITER_MEMORY
            )));
        }
        if same_path(&text_index_path, &vector_db_path) {
            return Err(HybridError::InvalidArgument(format!(
                "the text index and the vector db need two different directories, both are {}",
                text_index_path.display()
            )));
        }
        prepare_vector_dir(&vector_db_path)?;
        // Before anything is read or repaired: another open store may be writing these files.
        let vector_lock = VectorDirLock::acquire(&vector_db_path)?;
        let (text, created) = TextIndex::open_or_create(&text_index_path)?;
        let mut writer = text.writer(writer_memory)?;
        let payload = match text.committed_payload()? {
            Some(s) => Payload::decode(&s)?,
            None => {
                if text.snapshot()?.num_docs() > 0 {
                    return Err(HybridError::Corrupt(format!(
                        "the text index at {} holds documents but no vn-hybrid commit",
                        text_index_path.display()
                    )));
                }
                // A new index (or one whose creation stopped before its first commit).
                let p = Payload::new(new_store_id(), 0, dimensions, metric, 0);
                writer.commit(&p.encode())?;
                text.reload()?;
                p
            }
        };
        let stored_metric = payload.metric()?;
        if payload.dimensions != dimensions || stored_metric != metric {
            return Err(HybridError::InvalidArgument(format!(
                "the store at {} has {} dimensions and the {} metric; it was opened with {} dimensions and the {} \
                 metric",
                text_index_path.display(),
                payload.dimensions,
                stored_metric.as_str(),
                dimensions,
                metric.as_str()
            )));
        }
        text.reload()?;
        let snapshot = text.snapshot()?;
        let keys = snapshot.keys()?;
        let text_next = keys.iter().map(|k| k.internal_id + 1).max().unwrap_or(0).max(payload.next_internal_id);
        let doc_count = snapshot.num_docs();
        let side = consistency::open_vectors(
            &vector_db_path,
            &TextState { payload: &payload, snapshot: &snapshot, keys: &keys, doc_count, next_internal_id: text_next },
            hnsw,
        )?;
        let mut by_id = HashMap::with_capacity(keys.len());
        let mut resolver = HashMap::with_capacity(keys.len());
        for k in keys {
            let id: Arc<str> = k.id.into();
            resolver.insert(k.internal_id, id.clone());
            by_id.insert(id, k.internal_id);
        }
        let embedder: Option<Arc<dyn Embedder>> = match embedder {
            EmbedderConfig::FeatureHashing => Some(Arc::new(FeatureHashingEmbedder::new(dimensions))),
            EmbedderConfig::None => None,
            EmbedderConfig::Custom(e) => Some(e),
        };
        let report = OpenReport {
            created,
            text_generation: payload.generation,
            vector_generation: side.vector_generation,
            repaired: side.repaired,
            problems: side.problems,
        };
        let next_internal_id = side.next_internal_id;
        let inner = Inner {
            hnsw: side.hnsw,
            dims: dimensions,
            metric,
            embedder,
            vector_dir: vector_db_path,
            snapshot: RwLock::new(Arc::new(Snapshot {
                version: 0,
                generation: payload.generation,
                text: snapshot,
                watermark: next_internal_id,
            })),
            snapshot_version: AtomicU64::new(0),
            resolver: RwLock::new(resolver),
            closed: AtomicBool::new(false),
            writer: Mutex::new(Some(WriterState {
                text: writer,
                _vector_lock: vector_lock,
                store_id: payload.store_id,
                generation: payload.generation,
                next_internal_id,
                by_id,
                doc_count,
                pending: Pending::default(),
            })),
            report,
            text,
        };
        Ok(UnifiedSearchSystem { inner: Arc::new(inner) })
    }

    /// What [`open`](Self::open) found and repaired.
    pub fn open_report(&self) -> &OpenReport {
        &self.inner.report
    }

    /// Vector length.
    pub fn dimensions(&self) -> usize {
        self.inner.dims
    }

    /// Distance metric.
    pub fn metric(&self) -> Metric {
        self.inner.metric
    }

    /// The generation searches currently see.
    pub fn generation(&self) -> u64 {
        self.inner.current_snapshot().generation
    }

    /// The vector index's file (for tools and tests).
    pub fn vector_file_path(&self) -> PathBuf {
        self.inner.vector_dir.join(consistency::VECTOR_FILE)
    }

    /// Searches the committed state. See [`Query`] for the modes and [`Hit`] for the scores.
    ///
    /// Errors: `InvalidArgument` (see [`Query`]), `DimensionMismatch` for a query vector of
    /// another length, `Closed`.
    pub fn search(&self, query: &Query) -> Result<Vec<Hit>> {
        self.inner.check_open()?;
        let snapshot = self.inner.current_snapshot();
        execute(&self.inner, &snapshot, query, |v, p| self.inner.hnsw.search(v, p))
    }

    /// The store's embedder applied to `texts`: one row of [`dimensions`](Self::dimensions)
    /// floats per text, row-major. A text without tokens gives a row of zeros (it matches
    /// nothing). Fails with `InvalidArgument` when the store was opened without an embedder.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<f32>> {
        self.inner.check_open()?;
        Ok(self.inner.embed_checked(texts)?.concat())
    }

    /// A search session with its own scratch memory; see [`Session`].
    pub fn session(&self) -> Session {
        Session::new(self.inner.clone())
    }

    /// The committed document with this id, as stored.
    ///
    /// Errors: `Corrupt` when its stored metadata is not JSON (every add checks it is).
    pub fn get(&self, id: &str) -> Result<Option<Document>> {
        self.inner.check_open()?;
        let snapshot = self.inner.current_snapshot();
        let Some(d) = snapshot.text.get(id)? else { return Ok(None) };
        if let Some(m) = &d.metadata {
            serde_json::from_str::<serde::de::IgnoredAny>(m).map_err(|e| {
                HybridError::Corrupt(format!("text index: the stored metadata of document {id:?} is not JSON ({e})"))
            })?;
        }
        Ok(Some(Document { id: d.id, text: d.text, vector: d.vector, metadata: d.metadata }))
    }

    /// Counters; waits for a running commit.
    pub fn stats(&self) -> Result<Stats> {
        self.inner.check_open()?;
        let (pending_adds, pending_deletes) = {
            let guard = self.inner.writer.lock();
            let st = guard.as_ref().ok_or(HybridError::Closed)?;
            st.pending.counts()
        };
        let snapshot = self.inner.current_snapshot();
        let vector_index_bytes = std::fs::metadata(self.vector_file_path()).map(|m| m.len()).unwrap_or(0);
        Ok(Stats {
            doc_count: snapshot.text.num_docs(),
            vector_count: self.inner.hnsw.len(),
            pending_adds,
            pending_deletes,
            generation: snapshot.generation,
            dimensions: self.inner.dims,
            metric: self.inner.metric,
            text_index_bytes: self.inner.text.size_on_disk()?,
            vector_index_bytes,
        })
    }

    /// Discards pending work, waits for background merges, releases the store's lock. Later
    /// calls (on this system and its sessions) fail with `Closed`; closing twice is fine.
    /// Dropping the system does the same without waiting for merges.
    pub fn close(&self) -> Result<()> {
        let state = {
            let mut guard = self.inner.writer.lock();
            self.inner.closed.store(true, Ordering::Release);
            guard.take()
        };
        if let Some(mut st) = state {
            if !st.pending.is_empty() {
                st.text.rollback()?;
            }
            st.text.finish()?;
        }
        Ok(())
    }
}

/// Sessions share the system's memory but not its ownership of the store: dropping the system
/// discards pending work, releases the writer lock (so the store can be reopened at once) and
/// makes its sessions fail with `Closed`.
impl Drop for UnifiedSearchSystem {
    fn drop(&mut self) {
        let state = {
            let mut guard = self.inner.writer.lock();
            self.inner.closed.store(true, Ordering::Release);
            guard.take()
        };
        drop(state); // tantivy's writer discards uncommitted documents and unlocks the index
    }
}
