//! Rank fusion: small pure functions over two ranked lists.
//!
//! Each leg is a slice of [`LegHit`]s in rank order (the first has rank 1). A document may be
//! in one leg, the other, or both; the result holds each document once, with each leg's score
//! and rank, ordered by the fused score descending and then by id ascending (so equal scores
//! always come back in the same order).
//!
//! Ids are shared (`Arc<str>`) through the legs and the fusion, and copied into [`Hit`]s only
//! for the hits returned: a hybrid search fuses two windows of 50 to answer 10.
//!
//! ```
//! use vn_hybrid::fusion::{rrf, LegHit};
//! let text = [LegHit::new("a", 9.0), LegHit::new("b", 4.0)];
//! let vector = [LegHit::new("b", 0.9), LegHit::new("c", 0.8)];
//! let hits = rrf(&text, &vector, 60);
//! assert_eq!(hits[0].id, "b"); // 1/62 + 1/61 beats a's 1/61
//! assert!((hits[0].score - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-12);
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use crate::query::{Fusion, Hit};

/// One entry of a leg's ranked list.
#[derive(Debug, Clone, PartialEq)]
pub struct LegHit {
    /// The caller's id.
    pub id: Arc<str>,
    /// The leg's score, larger is better (BM25, or vector similarity).
    pub score: f64,
}

impl LegHit {
    /// A leg entry.
    pub fn new(id: impl Into<Arc<str>>, score: f64) -> LegHit {
        LegHit { id: id.into(), score }
    }
}

/// Orders a leg by score descending, then id ascending (the order its ranks are read from).
pub fn rank_leg(leg: &mut [LegHit]) {
    leg.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
}

/// Orders hits by `score` descending, then `id` ascending.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
}

/// Min-max normalisation to `[0, 1]`: `(s − min) / (max − min)`. When all scores are equal
/// (a single score included) every one becomes `1.0`: each is as good as the best.
pub fn min_max(scores: &[f64]) -> Vec<f64> {
    let (lo, hi) = scores.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    if hi > lo {
        scores.iter().map(|s| (s - lo) / (hi - lo)).collect()
    } else {
        vec![1.0; scores.len()]
    }
}

/// A [`Hit`] before its id is copied out.
struct Merged {
    id: Arc<str>,
    score: f64,
    text_score: Option<f64>,
    text_rank: Option<u32>,
    vector_score: Option<f64>,
    vector_rank: Option<u32>,
}

/// Each document of either leg once, with each leg's score and 1-based rank, `score` unset.
fn merge(text: &[LegHit], vector: &[LegHit]) -> Vec<Merged> {
    let mut out: Vec<Merged> = Vec::with_capacity(text.len() + vector.len());
    let mut at: HashMap<&str, usize> = HashMap::with_capacity(text.len() + vector.len());
    for (leg, hits) in [(0, text), (1, vector)] {
        for (i, h) in hits.iter().enumerate() {
            let slot = *at.entry(&*h.id).or_insert_with(|| {
                out.push(Merged {
                    id: h.id.clone(),
                    score: 0.0,
                    text_score: None,
                    text_rank: None,
                    vector_score: None,
                    vector_rank: None,
                });
                out.len() - 1
            });
            let hit = &mut out[slot];
            let rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let (score, r) = if leg == 0 {
                (&mut hit.text_score, &mut hit.text_rank)
            } else {
                (&mut hit.vector_score, &mut hit.vector_rank)
            };
            if score.is_none() {
                // A leg lists each document once; should it not, its best rank counts.
                *score = Some(h.score);
                *r = Some(rank);
            }
        }
    }
    out
}

/// The best `k` of `merged` (scores set) as hits, ordered by score descending, then id.
fn top_hits(mut merged: Vec<Merged>, k: usize) -> Vec<Hit> {
    let order = |a: &Merged, b: &Merged| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id));
    if k < merged.len() {
        merged.select_nth_unstable_by(k, order);
        merged.truncate(k);
    }
    merged.sort_by(order);
    merged
        .into_iter()
        .map(|m| Hit {
            id: m.id.to_string(),
            score: m.score,
            text_score: m.text_score,
            text_rank: m.text_rank,
            vector_score: m.vector_score,
            vector_rank: m.vector_rank,
        })
        .collect()
}

fn rrf_merged(text: &[LegHit], vector: &[LegHit], k: u32) -> Vec<Merged> {
    let k = f64::from(k);
    let mut merged = merge(text, vector);
    for h in &mut merged {
        h.score = [h.text_rank, h.vector_rank].iter().flatten().map(|&r| 1.0 / (k + f64::from(r))).sum();
    }
    merged
}

fn linear_merged(text: &[LegHit], vector: &[LegHit], alpha: f64) -> Vec<Merged> {
    let (t, v) = (normalised(text), normalised(vector));
    let mut merged = merge(text, vector);
    for h in &mut merged {
        let ts = t.get(&*h.id).copied().unwrap_or(0.0);
        let vs = v.get(&*h.id).copied().unwrap_or(0.0);
        h.score = alpha * ts + (1.0 - alpha) * vs;
    }
    merged
}

/// Reciprocal rank fusion (Cormack et al. 2009): `score = Σ 1 / (k + rank)` over the legs that
/// hold the document. Leg scores only matter through the ranks.
pub fn rrf(text: &[LegHit], vector: &[LegHit], k: u32) -> Vec<Hit> {
    top_hits(rrf_merged(text, vector, k), usize::MAX)
}

/// Linear fusion of min-max normalised scores: `alpha · t + (1 − alpha) · v`, where `t` and
/// `v` are the document's scores normalised within their leg ([`min_max`]) and a leg that does
/// not hold the document contributes 0.
pub fn linear(text: &[LegHit], vector: &[LegHit], alpha: f64) -> Vec<Hit> {
    top_hits(linear_merged(text, vector, alpha), usize::MAX)
}

/// Each id of `leg` with its min-max normalised score (the first entry wins for a repeated id).
fn normalised(leg: &[LegHit]) -> HashMap<&str, f64> {
    let scores: Vec<f64> = leg.iter().map(|h| h.score).collect();
    leg.iter().map(|h| &*h.id).zip(min_max(&scores)).rev().collect()
}

/// The best `k` of [`rrf`] or [`linear`], as `fusion` says.
pub fn fuse(text: &[LegHit], vector: &[LegHit], fusion: Fusion, k: usize) -> Vec<Hit> {
    let merged = match fusion {
        Fusion::Rrf { k } => rrf_merged(text, vector, k),
        Fusion::Linear { alpha } => linear_merged(text, vector, alpha),
    };
    top_hits(merged, k)
}

/// The best `k` hits of a single-leg search: each leg entry with its own score as `score`.
pub fn single_leg(leg: &[LegHit], is_text: bool, k: usize) -> Vec<Hit> {
    let mut merged = if is_text { merge(leg, &[]) } else { merge(&[], leg) };
    for h in &mut merged {
        h.score = h.text_score.or(h.vector_score).unwrap_or(0.0);
    }
    top_hits(merged, k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(items: &[(&str, f64)]) -> Vec<LegHit> {
        items.iter().map(|&(id, s)| LegHit::new(id, s)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn rrf_matches_hand_computed_values() {
        // text: a(1) b(2) c(3); vector: c(1) d(2) a(3); k = 60.
        let text = leg(&[("a", 12.0), ("b", 7.5), ("c", 3.0)]);
        let vector = leg(&[("c", 0.95), ("d", 0.90), ("a", 0.10)]);
        let hits = rrf(&text, &vector, 60);
        let got: Vec<(&str, f64)> = hits.iter().map(|h| (h.id.as_str(), h.score)).collect();
        let a = 1.0 / 61.0 + 1.0 / 63.0; // 0.032266...
        let c = 1.0 / 63.0 + 1.0 / 61.0; // the same sum: tie, broken by id
        let b = 1.0 / 62.0;
        let d = 1.0 / 62.0;
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), ["a", "c", "b", "d"]);
        for ((_, s), want) in got.iter().zip([a, c, b, d]) {
            assert!(close(*s, want), "{got:?}");
        }
        assert!(close(a, 0.032_266_458_495_966_77));
        let h = &hits[0];
        assert_eq!((h.text_rank, h.vector_rank), (Some(1), Some(3)));
        assert_eq!((h.text_score, h.vector_score), (Some(12.0), Some(0.10)));
        let d = hits.iter().find(|h| h.id == "d").unwrap();
        assert_eq!((d.text_rank, d.text_score, d.vector_rank), (None, None, Some(2)));
    }

    #[test]
    fn rrf_k_changes_the_balance() {
        // A first place in one leg against second places in both legs: with k = 0 they tie
        // (1/1 = 1/2 + 1/2), with k = 1 agreement wins (1/2 < 1/3 + 1/3).
        let text = leg(&[("x", 3.0), ("y", 2.0)]);
        let vector = leg(&[("z", 0.9), ("y", 0.8)]);
        let k0 = rrf(&text, &vector, 0);
        assert!(close(k0.iter().find(|h| h.id == "y").unwrap().score, 1.0));
        assert_eq!(k0.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["x", "y", "z"]); // 1, 1, 1: by id
        let k1 = rrf(&text, &vector, 1);
        assert_eq!(k1[0].id, "y");
        assert!(close(k1[0].score, 2.0 / 3.0));
    }

    #[test]
    fn min_max_normalises_and_handles_equal_scores() {
        let n = min_max(&[2.0, 4.0, 3.0]);
        assert!(close(n[0], 0.0) && close(n[1], 1.0) && close(n[2], 0.5));
        assert_eq!(min_max(&[5.0, 5.0]), [1.0, 1.0]);
        assert_eq!(min_max(&[-1.0]), [1.0]);
        assert!(min_max(&[]).is_empty());
    }

    #[test]
    fn linear_matches_hand_computed_values() {
        // text: a 10, b 6, c 2  -> minmax a 1, b 0.5, c 0
        // vector: c 0.9, d 0.5, a 0.1 -> minmax c 1, d 0.5, a 0
        let text = leg(&[("a", 10.0), ("b", 6.0), ("c", 2.0)]);
        let vector = leg(&[("c", 0.9), ("d", 0.5), ("a", 0.1)]);
        let hits = linear(&text, &vector, 0.7);
        let got: Vec<(&str, f64)> = hits.iter().map(|h| (h.id.as_str(), h.score)).collect();
        // a = 0.7·1 + 0.3·0 = 0.7; b = 0.7·0.5 = 0.35; c = 0.7·0 + 0.3·1 = 0.3; d = 0.3·0.5 = 0.15
        let want = [("a", 0.7), ("b", 0.35), ("c", 0.3), ("d", 0.15)];
        assert_eq!(got.len(), 4);
        for ((gid, gs), (wid, ws)) in got.iter().zip(want) {
            assert_eq!(*gid, wid);
            assert!(close(*gs, ws), "{got:?}");
        }
        // alpha = 0.5 makes a and c tie at 0.5: broken by id.
        let half = linear(&text, &vector, 0.5);
        assert_eq!(half.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["a", "c", "b", "d"]);
        assert!(close(half[0].score, 0.5) && close(half[1].score, 0.5));
    }

    #[test]
    fn linear_with_one_empty_leg_and_equal_scores() {
        let text = leg(&[("a", 3.0), ("b", 3.0)]);
        let hits = linear(&text, &[], 0.25);
        assert_eq!(hits.iter().map(|h| (h.id.as_str(), h.score)).collect::<Vec<_>>(), [("a", 0.25), ("b", 0.25)]);
        assert!(linear(&[], &[], 0.5).is_empty());
    }

    #[test]
    fn legs_and_single_leg_hits_order_ties_by_id() {
        let mut l = leg(&[("b", 1.0), ("c", 2.0), ("a", 1.0)]);
        rank_leg(&mut l);
        assert_eq!(l.iter().map(|h| &*h.id).collect::<Vec<_>>(), ["c", "a", "b"]);
        let hits = single_leg(&l, false, usize::MAX);
        assert_eq!(hits[1].vector_rank, Some(2));
        assert_eq!(hits[1].score, 1.0);
        assert_eq!(hits[1].text_rank, None);
    }

    #[test]
    fn the_top_k_are_the_first_k_of_the_whole_fused_list() {
        // Legs with many equal scores (ties broken by id) from a small deterministic generator.
        fn next(state: &mut u64, n: u64) -> u64 {
            *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (*state >> 33) % n
        }
        fn leg(state: &mut u64) -> Vec<LegHit> {
            let len = next(state, 30);
            let mut seen = std::collections::HashSet::new();
            let mut l = Vec::new();
            for _ in 0..len {
                let id = format!("d{}", next(state, 40));
                let score = next(state, 5) as f64;
                if seen.insert(id.clone()) {
                    l.push(LegHit::new(id, score));
                }
            }
            rank_leg(&mut l);
            l
        }
        let mut state = 7u64;
        for round in 0..200 {
            let (text, vector) = (leg(&mut state), leg(&mut state));
            for fusion in [Fusion::Rrf { k: 60 }, Fusion::Linear { alpha: 0.3 }] {
                let all = match fusion {
                    Fusion::Rrf { k } => rrf(&text, &vector, k),
                    Fusion::Linear { alpha } => linear(&text, &vector, alpha),
                };
                for k in [1, 3, 10, 100] {
                    let want = &all[..k.min(all.len())];
                    assert_eq!(fuse(&text, &vector, fusion, k), want, "round {round}, {fusion:?}, k {k}");
                }
            }
            let single = single_leg(&text, true, usize::MAX);
            assert_eq!(single_leg(&text, true, 5), &single[..5.min(single.len())], "round {round}");
        }
    }
}
