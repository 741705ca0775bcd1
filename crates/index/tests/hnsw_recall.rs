//! Recall of HnswIndex against FlatIndex (exact) on 10k seeded clustered vectors, per metric,
//! and a rough single-thread throughput print.

mod common;

use std::collections::HashSet;
use std::time::Instant;

use common::{brute_all, clustered_with, recall};
use vn_index::{FlatIndex, HnswIndex, HnswParams, Metric, SearchParams, VectorIndex};

const N: usize = 10_000;
const D: usize = 32;
const QUERIES: usize = 200;
const K: usize = 10;

fn check_recall(metric: Metric, seed: u64) {
    let data = clustered_with(N, D, 100, seed, seed);
    let queries = clustered_with(QUERIES, D, 100, seed, seed + 1000); // same centres, new points
    let queries = &queries[..];
    let ids: Vec<u64> = (0..N as u64).map(|i| i * 7 + 3).collect();

    let t = Instant::now();
    let hnsw = HnswIndex::new(D, metric, HnswParams::default()).unwrap();
    hnsw.add(&ids, &data).unwrap();
    let build = t.elapsed();
    let flat = FlatIndex::new(D, metric).unwrap();
    flat.add(&ids, &data).unwrap();

    let params = SearchParams { k: K, ..Default::default() };
    let none = HashSet::new();
    let mut total = 0.0;
    for (i, q) in queries.chunks_exact(D).enumerate() {
        let hits = hnsw.search(q, &params).unwrap();
        assert_eq!(hits.len(), K);
        let exact = flat.search(q, &params).unwrap();
        let truth: Vec<(u64, f64)> = exact.iter().map(|h| (h.id, f64::from(h.distance))).collect();
        total += recall(&hits, &truth, K);
        if i % 20 == 0 {
            // The reference is itself exact: it agrees with a brute force written here.
            let brute = brute_all(metric, D, &ids, &data, q, &none, None);
            assert!(recall(&exact, &brute, K) >= 0.9, "{exact:?}");
        }
    }
    let r = total / QUERIES as f64;

    // Rough single-thread throughput at ef = 64 (printed, not asserted).
    let mut scratch = vn_index::HnswScratch::new();
    let t = Instant::now();
    let mut count = 0;
    for _ in 0..5 {
        for q in queries.chunks_exact(D) {
            count += hnsw.search_with(q, &params, &mut scratch).unwrap().len();
        }
    }
    let qps = (5 * QUERIES) as f64 / t.elapsed().as_secs_f64();
    assert_eq!(count, 5 * QUERIES * K);
    println!(
        "{metric:?}: recall@{K} = {r:.4} (ef=64), build {N}x{D} in {:.2}s, single-thread {qps:.0} QPS",
        build.as_secs_f64()
    );
    assert!(r >= 0.95, "{metric:?} recall@{K} = {r}");
}

#[test]
fn recall_cosine() {
    check_recall(Metric::Cosine, 1);
}

#[test]
fn recall_l2() {
    check_recall(Metric::L2, 2);
}

#[test]
fn recall_dot() {
    check_recall(Metric::Dot, 3);
}
