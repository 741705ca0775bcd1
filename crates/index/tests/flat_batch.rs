//! `FlatIndex::search_batch` scans in blocks (rows in L2, query tiles in L1, one row against
//! several queries at once) and may split the rows over threads: it must return exactly what
//! one-at-a-time `search` returns (same ids, same distances bit for bit, ties by id), which is
//! the brute force's answer.

mod common;

use std::collections::HashSet;

use common::{assert_well_formed, brute_all};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use vn_index::{FlatIndex, Metric, SearchParams, VectorIndex};

#[derive(Debug, Clone)]
struct Case {
    metric: Metric,
    d: usize,
    data: Vec<f32>,
    removed: Vec<usize>,
    filter: Option<Vec<u64>>,
    queries: Vec<f32>,
    k: usize,
}

/// Small integer values (many exact ties) or reals; dimensions up to 700 so that a query tile
/// (32 KiB) holds fewer queries than a batch and a row block (1 MiB) fewer rows than the index.
fn case() -> impl Strategy<Value = Case> {
    (prop_oneof![3 => 1usize..80, 1 => 300usize..700], 1usize..700, 1usize..24, 0usize..3, any::<bool>()).prop_flat_map(
        |(d, n, nq, metric, integral)| {
            let value = if integral { (-2i32..=2).prop_map(|x| x as f32).boxed() } else { (-10.0f32..10.0).boxed() };
            (
                Just(d),
                Just([Metric::Cosine, Metric::L2, Metric::Dot][metric]),
                prop::collection::vec(value.clone(), n * d),
                prop::collection::vec(0..n, 0..n / 2 + 1),
                prop::option::of(prop::collection::vec(0u64..(2 * n as u64 + 2), 0..2 * n)),
                prop::collection::vec(value, nq * d),
                1usize..n + 5,
            )
                .prop_map(|(d, metric, mut data, removed, filter, mut queries, k)| {
                    if metric == Metric::Cosine {
                        for row in data.chunks_exact_mut(d).chain(queries.chunks_exact_mut(d)) {
                            if row.iter().all(|x| *x == 0.0) {
                                row[0] = 1.0;
                            }
                        }
                    }
                    Case { metric, d, data, removed, filter, queries, k }
                })
        },
    )
}

fn ids_of(n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| 2 * i + 1).collect()
}

fn build(c: &Case) -> (FlatIndex, HashSet<u64>) {
    let index = FlatIndex::new(c.d, c.metric).unwrap();
    let ids = ids_of(c.data.len() / c.d);
    index.add(&ids, &c.data).unwrap();
    let removed: HashSet<u64> = c.removed.iter().map(|&i| ids[i]).collect();
    if !removed.is_empty() {
        index.remove(&removed.iter().copied().collect::<Vec<_>>()).unwrap();
    }
    (index, removed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn batch_equals_one_at_a_time_and_brute_force(c in case()) {
        let (index, removed) = build(&c);
        let filter: Option<HashSet<u64>> = c.filter.as_ref().map(|f| f.iter().copied().collect());
        let params = SearchParams { k: c.k, ef: None, filter: filter.as_ref() };
        let batch = index.search_batch(&c.queries, &params).unwrap();
        prop_assert_eq!(batch.len(), c.queries.len() / c.d);
        let ids = ids_of(c.data.len() / c.d);
        for (q, hits) in c.queries.chunks_exact(c.d).zip(&batch) {
            let one = index.search(q, &params).unwrap();
            // Same ids in the same order and bit-identical distances.
            prop_assert_eq!(hits.len(), one.len());
            for (a, b) in hits.iter().zip(&one) {
                prop_assert_eq!(a.id, b.id);
                prop_assert_eq!(a.distance.to_bits(), b.distance.to_bits());
            }
            assert_well_formed(hits);
            let truth = brute_all(c.metric, c.d, &ids, &c.data, q, &removed, filter.as_ref());
            prop_assert_eq!(hits.len(), c.k.min(truth.len()));
            if let Some(last) = hits.last() {
                let kth = truth[hits.len() - 1].1;
                let tol = 1e-4 * (1.0 + kth.abs());
                prop_assert!((last.distance as f64 - kth).abs() <= tol, "k-th {} vs {}", last.distance, kth);
            }
        }
    }
}

/// Enough rows for the scan to be split over the pool's threads (16 Ki rows per part at least):
/// the merged parts equal one-at-a-time search, ties (duplicate rows) broken by id.
#[test]
fn split_over_threads_equals_one_at_a_time() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    for metric in [Metric::L2, Metric::Cosine, Metric::Dot] {
        let (n, d) = (70_000, 12);
        let mut rng = StdRng::seed_from_u64(9);
        let mut data: Vec<f32> = (0..n * d).map(|_| rng.gen_range(-3i32..=3) as f32).collect();
        for row in data.chunks_exact_mut(d) {
            row[0] = if row[0] == 0.0 { 1.0 } else { row[0] };
        }
        let index = FlatIndex::new(d, metric).unwrap();
        index.add(&(0..n as u64).rev().collect::<Vec<_>>(), &data).unwrap();
        let queries: Vec<f32> = (0..37 * d).map(|_| rng.gen_range(-3i32..=3) as f32 + 0.5).collect();
        let most: HashSet<u64> = (0..n as u64).filter(|i| i % 3 != 0).collect();
        let few: HashSet<u64> = (0..n as u64).filter(|i| i % 100 == 0).collect();
        for filter in [None, Some(&most), Some(&few)] {
            let params = SearchParams { k: 25, ef: None, filter };
            let batch = pool.install(|| index.search_batch(&queries, &params).unwrap());
            for (q, hits) in queries.chunks_exact(d).zip(&batch) {
                assert_eq!(hits, &index.search(q, &params).unwrap(), "{metric:?}");
            }
        }
    }
}

/// Adds and removes while batches run: every batch answer is one consistent snapshot (no id
/// twice, k answers, sorted).
#[test]
fn batches_stay_consistent_under_writes() {
    let (n, d) = (40_000, 8);
    let mut rng = StdRng::seed_from_u64(3);
    let data: Vec<f32> = (0..n * d).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    let index = FlatIndex::new(d, Metric::L2).unwrap();
    index.add(&(0..n as u64).collect::<Vec<_>>(), &data).unwrap();
    let queries: Vec<f32> = (0..8 * d).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            for round in 0..200u64 {
                let id = 1_000_000 + round;
                index.add(&[id], &vec![0.25; d]).unwrap();
                index.remove(&[round * 7]).unwrap();
            }
        });
        for _ in 0..30 {
            let batch = index.search_batch(&queries, &SearchParams { k: 50, ef: None, filter: None }).unwrap();
            for hits in &batch {
                assert_eq!(hits.len(), 50);
                assert_well_formed(hits);
                let distinct: HashSet<u64> = hits.iter().map(|h| h.id).collect();
                assert_eq!(distinct.len(), hits.len());
            }
        }
    });
}
