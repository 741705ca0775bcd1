//! HnswIndex: deletions (tombstones), filters (graph and exact paths), re-adding, parameters.

mod common;

use std::collections::HashSet;

use common::{assert_well_formed, brute_all, clustered, recall};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use vn_index::{FlatIndex, HnswIndex, HnswParams, Metric, SearchParams, VectorIndex};

const D: usize = 16;

fn build(n: usize, metric: Metric, seed: u64) -> (HnswIndex, Vec<u64>, Vec<f32>) {
    let data = clustered(n, D, 20, seed);
    let ids: Vec<u64> = (0..n as u64).map(|i| 1000 + i).collect();
    let index = HnswIndex::new(D, metric, HnswParams::default()).unwrap();
    index.add(&ids, &data).unwrap();
    (index, ids, data)
}

#[test]
fn deleted_ids_are_never_returned_and_k_results_remain() {
    let (index, ids, data) = build(3000, Metric::L2, 11);
    let mut rng = StdRng::seed_from_u64(5);
    let mut order = ids.clone();
    order.shuffle(&mut rng);
    let queries = clustered(50, D, 20, 99);
    let k = 10;
    // Delete in growing steps, down to fewer live vectors than k.
    let mut removed = HashSet::new();
    for target in [1500usize, 2900, 2995, 3000] {
        let batch: Vec<u64> = order[removed.len()..target].to_vec();
        assert_eq!(index.remove(&batch).unwrap(), batch.len());
        removed.extend(batch);
        assert_eq!(index.len(), 3000 - removed.len());
        let mut total = 0.0;
        for q in queries.chunks_exact(D) {
            let hits = index.search(q, &SearchParams { k, ..Default::default() }).unwrap();
            assert_well_formed(&hits);
            assert_eq!(hits.len(), k.min(index.len()), "after removing {}", removed.len());
            assert!(hits.iter().all(|h| !removed.contains(&h.id)), "a removed id came back");
            total += recall(&hits, &brute_all(Metric::L2, D, &ids, &data, q, &removed, None), k);
        }
        let r = total / 50.0;
        assert!(r >= 0.9, "recall {r} after removing {}", removed.len());
    }
    assert!(index.is_empty());
    // Re-adding a removed id is allowed, and it is found again.
    index.add(&[ids[0]], &data[..D]).unwrap();
    let hits = index.search(&data[..D], &SearchParams { k: 3, ..Default::default() }).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, ids[0]);
    assert_eq!(hits[0].distance, 0.0);
    assert!(index.node_count() > index.len(), "tombstones under the compaction minimum stay in the graph");
}

#[test]
fn filters_are_respected_on_the_graph_and_exact_paths() {
    let (index, ids, data) = build(4000, Metric::Cosine, 12);
    let removed: HashSet<u64> = ids.iter().copied().filter(|id| id % 7 == 0).collect();
    index.remove(&removed.iter().copied().collect::<Vec<_>>()).unwrap();
    let queries = clustered(40, D, 20, 77);
    let k = 10;
    // Half the ids (graph search), a few ids (exact scan), ids that are unknown or removed.
    let half: HashSet<u64> = ids.iter().copied().filter(|id| id % 2 == 0).collect();
    let few: HashSet<u64> = ids.iter().copied().step_by(97).chain([1, 2, 3, u64::MAX]).collect();
    let mostly_removed: HashSet<u64> = removed.iter().copied().chain(ids.iter().copied().take(5)).collect();
    for (name, filter, min_recall) in
        [("half", &half, 0.9), ("few", &few, 1.0), ("mostly removed", &mostly_removed, 1.0)]
    {
        let mut total = 0.0;
        for q in queries.chunks_exact(D) {
            let hits = index.search(q, &SearchParams { k, ef: None, filter: Some(filter) }).unwrap();
            assert_well_formed(&hits);
            let truth = brute_all(Metric::Cosine, D, &ids, &data, q, &removed, Some(filter));
            assert_eq!(hits.len(), k.min(truth.len()), "{name}");
            for h in &hits {
                assert!(filter.contains(&h.id) && !removed.contains(&h.id), "{name}: {h:?}");
            }
            total += recall(&hits, &truth, k);
        }
        let r = total / 40.0;
        assert!(r >= min_recall, "{name}: recall {r}");
    }
    // An empty filter admits nothing.
    let empty = HashSet::new();
    let hits = index.search(&data[..D], &SearchParams { k, ef: None, filter: Some(&empty) }).unwrap();
    assert!(hits.is_empty());
}

#[test]
fn batch_search_equals_single_searches_and_ef_is_honoured() {
    let (index, _, _) = build(2000, Metric::Dot, 13);
    let queries = clustered(64, D, 20, 55);
    let params = SearchParams { k: 7, ef: Some(40), filter: None };
    let batch = index.search_batch(&queries, &params).unwrap();
    let mut scratch = vn_index::HnswScratch::new();
    for (q, b) in queries.chunks_exact(D).zip(&batch) {
        assert_eq!(&index.search(q, &params).unwrap(), b);
        assert_eq!(&index.search_with(q, &params, &mut scratch).unwrap(), b);
    }
    // k above ef: the beam widens to k.
    let hits = index.search(&queries[..D], &SearchParams { k: 500, ef: Some(10), filter: None }).unwrap();
    assert_eq!(hits.len(), 500);
    assert_well_formed(&hits);

    assert_eq!(index.params().ef_search, 100);
    index.set_ef_search(128).unwrap();
    assert_eq!(index.params(), HnswParams { ef_search: 128, ..HnswParams::default() });
    assert_eq!(index.set_ef_search(0).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
}

#[test]
fn same_seed_and_order_give_the_same_graph() {
    let data = clustered(300, D, 5, 3);
    let ids: Vec<u64> = (0..300).collect();
    let params = HnswParams { seed: 42, ..HnswParams::default() };
    let a = HnswIndex::new(D, Metric::L2, params).unwrap();
    let b = HnswIndex::new(D, Metric::L2, params).unwrap();
    for i in 0..300 {
        a.add(&ids[i..i + 1], &data[i * D..(i + 1) * D]).unwrap();
        b.add(&ids[i..i + 1], &data[i * D..(i + 1) * D]).unwrap();
    }
    for q in clustered(20, D, 5, 4).chunks_exact(D) {
        let p = SearchParams { k: 5, ef: Some(5), filter: None };
        assert_eq!(a.search(q, &p).unwrap(), b.search(q, &p).unwrap());
    }
}

#[test]
fn large_ef_is_nearly_exact_and_agrees_with_flat() {
    let data = clustered(1000, D, 10, 21);
    let ids: Vec<u64> = (0..1000).rev().collect();
    let hnsw = HnswIndex::new(D, Metric::L2, HnswParams::default()).unwrap();
    let flat = FlatIndex::new(D, Metric::L2).unwrap();
    hnsw.add(&ids, &data).unwrap();
    flat.add(&ids, &data).unwrap();
    let mut same = 0;
    let queries = clustered(100, D, 10, 22);
    for q in queries.chunks_exact(D) {
        let p = SearchParams { k: 10, ef: Some(1000), filter: None };
        same += (hnsw.search(q, &p).unwrap() == flat.search(q, &p).unwrap()) as usize;
    }
    assert!(same >= 98, "{same}/100 identical to exact");
}

#[test]
fn all_or_nothing_and_re_add() {
    for index in [
        Box::new(HnswIndex::new(2, Metric::L2, HnswParams::default()).unwrap()) as Box<dyn VectorIndex>,
        Box::new(FlatIndex::new(2, Metric::L2).unwrap()),
    ] {
        index.add(&[1, 2], &[0.0, 0.0, 1.0, 1.0]).unwrap();
        // 2 is live: nothing of the batch is added.
        let e = index.add(&[3, 2], &[2.0, 2.0, 3.0, 3.0]).unwrap_err();
        assert_eq!(e.code(), "ERR_DUPLICATE_ID");
        assert!(!index.contains(3));
        // Duplicate within the batch.
        assert_eq!(index.add(&[4, 4], &[2.0, 2.0, 3.0, 3.0]).unwrap_err().code(), "ERR_DUPLICATE_ID");
        assert!(!index.contains(4));
        // A bad vector anywhere rejects the whole batch.
        assert_eq!(index.add(&[5, 6], &[2.0, 2.0, f32::NAN, 3.0]).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
        assert!(!index.contains(5));
        // Remove with an unknown id removes nothing.
        assert_eq!(index.remove(&[1, 99]).unwrap_err().code(), "ERR_UNKNOWN_ID");
        assert!(index.contains(1));
        assert_eq!(index.len(), 2);
        // Remove, remove again (unknown now), re-add with a new vector.
        assert_eq!(index.remove(&[1]).unwrap(), 1);
        assert_eq!(index.remove(&[1]).unwrap_err().code(), "ERR_UNKNOWN_ID");
        index.add(&[1], &[5.0, 5.0]).unwrap();
        let hits = index.search(&[5.0, 5.0], &SearchParams { k: 5, ..Default::default() }).unwrap();
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(hits[0].distance, 0.0);
    }
}

#[test]
fn results_do_not_depend_on_where_the_query_sits_in_memory() {
    // The SIMD kernels' rounding depends on addresses; stored rows are aligned so that only
    // the values matter. Same query at 16 different offsets: bit-identical results.
    let data = clustered(500, 21, 5, 31);
    let ids: Vec<u64> = (0..500).collect();
    for metric in [Metric::Cosine, Metric::L2, Metric::Dot] {
        let indexes: Vec<Box<dyn VectorIndex>> = vec![
            Box::new(FlatIndex::new(21, metric).unwrap()),
            Box::new(HnswIndex::new(21, metric, HnswParams::default()).unwrap()),
        ];
        for index in &indexes {
            index.add(&ids, &data).unwrap();
            let q: Vec<f32> = clustered(1, 21, 5, 32);
            let params = SearchParams { k: 20, ..Default::default() };
            let want = index.search(&q, &params).unwrap();
            for offset in 1..16 {
                let mut buf = vec![0.5f32; offset];
                buf.extend_from_slice(&q);
                assert_eq!(index.search(&buf[offset..], &params).unwrap(), want, "{metric:?} offset {offset}");
                assert_eq!(index.search_batch(&buf[offset..], &params).unwrap()[0], want);
            }
        }
    }
}
