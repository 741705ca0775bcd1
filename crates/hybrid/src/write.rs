//! Buffered writes: [`add`], [`delete`] and [`rollback`] of the pending adds and deletes
//! (the commit that makes them durable is in [`crate::commit`]).

use std::collections::HashSet;
use std::sync::Arc;

use vn_text::TextDoc;

use crate::document::Document;
use crate::embed::is_zero;
use crate::state::Inner;
use crate::writer::{Pending, PendingAdd};
use crate::{HybridError, Result};

/// See [`UnifiedSearchSystem::add`](crate::UnifiedSearchSystem::add).
pub(crate) fn add(inner: &Inner, docs: &[Document]) -> Result<usize> {
    inner.check_open()?;
    for d in docs {
        d.validate(inner.dims, inner.metric)?;
    }
    let embedded = embed_missing(inner, docs)?;
    let mut guard = inner.writer.lock();
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

/// The embedded vectors of the documents without one (`None` where the text has no tokens,
/// or there is no embedder, or the document has its own vector).
fn embed_missing(inner: &Inner, docs: &[Document]) -> Result<Vec<Option<Vec<f32>>>> {
    let mut out = vec![None; docs.len()];
    if inner.embedder.is_none() {
        return Ok(out);
    }
    let todo: Vec<usize> = (0..docs.len()).filter(|&i| docs[i].vector.is_none()).collect();
    if todo.is_empty() {
        return Ok(out);
    }
    let texts: Vec<&str> = todo.iter().map(|&i| docs[i].text.as_str()).collect();
    for (i, v) in todo.into_iter().zip(inner.embed_checked(&texts)?) {
        out[i] = if is_zero(&v) { None } else { Some(v) };
    }
    Ok(out)
}

/// See [`UnifiedSearchSystem::delete`](crate::UnifiedSearchSystem::delete).
pub(crate) fn delete<S: AsRef<str>>(inner: &Inner, ids: &[S]) -> Result<usize> {
    inner.check_open()?;
    let mut guard = inner.writer.lock();
    let st = guard.as_mut().ok_or(HybridError::Closed)?;
    let mut unique: Vec<&str> = Vec::with_capacity(ids.len());
    let mut seen = HashSet::with_capacity(ids.len());
    for id in ids {
        let id = id.as_ref();
        if !seen.insert(id) {
            continue;
        }
        let known =
            st.pending.add_slot.contains_key(id) || (st.by_id.contains_key(id) && !st.pending.deletes.contains_key(id));
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

/// See [`UnifiedSearchSystem::rollback`](crate::UnifiedSearchSystem::rollback).
pub(crate) fn rollback(inner: &Inner) -> Result<usize> {
    inner.check_open()?;
    let mut guard = inner.writer.lock();
    let st = guard.as_mut().ok_or(HybridError::Closed)?;
    let n = st.pending.add_slot.len() + st.pending.deletes.len();
    st.pending = Pending::default();
    st.text.rollback()?;
    Ok(n)
}
