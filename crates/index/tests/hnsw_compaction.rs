//! HnswIndex compaction: under add/remove churn the graph stays within a bounded multiple of its
//! live vectors, removed ids never come back, recall holds; compaction is reproducible, saved
//! files after it hold no tombstones, and searches running during one see only live ids.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use common::{assert_well_formed, brute_all, clustered, recall, TestDir};
use vn_index::{HnswIndex, HnswParams, Metric, SearchParams, VectorIndex, COMPACT_MIN_TOMBSTONES};

const D: usize = 16;

/// The bound the index keeps after every remove (see `COMPACT_MIN_TOMBSTONES`).
fn bound(live: usize) -> usize {
    2 * live + COMPACT_MIN_TOMBSTONES
}

#[test]
fn churn_keeps_nodes_bounded_and_recall_high() {
    const START: usize = 5000;
    const STEP: usize = 1000;
    const ROUNDS: usize = 20;
    let total = START + ROUNDS * STEP;
    let data = clustered(total, D, 20, 21);
    let all_ids: Vec<u64> = (0..total as u64).map(|i| 10 + i * 3).collect();
    let queries = clustered(30, D, 20, 22);
    let index = HnswIndex::new(D, Metric::L2, HnswParams::default()).unwrap();
    index.add(&all_ids[..START], &data[..START * D]).unwrap();
    let k = 10;
    let mut removed: HashSet<u64> = HashSet::new();
    let (mut oldest, mut next) = (0usize, START);
    let mut most_nodes = 0;
    let mut compactions = 0;
    // Largest memory() in the first and in the second half of the rounds.
    let mut memory = [0u64; 2];
    for round in 0..ROUNDS {
        index.add(&all_ids[next..next + STEP], &data[next * D..(next + STEP) * D]).unwrap();
        next += STEP;
        let before = index.node_count();
        most_nodes = most_nodes.max(before);
        let batch = &all_ids[oldest..oldest + STEP];
        assert_eq!(index.remove(batch).unwrap(), STEP);
        removed.extend(batch);
        oldest += STEP;
        if index.node_count() < before {
            compactions += 1;
        }
        let half = &mut memory[round * 2 / ROUNDS];
        *half = (*half).max(index.memory().total());
        assert_eq!(index.len(), START);
        assert!(
            index.node_count() <= bound(index.len()),
            "round {round}: {} nodes for {} live",
            index.node_count(),
            index.len()
        );
        let live_ids = &all_ids[..next];
        let live_data = &data[..next * D];
        let mut r = 0.0;
        for q in queries.chunks_exact(D) {
            let hits = index.search(q, &SearchParams { k, ..Default::default() }).unwrap();
            assert_well_formed(&hits);
            assert_eq!(hits.len(), k);
            assert!(hits.iter().all(|h| !removed.contains(&h.id)), "round {round}: a removed id came back");
            r += recall(&hits, &brute_all(Metric::L2, D, live_ids, live_data, q, &removed, None), k);
        }
        let r = r / 30.0;
        assert!(r >= 0.9, "round {round}: recall@{k} {r}");
    }
    println!("20 rounds of +1k/-1k on 5k: {compactions} compactions, at most {most_nodes} nodes");
    assert!(compactions >= 3, "{compactions} compactions");
    assert!(most_nodes <= bound(START + STEP), "{most_nodes} nodes at most");
    assert!(memory[1] <= memory[0], "memory grew: {memory:?}");
}

#[test]
fn explicit_compaction_reclaims_everything_and_saves_no_tombstones() {
    let n = 3000;
    let data = clustered(n, D, 20, 31);
    let ids: Vec<u64> = (0..n as u64).map(|i| i * 2 + 1).collect();
    let index = HnswIndex::new(D, Metric::Cosine, HnswParams { seed: 3, ..HnswParams::default() }).unwrap();
    index.add(&ids, &data).unwrap();
    assert_eq!(index.compact(), 0, "nothing to reclaim");
    // 500 tombstones: under the automatic threshold.
    let gone: Vec<u64> = ids.iter().copied().step_by(6).collect();
    index.remove(&gone).unwrap();
    assert_eq!(index.node_count(), n);
    let before = index.memory();
    assert_eq!(index.compact(), gone.len());
    assert_eq!(index.node_count(), index.len());
    assert_eq!(index.len(), n - gone.len());
    assert_eq!(index.compact(), 0);
    let after = index.memory();
    // Segment-granular: 2 500 and 3 000 nodes fill the same segments; the upper lists shrink.
    assert!(after.graph_bytes < before.graph_bytes && after.total() < before.total(), "{before:?} {after:?}");
    for &id in &gone {
        assert!(!index.contains(id));
    }
    let gone: HashSet<u64> = gone.into_iter().collect();
    for (i, q) in data.chunks_exact(D).enumerate().step_by(97) {
        let hits = index.search(q, &SearchParams { k: 5, ..Default::default() }).unwrap();
        assert_eq!(hits.len(), 5);
        assert!(hits.iter().all(|h| !gone.contains(&h.id)));
        if !gone.contains(&ids[i]) {
            assert_eq!(hits[0].id, ids[i], "a live vector finds itself");
        }
    }
    // A removed id can be added again after the compaction.
    index.add(&[1], &data[..D]).unwrap();
    assert!(index.contains(1));
    let dir = TestDir::new("compaction");
    let path = dir.path("c.vnidx");
    index.remove(&[1]).unwrap();
    index.compact();
    index.save(&path).unwrap();
    let loaded = HnswIndex::load(&path).unwrap();
    assert_eq!(loaded.node_count(), loaded.len(), "no tombstones in the file");
    assert_eq!(loaded.len(), index.len());
    let q = &data[5 * D..6 * D];
    let params = SearchParams { k: 10, ..Default::default() };
    assert_eq!(loaded.search(q, &params).unwrap(), index.search(q, &params).unwrap());
    // Emptied entirely: compaction leaves an empty, usable graph.
    let rest: Vec<u64> = ids.iter().copied().filter(|id| !gone.contains(id) && *id != 1).collect();
    index.remove(&rest).unwrap();
    assert!(index.is_empty());
    assert_eq!(index.node_count(), 0, "{} tombstones ≥ the minimum: compacted", rest.len());
    assert!(index.search(q, &params).unwrap().is_empty());
    index.add(&[7], q).unwrap();
    assert_eq!(index.search(q, &params).unwrap()[0].id, 7);
}

/// Adds and removes (crossing the automatic threshold twice) and an explicit compaction, on
/// `threads` threads; the saved file.
fn churn_and_save(threads: usize, data: &[f32], metric: Metric, path: &std::path::Path) -> HnswIndex {
    let params = HnswParams { m: 8, ef_construction: 64, ef_search: 32, seed: 13 };
    let index = HnswIndex::new(D, metric, params).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let id = |i: usize| i as u64 * 5 + 2;
    let row = |i: usize| &data[i * D..(i + 1) * D];
    pool.install(|| {
        let ids: Vec<u64> = (0..3000).map(id).collect();
        index.add(&ids, &data[..3000 * D]).unwrap();
        // 2000 single removes: compacts once at 1 500 tombstones.
        for i in (0..3000).filter(|i| i % 3 != 0) {
            index.remove(&[id(i)]).unwrap();
        }
        for i in 3000..3400 {
            index.add(&[id(i)], row(i)).unwrap();
        }
        let ids: Vec<u64> = (3400..5000).map(id).collect();
        index.add(&ids, &data[3400 * D..5000 * D]).unwrap();
        let batch: Vec<u64> = (3000..4500).map(id).collect();
        index.remove(&batch).unwrap();
        index.remove(&[id(4700), id(4701)]).unwrap();
        assert!(index.node_count() > index.len());
        index.compact();
    });
    index.save(path).unwrap();
    index
}

#[test]
fn compaction_is_reproducible_on_any_thread_count() {
    let data = clustered(5000, D, 12, 41);
    let queries = clustered(40, D, 12, 42);
    let dir = TestDir::new("compaction-repro");
    for metric in [Metric::L2, Metric::Cosine] {
        let builds: Vec<(HnswIndex, Vec<u8>)> = [4, 1, 3]
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let path = dir.path(&format!("{metric:?}-{i}.vnidx"));
                let index = churn_and_save(t, &data, metric, &path);
                (index, std::fs::read(&path).unwrap())
            })
            .collect();
        assert_eq!(builds[0].0.node_count(), builds[0].0.len());
        for (i, (_, f)) in builds.iter().enumerate().skip(1) {
            assert!(f == &builds[0].1, "{metric:?}: build {i} saved a different file");
        }
        let params = SearchParams { k: 10, ef: Some(24), filter: None };
        for q in queries.chunks_exact(D) {
            let want = builds[0].0.search(q, &params).unwrap();
            assert_eq!(want.len(), 10);
            for (b, _) in &builds[1..] {
                assert_eq!(b.search(q, &params).unwrap(), want);
            }
        }
    }
}

#[test]
fn searches_during_compactions_return_only_live_ids_and_k_results() {
    const KEEP: usize = 1500;
    const BATCH: usize = 600;
    const ROUNDS: usize = 16;
    let total = KEEP + ROUNDS * BATCH;
    let data = clustered(total, D, 10, 51);
    // Ids: kept ones below 1 000 000; churned ones 1 000 000 + batch · 10 000 + i.
    let churn_id = |b: usize, i: usize| (1_000_000 + b * 10_000 + i) as u64;
    let index =
        HnswIndex::new(D, Metric::L2, HnswParams { m: 8, ef_construction: 48, ef_search: 32, seed: 2 }).unwrap();
    let kept: Vec<u64> = (0..KEEP as u64).collect();
    index.add(&kept, &data[..KEEP * D]).unwrap();
    // Churned batches `0..removed` were removed before a search that read `removed` started.
    let removed = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let searches = AtomicUsize::new(0);
    let compacted = AtomicUsize::new(0);
    thread::scope(|s| {
        let writer = s.spawn(|| {
            for b in 0..ROUNDS {
                let ids: Vec<u64> = (0..BATCH).map(|i| churn_id(b, i)).collect();
                let first = KEEP + b * BATCH;
                index.add(&ids, &data[first * D..(first + BATCH) * D]).unwrap();
                if b > 0 {
                    let old: Vec<u64> = (0..BATCH).map(|i| churn_id(b - 1, i)).collect();
                    // Singles first (some may cross the threshold), then the rest at once.
                    for &id in &old[..50] {
                        index.remove(&[id]).unwrap();
                    }
                    index.remove(&old[50..]).unwrap();
                    removed.store(b, Ordering::Release);
                }
                if b % 2 == 1 {
                    compacted.fetch_add(index.compact(), Ordering::Relaxed);
                }
            }
            stop.store(true, Ordering::Release);
        });
        let searchers: Vec<_> = (0..3)
            .map(|t| {
                let (index, stop, searches, removed) = (&index, &stop, &searches, &removed);
                let queries = clustered(40, D, 10, 60 + t);
                s.spawn(move || {
                    let mut scratch = vn_index::HnswScratch::new();
                    let mut round = 0usize;
                    while !stop.load(Ordering::Acquire) {
                        for q in queries.chunks_exact(D) {
                            round += 1;
                            let gone = removed.load(Ordering::Acquire);
                            let params = SearchParams { k: 10, ef: Some(32), filter: None };
                            let hits = match round % 3 {
                                0 => index.search_batch(q, &params).unwrap().pop().unwrap(),
                                1 => index.search_with(q, &params, &mut scratch).unwrap(),
                                _ => index.search(q, &params).unwrap(),
                            };
                            assert_well_formed(&hits);
                            assert_eq!(hits.len(), 10);
                            for h in &hits {
                                if h.id >= 1_000_000 {
                                    let b = (h.id as usize - 1_000_000) / 10_000;
                                    assert!(b >= gone, "id {} of batch {b}, removed before the search", h.id);
                                } else {
                                    assert!(h.id < KEEP as u64);
                                }
                            }
                            searches.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        writer.join().unwrap();
        for r in searchers {
            r.join().unwrap();
        }
    });
    assert!(searches.load(Ordering::Relaxed) > 0);
    assert!(compacted.load(Ordering::Relaxed) > 0, "explicit compactions reclaimed tombstones");
    assert_eq!(index.len(), KEEP + BATCH);
    assert!(index.node_count() <= bound(index.len()));
}
