//! The two-step commit ([`commit`]): vector index and manifest at generation `g + 1`, then the
//! text commit with that generation; the recovery of a failed commit ([`resync`]); and the
//! fault-injection points tests stop it at.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::consistency::{self, Payload};
use crate::state::Inner;
use crate::writer::{Pending, WriterState};
use crate::{HybridError, Result};

/// Where [`UnifiedSearchSystem::commit_with_fault`](crate::UnifiedSearchSystem::commit_with_fault)
/// stops a commit.
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

/// Points of a commit where a fault can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultPoint {
    AfterVectorFile,
    AfterVectorSave,
    BeforeTextCommit,
}

/// How a commit step failed.
pub(crate) enum CommitFailure {
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

#[cfg(any(test, feature = "fault-injection"))]
impl Fault {
    /// A checkpoint that fails at this fault's point and passes everywhere else.
    pub(crate) fn checkpoint(self, at: FaultPoint) -> std::result::Result<(), CommitFailure> {
        let point = match self {
            Fault::AfterVectorFile => FaultPoint::AfterVectorFile,
            Fault::AfterVectorSave => FaultPoint::AfterVectorSave,
            Fault::TextCommitError => FaultPoint::BeforeTextCommit,
        };
        if at != point {
            return Ok(());
        }
        let e = |what: &str| HybridError::Io(Arc::new(std::io::Error::other(format!("simulated {what}"))));
        Err(match self {
            Fault::TextCommitError => CommitFailure::Error(e("text commit failure")),
            Fault::AfterVectorFile => CommitFailure::Crash(e("crash after the vector file")),
            Fault::AfterVectorSave => CommitFailure::Crash(e("crash after the vector save")),
        })
    }
}

/// See [`UnifiedSearchSystem::commit`](crate::UnifiedSearchSystem::commit); `checkpoint` is
/// called at each [`FaultPoint`] (fault injection; `Ok` in production).
pub(crate) fn commit(
    inner: &Inner,
    checkpoint: impl Fn(FaultPoint) -> std::result::Result<(), CommitFailure>,
) -> Result<u64> {
    inner.check_open()?;
    let mut guard = inner.writer.lock();
    let st = guard.as_mut().ok_or(HybridError::Closed)?;
    if st.pending.is_empty() {
        return Ok(st.generation);
    }
    let generation = st.generation + 1;
    match persist(inner, st, generation, &checkpoint) {
        Ok(()) => {}
        Err(CommitFailure::Crash(e)) => {
            // As if the process died here: nothing more is written; the writer lock is
            // released so the store can be reopened.
            inner.closed.store(true, Ordering::Release);
            *guard = None;
            return Err(e);
        }
        Err(CommitFailure::Error(e)) => {
            if let Err(again) = resync(inner, st) {
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
    inner: &Inner,
    st: &mut WriterState,
    generation: u64,
    checkpoint: &impl Fn(FaultPoint) -> std::result::Result<(), CommitFailure>,
) -> std::result::Result<(), CommitFailure> {
    let vectors = &*inner.vectors;
    let deletes: Vec<u64> = st.pending.deletes.values().copied().filter(|&id| vectors.contains(id)).collect();
    if !deletes.is_empty() {
        vectors.remove(&deletes)?;
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
        vectors.add(&ids, &flat)?;
    }
    let doc_count = (st.by_id.len() - st.pending.deletes.len() + st.pending.add_slot.len()) as u64;
    let payload =
        Payload::new(st.store_id.clone(), generation, inner.dims, inner.metric, vectors.kind(), st.next_internal_id);
    let checksum = consistency::write_vector_file(vectors, &inner.vector_dir)?;
    checkpoint(FaultPoint::AfterVectorFile)?;
    let manifest = consistency::manifest_for(vectors, &payload, doc_count, st.next_internal_id, checksum);
    consistency::write_manifest(&inner.vector_dir, &manifest)?;
    checkpoint(FaultPoint::AfterVectorSave)?;
    checkpoint(FaultPoint::BeforeTextCommit)?;
    st.text.commit(&payload.encode())?;
    Ok(())
}

/// After a failed commit: discard the pending work and make everything agree with what
/// the text index holds durably (it may or may not hold the failed commit).
fn resync(inner: &Inner, st: &mut WriterState) -> Result<()> {
    st.pending = Pending::default();
    st.text.rollback()?;
    inner.text.reload()?;
    let payload = match inner.text.committed_payload()? {
        Some(s) => Payload::decode(&s)?,
        None => return Err(HybridError::Corrupt("the text index lost its commit payload".into())),
    };
    let snapshot = inner.text.snapshot()?;
    let keys = snapshot.keys()?;
    consistency::reconcile(&*inner.vectors, &snapshot, &keys, inner.dims, st.next_internal_id)?;
    let mut resolver = HashMap::with_capacity(keys.len());
    st.by_id.clear();
    for k in keys {
        let id: Arc<str> = k.id.into();
        resolver.insert(k.internal_id, id.clone());
        st.by_id.insert(id, k.internal_id);
    }
    st.generation = payload.generation;
    st.doc_count = st.by_id.len() as u64;
    consistency::save(&inner.vector_dir, &*inner.vectors, &payload, st.doc_count, st.next_internal_id)?;
    *inner.resolver.write() = resolver;
    inner.publish(payload.generation, st.next_internal_id)
}
