//! Writes: validation, the pending buffer, the two-step commit, rollback, and the recovery
//! of a failed commit.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use vn_index::{Metric, VectorIndex};
use vn_text::{TextDoc, TextWriter};

use crate::consistency::{self, Payload};
use crate::embed::is_zero;
use crate::system::{Document, UnifiedSearchSystem, MAX_ID_BYTES};
use crate::{HybridError, Result};

/// Where [`UnifiedSearchSystem::commit_with_fault`] stops a commit.
#[cfg(any(test, feature = "fault-injection"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Crash after the vector file is written, before its manifest.
    AfterVectorFile,
    /// Crash after the vector file and its manifest, before the text commit.
    AfterVectorSave,
    /// The text commit fails with an error (no crash): the system recovers in-process.
    TextCommitError,
}

/// Writer-side state, behind the writer mutex.
pub(crate) struct WriterState {
    pub text: TextWriter,
    /// The vector directory's lock: released with the writer (close, drop, a simulated crash).
    pub _vector_lock: crate::lock::VectorDirLock,
    pub store_id: String,
    /// Last committed generation.
    pub generation: u64,
    pub next_internal_id: u64,
    /// Committed caller id → internal id.
    pub by_id: HashMap<Arc<str>, u64>,
    pub doc_count: u64,
    pub pending: Pending,
}

#[derive(Default)]
pub(crate) struct Pending {
    /// In add order; `None` once deleted again before the commit.
    adds: Vec<Option<PendingAdd>>,
    /// Pending add id → slot in `adds`.
    add_slot: HashMap<Arc<str>, usize>,
    /// Committed documents to delete: caller id → internal id.
    deletes: HashMap<Arc<str>, u64>,
}

struct PendingAdd {
    id: Arc<str>,
    internal_id: u64,
    vector: Option<Vec<f32>>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.add_slot.is_empty() && self.deletes.is_empty()
    }

    /// `(adds, deletes)` waiting for a commit.
    pub fn counts(&self) -> (usize, usize) {
        (self.add_slot.len(), self.deletes.len())
    }
}

/// How a commit step failed.
enum CommitFailure {
    /// An error: roll back and resynchronise in-process.
    Error(HybridError),
    /// A simulated crash: stop here, as a killed process would.
    #[cfg_attr(not(any(test, feature = "fault-injection")), allow(dead_code))]
    Crash(HybridError),
}

impl<E: Into<HybridError>> From<E> for CommitFailure {
    fn from(e: E) -> Self {
        CommitFailure::Error(e.into())
    }
}

impl UnifiedSearchSystem {
    /// Validates every document, then buffers them all (or none). Documents without a vector
    /// are embedded with the system's embedder. Returns how many were added.
    ///
    /// Errors: `InvalidArgument` (empty id or text, an id over [`MAX_ID_BYTES`], metadata that
    /// is not JSON, a non-finite vector, a zero vector under cosine), `DimensionMismatch`,
    /// `DuplicateId` (twice in the batch, already pending, or committed and not pending
    /// deletion), `Closed`.
    pub fn add(&self, docs: &[Document]) -> Result<usize> {
        self.inner.check_open()?;
        for d in docs {
            self.validate_document(d)?;
        }
        let embedded = self.embed_missing(docs)?;
        let mut guard = self.inner.writer.lock();
        let st = guard.as_mut().ok_or(HybridError::Closed)?;
        let mut batch = HashSet::with_capacity(docs.len());
        for d in docs {
            let id = d.id.as_str();
            let reason = if !batch.insert(id) {
                Some("it appears twice in the batch")
            } else if st.pending.add_slot.contains_key(id) {
                Some("it is already pending (added, not yet committed)")
            } else if st.by_id.contains_key(id) && !st.pending.deletes.contains_key(id) {
                Some("it is already in the store")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(HybridError::DuplicateId { id: d.id.clone(), reason });
            }
        }
        for (d, embedded) in docs.iter().zip(embedded) {
            let vector = d.vector.clone().or(embedded);
            let internal_id = st.next_internal_id;
            st.next_internal_id += 1;
            let doc = TextDoc {
                id: &d.id,
                internal_id,
                text: &d.text,
                vector: vector.as_deref(),
                metadata: d.metadata.as_deref(),
            };
            if let Err(e) = st.text.add(&doc) {
                // The text writer only fails here when its indexing thread died: nothing
                // buffered can be trusted any more.
                let _ = st.text.rollback();
                st.pending = Pending::default();
                return Err(HybridError::from(e));
            }
            let id: Arc<str> = d.id.as_str().into();
            st.pending.add_slot.insert(id.clone(), st.pending.adds.len());
            st.pending.adds.push(Some(PendingAdd { id, internal_id, vector }));
        }
        Ok(docs.len())
    }

    fn validate_document(&self, d: &Document) -> Result<()> {
        if d.id.is_empty() {
            return Err(HybridError::InvalidArgument("a document id is empty".into()));
        }
        if d.id.len() > MAX_ID_BYTES {
            return Err(HybridError::InvalidArgument(format!(
                "document id {:?}… is {} bytes long, the limit is {MAX_ID_BYTES}",
                d.id.chars().take(32).collect::<String>(),
                d.id.len()
            )));
        }
        if d.text.trim().is_empty() {
            return Err(HybridError::InvalidArgument(format!("document {:?} has no text", d.id)));
        }
        if let Some(m) = &d.metadata {
            serde_json::from_str::<serde::de::IgnoredAny>(m).map_err(|e| {
                HybridError::InvalidArgument(format!("the metadata of document {:?} is not JSON: {e}", d.id))
            })?;
        }
        if let Some(v) = &d.vector {
            let dims = self.inner.dims;
            if v.len() != dims {
                return Err(HybridError::DimensionMismatch {
                    expected: dims,
                    got: v.len(),
                    context: format!("the vector of document {:?}", d.id),
                });
            }
            if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(HybridError::InvalidArgument(format!(
                    "the vector of document {:?} has a non-finite component at position {i} ({x})",
                    d.id
                )));
            }
            if self.inner.metric == Metric::Cosine && is_zero(v) {
                return Err(HybridError::InvalidArgument(format!(
                    "the vector of document {:?} is zero, which has no direction under the cosine metric",
                    d.id
                )));
            }
        }
        Ok(())
    }

    /// The embedded vectors of the documents without one (`None` where the text has no tokens,
    /// or there is no embedder, or the document has its own vector).
    fn embed_missing(&self, docs: &[Document]) -> Result<Vec<Option<Vec<f32>>>> {
        let mut out = vec![None; docs.len()];
        if self.inner.embedder.is_none() {
            return Ok(out);
        }
        let todo: Vec<usize> = (0..docs.len()).filter(|&i| docs[i].vector.is_none()).collect();
        if todo.is_empty() {
            return Ok(out);
        }
        let texts: Vec<&str> = todo.iter().map(|&i| docs[i].text.as_str()).collect();
        for (i, v) in todo.into_iter().zip(self.inner.embed_checked(&texts)?) {
            out[i] = if is_zero(&v) { None } else { Some(v) };
        }
        Ok(out)
    }

    /// Buffers the deletion of each id (committed, or pending: a pending add is simply
    /// dropped). All or nothing; an id listed twice counts once. Returns how many documents
    /// will be gone.
    ///
    /// Errors: `UnknownId` (neither committed nor pending, or already pending deletion),
    /// `Closed`.
    pub fn delete<S: AsRef<str>>(&self, ids: &[S]) -> Result<usize> {
        self.inner.check_open()?;
        let mut guard = self.inner.writer.lock();
        let st = guard.as_mut().ok_or(HybridError::Closed)?;
        let mut unique: Vec<&str> = Vec::with_capacity(ids.len());
        let mut seen = HashSet::with_capacity(ids.len());
        for id in ids {
            let id = id.as_ref();
            if !seen.insert(id) {
                continue;
            }
            let known = st.pending.add_slot.contains_key(id)
                || (st.by_id.contains_key(id) && !st.pending.deletes.contains_key(id));
            if !known {
                return Err(HybridError::UnknownId(id.to_string()));
            }
            unique.push(id);
        }
        for id in &unique {
            if let Some(slot) = st.pending.add_slot.remove(*id) {
                let add = st.pending.adds[slot].take().expect("a live pending slot");
                st.text.delete(add.internal_id);
            } else {
                let (key, internal) = st.by_id.get_key_value(*id).map(|(k, v)| (k.clone(), *v)).expect("checked");
                st.text.delete(internal);
                st.pending.deletes.insert(key, internal);
            }
        }
        Ok(unique.len())
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
        self.commit_locked(|_| Ok(()))
    }

    /// [`commit`](Self::commit), stopped at `fault`: a simulated crash leaves the files as a
    /// killed process would and closes the system (drop it and reopen); an injected error
    /// takes the normal failure path.
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn commit_with_fault(&self, fault: Fault) -> Result<u64> {
        self.commit_locked(|at| if at == fault.point() { Err(fault.failure()) } else { Ok(()) })
    }

    fn commit_locked(&self, checkpoint: impl Fn(FaultPoint) -> std::result::Result<(), CommitFailure>) -> Result<u64> {
        self.inner.check_open()?;
        let inner = &*self.inner;
        let mut guard = inner.writer.lock();
        let st = guard.as_mut().ok_or(HybridError::Closed)?;
        if st.pending.is_empty() {
            return Ok(st.generation);
        }
        let generation = st.generation + 1;
        match self.persist(st, generation, &checkpoint) {
            Ok(()) => {}
            Err(CommitFailure::Crash(e)) => {
                // As if the process died here: nothing more is written; the writer lock is
                // released so the store can be reopened.
                inner.closed.store(true, Ordering::Release);
                *guard = None;
                return Err(e);
            }
            Err(CommitFailure::Error(e)) => {
                if let Err(again) = self.resync(st) {
                    inner.closed.store(true, Ordering::Release);
                    *guard = None;
                    return Err(HybridError::Io(Arc::new(std::io::Error::other(format!(
                        "commit failed ({e}) and the recovery failed too ({again}); the system is closed: \
                         reopen the store to repair it"
                    )))));
                }
                return Err(e);
            }
        }
        // Durable: update the id maps, then let searches see the new state.
        let pending = std::mem::take(&mut st.pending);
        {
            let mut resolver = inner.resolver.write();
            for (id, internal) in pending.deletes {
                resolver.remove(&internal);
                st.by_id.remove(&id);
            }
            for add in pending.adds.into_iter().flatten() {
                resolver.insert(add.internal_id, add.id.clone());
                st.by_id.insert(add.id, add.internal_id);
            }
        }
        st.generation = generation;
        st.doc_count = st.by_id.len() as u64;
        inner.publish(generation, st.next_internal_id)?;
        Ok(generation)
    }

    /// Step 1 (vector index: apply, save, manifest) and step 2 (text commit).
    fn persist(
        &self,
        st: &mut WriterState,
        generation: u64,
        checkpoint: &impl Fn(FaultPoint) -> std::result::Result<(), CommitFailure>,
    ) -> std::result::Result<(), CommitFailure> {
        let inner = &*self.inner;
        let hnsw = &inner.hnsw;
        let deletes: Vec<u64> = st.pending.deletes.values().copied().filter(|&id| hnsw.contains(id)).collect();
        if !deletes.is_empty() {
            hnsw.remove(&deletes)?;
        }
        let mut ids = Vec::new();
        let mut flat = Vec::new();
        for add in st.pending.adds.iter().flatten() {
            if let Some(v) = &add.vector {
                ids.push(add.internal_id);
                flat.extend_from_slice(v);
            }
        }
        if !ids.is_empty() {
            hnsw.add(&ids, &flat)?;
        }
        let doc_count = (st.by_id.len() - st.pending.deletes.len() + st.pending.add_slot.len()) as u64;
        let payload = Payload::new(st.store_id.clone(), generation, inner.dims, inner.metric, st.next_internal_id);
        let (len, crc) = consistency::write_vector_file(hnsw, &inner.vector_dir)?;
        checkpoint(FaultPoint::AfterVectorFile)?;
        let manifest = consistency::manifest_for(hnsw, &payload, doc_count, st.next_internal_id, len, crc);
        consistency::write_manifest(&inner.vector_dir, &manifest)?;
        checkpoint(FaultPoint::AfterVectorSave)?;
        checkpoint(FaultPoint::BeforeTextCommit)?;
        st.text.commit(&payload.encode())?;
        Ok(())
    }

    /// After a failed commit: discard the pending work and make everything agree with what
    /// the text index holds durably (it may or may not hold the failed commit).
    fn resync(&self, st: &mut WriterState) -> Result<()> {
        let inner = &*self.inner;
        st.pending = Pending::default();
        st.text.rollback()?;
        inner.text.reload()?;
        let payload = match inner.text.committed_payload()? {
            Some(s) => Payload::decode(&s)?,
            None => return Err(HybridError::Corrupt("the text index lost its commit payload".into())),
        };
        let snapshot = inner.text.snapshot()?;
        let keys = snapshot.keys()?;
        consistency::reconcile(&inner.hnsw, &snapshot, &keys, inner.dims, st.next_internal_id)?;
        let mut resolver = HashMap::with_capacity(keys.len());
        st.by_id.clear();
        for k in keys {
            let id: Arc<str> = k.id.into();
            resolver.insert(k.internal_id, id.clone());
            st.by_id.insert(id, k.internal_id);
        }
        st.generation = payload.generation;
        st.doc_count = st.by_id.len() as u64;
        consistency::save(&inner.vector_dir, &inner.hnsw, &payload, st.doc_count, st.next_internal_id)?;
        *inner.resolver.write() = resolver;
        inner.publish(payload.generation, st.next_internal_id)
    }

    /// Discards every pending add and delete. Returns how many there were.
    pub fn rollback(&self) -> Result<usize> {
        self.inner.check_open()?;
        let mut guard = self.inner.writer.lock();
        let st = guard.as_mut().ok_or(HybridError::Closed)?;
        let n = st.pending.add_slot.len() + st.pending.deletes.len();
        st.pending = Pending::default();
        st.text.rollback()?;
        Ok(n)
    }
}

/// Points of a commit where a fault can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultPoint {
    AfterVectorFile,
    AfterVectorSave,
    BeforeTextCommit,
}

#[cfg(any(test, feature = "fault-injection"))]
impl Fault {
    fn point(self) -> FaultPoint {
        match self {
            Fault::AfterVectorFile => FaultPoint::AfterVectorFile,
            Fault::AfterVectorSave => FaultPoint::AfterVectorSave,
            Fault::TextCommitError => FaultPoint::BeforeTextCommit,
        }
    }

    fn failure(self) -> CommitFailure {
        let e = |what: &str| HybridError::Io(Arc::new(std::io::Error::other(format!("simulated {what}"))));
        match self {
            Fault::TextCommitError => CommitFailure::Error(e("text commit failure")),
            Fault::AfterVectorFile => CommitFailure::Crash(e("crash after the vector file")),
            Fault::AfterVectorSave => CommitFailure::Crash(e("crash after the vector save")),
        }
    }
}
