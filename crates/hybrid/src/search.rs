//! The search itself: [`execute`] runs a [`Query`]'s legs on one committed snapshot and fuses
//! them.

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
        text_leg = snapshot
            .text
            .search(text, plan.window)?
            .into_iter()
            .map(|h| LegHit { id: h.id, score: f64::from(h.score) })
            .collect();
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
                            .map(|id| LegHit { id: id.to_string(), score: similarity(inner.metric, h.distance) })
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
    let mut hits = match q.mode {
        SearchMode::Text => single_leg(&text_leg, true),
        SearchMode::Vector => single_leg(&vector_leg, false),
        SearchMode::Hybrid => fuse(&text_leg, &vector_leg, q.fusion),
    };
    hits.truncate(q.k);
    Ok(hits)
}
