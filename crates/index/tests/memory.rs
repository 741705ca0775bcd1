//! `VectorIndex::memory`: byte counts that follow what the index holds.

mod common;

use common::clustered;
use vn_index::{load_index, FlatIndex, HnswIndex, HnswParams, MemoryUsage, Metric, VectorIndex};

const D: usize = 20; // not a multiple of 16: rows are padded

fn ids(range: std::ops::Range<u64>) -> Vec<u64> {
    range.collect()
}

/// Adds 100 then 3000 vectors (past the first HNSW segment of 1024 nodes) and checks the
/// counts after each step.
fn grows_with_adds(index: &dyn VectorIndex) -> (MemoryUsage, MemoryUsage) {
    let empty = index.memory();
    let data = clustered(3100, D, 10, 7);
    index.add(&ids(0..100), &data[..100 * D]).unwrap();
    let small = index.memory();
    index.add(&ids(100..3100), &data[100 * D..]).unwrap();
    let large = index.memory();
    for (usage, len) in [(small, 100u64), (large, 3100)] {
        assert!(usage.vector_bytes >= len * D as u64 * 4, "{usage:?} for {len} vectors");
        assert!(usage.id_bytes >= len * 8, "{usage:?} for {len} vectors");
        assert_eq!(usage.total(), usage.vector_bytes + usage.id_bytes + usage.graph_bytes + usage.other_bytes);
    }
    assert!(small.total() > empty.total(), "{empty:?} -> {small:?}");
    assert!(large.vector_bytes > small.vector_bytes, "{small:?} -> {large:?}");
    assert!(large.id_bytes > small.id_bytes, "{small:?} -> {large:?}");
    assert!(large.total() > small.total(), "{small:?} -> {large:?}");
    // Counted from capacities, not wildly more than needed (padding to 32 floats, doubling).
    assert!(large.vector_bytes <= 4 * 3100 * 32 * 4, "{large:?}");
    (small, large)
}

#[test]
fn flat_counts_vectors_and_ids_and_no_graph() {
    let index = FlatIndex::new(D, Metric::L2).unwrap();
    assert_eq!(index.memory(), MemoryUsage::default());
    let (_, large) = grows_with_adds(&index);
    assert_eq!(large.graph_bytes, 0);
    assert_eq!(large.other_bytes, 0);
    // Removal compacts in place: capacity (and so the count) stays.
    index.remove(&ids(0..1000)).unwrap();
    assert_eq!(index.memory().vector_bytes, large.vector_bytes);
}

#[test]
fn hnsw_counts_its_graph() {
    let index = HnswIndex::new(D, Metric::Cosine, HnswParams { ef_construction: 40, ..Default::default() }).unwrap();
    assert_eq!(index.memory(), MemoryUsage::default());
    let (small, large) = grows_with_adds(&index);
    // At least the layer-0 lists (2·M slots) of every allocated block.
    assert!(small.graph_bytes >= 1024 * 2 * 16 * 4, "{small:?}");
    assert!(large.graph_bytes > small.graph_bytes, "{small:?} -> {large:?}");
    assert!(large.other_bytes > 0, "deletion bitsets: {large:?}");
    // Tombstones keep their nodes: nothing shrinks.
    index.remove(&ids(0..1000)).unwrap();
    let after = index.memory();
    assert!(after.vector_bytes == large.vector_bytes && after.graph_bytes == large.graph_bytes, "{after:?}");
}

#[test]
fn a_loaded_index_reports_the_same_storage() {
    let dir = std::env::temp_dir().join(format!("vn-index-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = clustered(1500, D, 10, 3);
    let hnsw = HnswIndex::new(D, Metric::L2, HnswParams { ef_construction: 40, ..Default::default() }).unwrap();
    hnsw.add(&ids(0..1500), &data).unwrap();
    let path = dir.join("h.vnidx");
    hnsw.save(&path).unwrap();
    let loaded = load_index(&path).unwrap();
    let (a, b) = (hnsw.memory(), loaded.memory());
    assert_eq!((a.vector_bytes, a.graph_bytes, a.other_bytes), (b.vector_bytes, b.graph_bytes, b.other_bytes));
    std::fs::remove_dir_all(&dir).unwrap();
}
