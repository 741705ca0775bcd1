//! [`UnifiedSearchSystem`]: the façade over a store — open, buffered writes, commit, searches,
//! sessions, counters, close. The work is done by the modules below it (`open`, `write`,
//! `commit`, `search`, `session`).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use vn_index::{IndexKind, MemoryUsage, Metric};

#[cfg(any(test, feature = "fault-injection"))]
use crate::commit::Fault;
use crate::consistency::{self, OpenReport};
use crate::document::Document;
use crate::options::OpenOptions;
use crate::query::{Hit, Query};
use crate::search::execute;
use crate::session::Session;
use crate::state::Inner;
use crate::{commit, open, write, HybridError, Result};

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
    /// The vector index's kind.
    pub vector_index: IndexKind,
    /// Bytes of the text index's files.
    pub text_index_bytes: u64,
    /// Bytes of the vector file.
    pub vector_index_bytes: u64,
    /// Heap bytes of the in-memory vector index, by kind (see [`MemoryUsage`]); pending
    /// (uncommitted) vectors are not in it yet.
    pub vector_memory: MemoryUsage,
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
        Ok(UnifiedSearchSystem { inner: Arc::new(open::open(options)?) })
    }

    /// Validates every document, then buffers them all (or none). Documents without a vector
    /// are embedded with the system's embedder. Returns how many were added.
    ///
    /// Errors: `InvalidArgument` (empty id or text, an id over [`MAX_ID_BYTES`](crate::MAX_ID_BYTES), metadata that
    /// is not JSON, a non-finite vector, a zero vector under cosine), `DimensionMismatch`,
    /// `DuplicateId` (twice in the batch, already pending, or committed and not pending
    /// deletion), `Closed`.
    pub fn add(&self, docs: &[Document]) -> Result<usize> {
        write::add(&self.inner, docs)
    }

    /// Buffers the deletion of each id (committed, or pending: a pending add is simply
    /// dropped). All or nothing; an id listed twice counts once. Returns how many documents
    /// will be gone.
    ///
    /// Errors: `UnknownId` (neither committed nor pending, or already pending deletion),
    /// `Closed`.
    pub fn delete<S: AsRef<str>>(&self, ids: &[S]) -> Result<usize> {
        write::delete(&self.inner, ids)
    }

    /// Makes every pending change durable and visible, and returns the new generation (the
    /// same one when nothing was pending).
    ///
    /// On failure the pending work is discarded, the vector index is brought back in step
    /// with what the text index holds durably, and the error is returned; if even that fails
    /// the system closes itself (reopen it: open repairs). If only the final reload of the
    /// text reader fails, the commit is durable but the error is returned and searches keep
    /// the previous state until the next successful commit.
    ///
    /// Cost: the vector index is saved whole (`vn-index` writes one file), so a commit costs
    /// time proportional to the store's size: commit batches, not single documents.
    pub fn commit(&self) -> Result<u64> {
        commit::commit(&self.inner, |_| Ok(()))
    }

    /// [`commit`](Self::commit), stopped at `fault`: a simulated crash leaves the files as a
    /// killed process would and closes the system (drop it and reopen); an injected error
    /// takes the normal failure path.
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn commit_with_fault(&self, fault: Fault) -> Result<u64> {
        commit::commit(&self.inner, |at| fault.checkpoint(at))
    }

    /// Discards every pending add and delete. Returns how many there were.
    pub fn rollback(&self) -> Result<usize> {
        write::rollback(&self.inner)
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

    /// The vector index's kind (the one the store was created with).
    pub fn vector_index(&self) -> IndexKind {
        self.inner.vectors.kind()
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
        execute(&self.inner, &snapshot, query, |v, p| self.inner.vectors.search(v, p))
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
        Document::from_stored(d).map(Some)
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
            vector_count: self.inner.vectors.len(),
            pending_adds,
            pending_deletes,
            generation: snapshot.generation,
            dimensions: self.inner.dims,
            metric: self.inner.metric,
            vector_index: self.inner.vectors.kind(),
            text_index_bytes: self.inner.text.size_on_disk()?,
            vector_index_bytes,
            vector_memory: self.inner.vectors.memory(),
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
