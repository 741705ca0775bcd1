//! Searches run while other threads add, remove and save: no panic, no torn result, never an
//! id that was never added, never one whose removal finished before the search started.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use common::{assert_well_formed, clustered, TestDir};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use vn_index::{load_index, FlatIndex, HnswIndex, HnswParams, Metric, SearchParams, VectorIndex};

const D: usize = 8;
const INITIAL: u64 = 2000;
const SINGLES: u64 = 600;
const BATCHES: u64 = 30;
const BATCH: u64 = 40;

fn hammer(index: Arc<dyn VectorIndex>) {
    let data = clustered((INITIAL + SINGLES + BATCHES * BATCH) as usize, D, 10, 7);
    let row = |i: u64| &data[i as usize * D..(i as usize + 1) * D];
    let initial: Vec<u64> = (0..INITIAL).collect();
    index.add(&initial, &data[..INITIAL as usize * D]).unwrap();

    // Ids: initial 0..2000, singles 10_000.., batches 20_000..; rows follow in that order.
    let single_ids: Vec<u64> = (0..SINGLES).map(|i| 10_000 + i).collect();
    let batch_ids: Vec<u64> = (0..BATCHES * BATCH).map(|i| 20_000 + i).collect();
    let ever_added: HashSet<u64> = initial.iter().chain(&single_ids).chain(&batch_ids).copied().collect();

    // Half of the initial ids are removed, one by one, in this order.
    let mut order: Vec<u64> = initial.clone();
    order.shuffle(&mut StdRng::seed_from_u64(3));
    order.truncate(INITIAL as usize / 2);
    let removal_rank: HashMap<u64, usize> = order.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let removed_count = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let searches = AtomicUsize::new(0);
    let dir = TestDir::new("concurrency");

    thread::scope(|s| {
        let writers = vec![
            s.spawn(|| {
                for (i, &id) in single_ids.iter().enumerate() {
                    index.add(&[id], row(INITIAL + i as u64)).unwrap();
                }
            }),
            s.spawn(|| {
                for b in 0..BATCHES {
                    let ids = &batch_ids[(b * BATCH) as usize..((b + 1) * BATCH) as usize];
                    let first = (INITIAL + SINGLES + b * BATCH) as usize;
                    index.add(ids, &data[first * D..(first + BATCH as usize) * D]).unwrap();
                }
            }),
            s.spawn(|| {
                for (i, &id) in order.iter().enumerate() {
                    assert_eq!(index.remove(&[id]).unwrap(), 1);
                    removed_count.store(i + 1, Ordering::Release);
                }
            }),
            s.spawn(|| {
                for i in 0..3 {
                    let path = dir.path(&format!("snap{i}.vnidx"));
                    index.save(&path).unwrap();
                    thread::yield_now();
                }
            }),
        ];
        let searchers: Vec<_> = (0..3)
            .map(|t| {
                let (index, stop, searches) = (&index, &stop, &searches);
                let (ever_added, removal_rank, removed_count) = (&ever_added, &removal_rank, &removed_count);
                let queries = clustered(50, D, 10, 100 + t);
                s.spawn(move || {
                    let mut scratch = vn_index::HnswScratch::new();
                    let hnsw = index.as_any().downcast_ref::<HnswIndex>();
                    let mut round = 0usize;
                    while !stop.load(Ordering::Acquire) {
                        for q in queries.chunks_exact(D) {
                            round += 1;
                            let before = removed_count.load(Ordering::Acquire);
                            let params = SearchParams { k: 10, ef: Some(32), filter: None };
                            let results = match (round % 3, hnsw) {
                                (0, _) => index.search_batch(q, &params).unwrap().pop().unwrap(),
                                (1, Some(h)) => h.search_with(q, &params, &mut scratch).unwrap(),
                                _ => index.search(q, &params).unwrap(),
                            };
                            assert_well_formed(&results);
                            assert_eq!(results.len(), 10, "at least 1000 live vectors at all times");
                            for h in &results {
                                assert!(ever_added.contains(&h.id), "id {} was never added", h.id);
                                if let Some(&rank) = removal_rank.get(&h.id) {
                                    assert!(rank >= before, "id {} was removed before the search", h.id);
                                }
                            }
                            searches.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Release);
        for r in searchers {
            r.join().unwrap();
        }
    });

    assert!(searches.load(Ordering::Relaxed) > 0);
    let live = (INITIAL as usize / 2) + (SINGLES + BATCHES * BATCH) as usize;
    assert_eq!(index.len(), live);
    for id in &order {
        assert!(!index.contains(*id));
    }
    // Every snapshot is a consistent, loadable index.
    for i in 0..3 {
        let loaded = load_index(&dir.path(&format!("snap{i}.vnidx"))).unwrap();
        assert!(loaded.len() >= INITIAL as usize / 2 && loaded.len() <= INITIAL as usize + live);
        let hits = loaded.search(row(0), &SearchParams { k: 5, ..Default::default() }).unwrap();
        assert_eq!(hits.len(), 5);
    }
}

#[test]
fn hnsw_concurrent_reads_and_writes() {
    let params = HnswParams { m: 8, ef_construction: 64, ef_search: 32, seed: 1 };
    hammer(Arc::new(HnswIndex::new(D, Metric::L2, params).unwrap()));
}

#[test]
fn flat_concurrent_reads_and_writes() {
    hammer(Arc::new(FlatIndex::new(D, Metric::Cosine).unwrap()));
}
