//! FlatIndex equals a brute force written here (property test), and HnswIndex keeps its
//! invariants (sorted, no deleted or filtered-out id, true distances, k results when k exist)
//! on the same inputs.

mod common;

use std::collections::HashSet;

use common::{assert_well_formed, brute_all};
use proptest::prelude::*;
use vn_index::{FlatIndex, Hit, HnswIndex, HnswParams, Metric, SearchParams, VectorIndex};

#[derive(Debug, Clone)]
struct Case {
    metric: Metric,
    d: usize,
    /// Small integers: many exact ties, which must break by id.
    integral: bool,
    data: Vec<f32>,
    removed: Vec<usize>,
    filter: Option<Vec<u64>>,
    query: Vec<f32>,
    k: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..64, 1usize..200, 0usize..3, any::<bool>()).prop_flat_map(|(d, n, metric, integral)| {
        let value = if integral { (-3i32..=3).prop_map(|x| x as f32).boxed() } else { (-10.0f32..10.0).boxed() };
        (
            Just(d),
            Just(integral),
            Just([Metric::Cosine, Metric::L2, Metric::Dot][metric]),
            prop::collection::vec(value.clone(), n * d),
            prop::collection::vec(0..n, 0..n),
            prop::option::of(prop::collection::vec(0u64..(2 * n as u64 + 2), 0..2 * n)),
            prop::collection::vec(value, d),
            1usize..n + 5,
        )
            .prop_map(|(d, integral, metric, mut data, removed, filter, mut query, k)| {
                if metric == Metric::Cosine {
                    // No zero vectors under cosine (they are rejected; tested elsewhere).
                    for row in data.chunks_exact_mut(d) {
                        if row.iter().all(|x| *x == 0.0) {
                            row[0] = 1.0;
                        }
                    }
                    if query.iter().all(|x| *x == 0.0) {
                        query[0] = -1.0;
                    }
                }
                Case { metric, d, integral, data, removed, filter, query, k }
            })
    })
}

/// Ids are 2·row + 1, so a filter over 0..2n+2 mixes known and unknown ids.
fn ids_of(n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| 2 * i + 1).collect()
}

fn check_against_brute(c: &Case, hits: &[Hit], exact: bool) -> Result<(), TestCaseError> {
    let ids = ids_of(c.data.len() / c.d);
    let removed: HashSet<u64> = c.removed.iter().map(|&i| ids[i]).collect();
    let filter: Option<HashSet<u64>> = c.filter.as_ref().map(|f| f.iter().copied().collect());
    let truth = brute_all(c.metric, c.d, &ids, &c.data, &c.query, &removed, filter.as_ref());
    assert_well_formed(hits);
    prop_assert_eq!(hits.len(), c.k.min(truth.len()), "result count");
    let truth_of: std::collections::HashMap<u64, f64> = truth.iter().copied().collect();
    for h in hits {
        let Some(&t) = truth_of.get(&h.id) else {
            return Err(TestCaseError::fail(format!("id {} is removed, filtered out or unknown", h.id)));
        };
        let tol = 1e-4 * (1.0 + t.abs());
        prop_assert!((h.distance as f64 - t).abs() <= tol, "id {}: distance {} vs {}", h.id, h.distance, t);
    }
    if exact && !hits.is_empty() {
        if c.integral && c.metric != Metric::Cosine {
            // Exact arithmetic: the very same list, ties by id.
            let want: Vec<u64> = truth.iter().take(c.k).map(|t| t.0).collect();
            let got: Vec<u64> = hits.iter().map(|h| h.id).collect();
            prop_assert_eq!(got, want);
        } else {
            // Up to rounding: every hit is within tolerance of the true k-th distance.
            let kth = truth[hits.len() - 1].1;
            for h in hits {
                prop_assert!(truth_of[&h.id] <= kth + 1e-4 * (1.0 + kth.abs()), "{:?} beyond k-th {}", h, kth);
            }
        }
    }
    Ok(())
}

fn build<I: VectorIndex>(index: I, c: &Case) -> I {
    let n = c.data.len() / c.d;
    let ids = ids_of(n);
    index.add(&ids, &c.data).unwrap();
    let mut removed: Vec<u64> = c.removed.iter().map(|&i| ids[i]).collect();
    removed.sort_unstable();
    removed.dedup();
    if !removed.is_empty() {
        // Listed twice (shuffled duplicates included): counted once.
        let mut twice = removed.clone();
        twice.extend_from_slice(&removed);
        assert_eq!(index.remove(&twice).unwrap(), removed.len());
    }
    assert_eq!(index.len(), n - removed.len());
    index
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn flat_equals_brute_force(c in case()) {
        let index = build(FlatIndex::new(c.d, c.metric).unwrap(), &c);
        let filter: Option<HashSet<u64>> = c.filter.as_ref().map(|f| f.iter().copied().collect());
        let params = SearchParams { k: c.k, ef: None, filter: filter.as_ref() };
        let hits = index.search(&c.query, &params).unwrap();
        check_against_brute(&c, &hits, true)?;
        // The batch path gives the same answer, twice over.
        let mut two = c.query.clone();
        two.extend_from_slice(&c.query);
        let batch = index.search_batch(&two, &params).unwrap();
        prop_assert_eq!(&batch[0], &hits);
        prop_assert_eq!(&batch[1], &hits);
    }

    #[test]
    fn hnsw_invariants(c in case()) {
        let params = HnswParams { m: 4, ef_construction: 32, ef_search: 16, seed: 7 };
        let index = build(HnswIndex::new(c.d, c.metric, params).unwrap(), &c);
        let filter: Option<HashSet<u64>> = c.filter.as_ref().map(|f| f.iter().copied().collect());
        // Approximate (HNSW is not exact even with ef >= n: a pruned graph can leave nodes
        // unreachable), but never a removed or filtered-out id, right distances, sorted, and
        // k results whenever k eligible vectors exist.
        for ef in [1, 1000] {
            let params = SearchParams { k: c.k, ef: Some(ef), filter: filter.as_ref() };
            let hits = index.search(&c.query, &params).unwrap();
            check_against_brute(&c, &hits, false)?;
        }
    }
}
