//! The search itself: [`execute`] runs a [`Query`]'s legs on one committed snapshot and fuses
//! them.

use std::sync::Arc;

use vn_index::{Metric, SearchParams};

use crate::fusion::{fuse, rank_leg, single_leg, LegHit};
use crate::query::{self, Hit, Query, SearchMode};
use crate::snapshot::Snapshot;
use crate::state::Inner;
use crate::{HybridError, Result};

/// Similarity ("larger is closer") from a `vn-index` distance.
fn similarity(metric: Metric, distance: f32) -> f64 {
    let d = f64::from(distance);
    match metric {
        Metric::Cosine | Metric::Dot => 1.0 - d,
        Metric::L2 => 1.0 / (1.0 + d),
    }
}

/// Runs `q` against one committed state; `vector_search` is the vector search to use (pooled or
/// with a session's scratch).
pub(crate) fn execute(
    inner: &Inner,
    snapshot: &Snapshot,
    q: &Query,
    mut vector_search: impl FnMut(&[f32], &SearchParams) -> vn_index::Result<Vec<vn_index::Hit>>,
) -> Result<Vec<Hit>> {
    let plan = query::plan(q, inner.embedder.is_some())?;
    let mut text_leg = Vec::new();
    if let Some(text) = plan.text_leg {
        text_leg = text_leg_of(inner, snapshot, text, plan.window)?;
        rank_leg(&mut text_leg);
    }
    let mut vector_leg = Vec::new();
    if plan.vector_leg {
        let embedded;
        let vector = match (&q.vector, plan.embed_text) {
            (Some(v), _) => Some(v.as_slice()),
            (None, Some(text)) => {
                embedded = inner.embed_query(text)?;
                embedded.as_deref() // None: the text has no tokens, nothing to compare
            }
            (None, None) => None,
        };
        if let Some(v) = vector {
            if v.len() != inner.dims {
                return Err(HybridError::DimensionMismatch {
                    expected: inner.dims,
                    got: v.len(),
                    context: "the query vector".into(),
                });
            }
            // Only ids committed in this snapshot: an id added by a commit still being
            // published is at or above the watermark, one deleted since is no longer resolved.
            // Dropping them can leave the leg short of its window while the index holds more
            // of this snapshot's vectors, so ask again for more until it is full (or the index
            // has no more): a search that overlaps a commit still answers `k` hits.
            let mut fetch = plan.window;
            loop {
                let params = SearchParams { k: fetch, ef: q.ef, filter: None };
                let hits = vector_search(v, &params)?;
                let index_had_more = hits.len() == fetch;
                let resolver = inner.resolver.read();
                vector_leg = hits
                    .into_iter()
                    .filter(|h| h.id < snapshot.watermark)
                    .filter_map(|h| {
                        resolver
                            .get(&h.id)
                            .map(|id| LegHit { id: id.clone(), score: similarity(inner.metric, h.distance) })
                    })
                    .take(plan.window)
                    .collect();
                drop(resolver);
                if vector_leg.len() == plan.window || !index_had_more || fetch >= vn_index::MAX_K {
                    break;
                }
                fetch = (fetch * 2).min(vn_index::MAX_K);
            }
            rank_leg(&mut vector_leg);
        }
    }
    Ok(match q.mode {
        SearchMode::Text => single_leg(&text_leg, true, q.k),
        SearchMode::Vector => single_leg(&vector_leg, false, q.k),
        SearchMode::Hybrid => fuse(&text_leg, &vector_leg, q.fusion, q.k),
    })
}

/// The text leg: BM25 hits of this snapshot with the caller's ids. The ids come from the
/// in-memory resolver (a hash lookup) instead of the text index's id dictionary, which decodes
/// a dictionary block per hit (a quarter of a hybrid search's CPU time). A hit whose id the
/// resolver no longer has (a commit deleting it is being published while this snapshot is
/// searched) is read from the dictionary, so the leg is exactly this snapshot's.
fn text_leg_of(inner: &Inner, snapshot: &Snapshot, text: &str, window: usize) -> Result<Vec<LegHit>> {
    let docs = snapshot.text.search_scored(text, window)?;
    let mut missing = Vec::new();
    let mut leg: Vec<LegHit> = {
        let resolver = inner.resolver.read();
        docs.iter()
            .enumerate()
            .map(|(i, d)| {
                let id = match resolver.get(&d.internal_id) {
                    Some(id) => id.clone(),
                    None => {
                        missing.push(i);
                        Arc::from("")
                    }
                };
                LegHit { id, score: f64::from(d.score) }
            })
            .collect()
    };
    if !missing.is_empty() {
        let unresolved: Vec<_> = missing.iter().map(|&i| docs[i]).collect();
        for (i, id) in missing.into_iter().zip(snapshot.text.ids_of(&unresolved)?) {
            leg[i].id = id.into();
        }
    }
    Ok(leg)
}
