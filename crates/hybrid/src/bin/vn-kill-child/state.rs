//! The states the kill test's child writes, one per generation, and how it gets from one to
//! the next: shared by the child (`main.rs`) and the test (`tests/kill.rs`), so the test knows
//! exactly what "the old state" and "the new state" hold.

#![allow(dead_code)] // each side uses part of it

use vn_hybrid::{Document, HnswParams, IndexKind, Metric};
use vn_index::{FlatIndex, HnswIndex, VectorIndex};

/// Vector components.
pub const DIMS: usize = 16;
/// Vectors of the index at generation 0 (big enough that a save takes a while).
pub const BASE_VECTORS: u64 = 20_000;
/// Vectors added (and, three generations later, removed) per generation.
pub const BATCH: u64 = 64;
/// Documents added (and, three generations later, deleted) per store commit.
pub const DOCS: u64 = 40;

/// A component of the vector of `id` written at `generation`.
fn component(id: u64, generation: u64, k: usize) -> f32 {
    // splitmix64 of (id, generation, k): every component differs (no two vectors are equal).
    let mut z = id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ generation.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = z.wrapping_add((k as u64 + 1).wrapping_mul(0x94d0_49bb_1331_11eb));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z % 20_001) as f32 / 1000.0 - 10.0
}

fn vector(id: u64, generation: u64) -> Vec<f32> {
    (0..DIMS).map(|k| component(id, generation, k)).collect()
}

/// The vector index at generation 0, `kind` ("flat" or "hnsw").
pub fn base_index(kind: &str) -> Box<dyn VectorIndex> {
    let index: Box<dyn VectorIndex> = match kind {
        "flat" => Box::new(FlatIndex::new(DIMS, Metric::L2).expect("flat")),
        _ => Box::new(
            HnswIndex::new(DIMS, Metric::L2, HnswParams { m: 8, ef_construction: 32, ef_search: 32, seed: 5 })
                .expect("hnsw"),
        ),
    };
    let ids: Vec<u64> = (0..BASE_VECTORS).collect();
    let vectors: Vec<f32> = ids.iter().flat_map(|&id| vector(id, 0)).collect();
    index.add(&ids, &vectors).expect("base vectors");
    index
}

/// Moves the index from generation `g - 1` to `g`: adds batch `g` one vector at a time (the
/// same graph whoever does it) and removes batch `g - 3`.
pub fn advance_index(index: &dyn VectorIndex, g: u64) {
    for j in 0..BATCH {
        let id = BASE_VECTORS + g * BATCH + j;
        index.add(&[id], &vector(id, g)).expect("add");
    }
    if g > 3 {
        let old: Vec<u64> = (0..BATCH).map(|j| BASE_VECTORS + (g - 3) * BATCH + j).collect();
        index.remove(&old).expect("remove");
    }
}

/// The documents of store commit `b` (generation `b` holds batches `b - 2 ..= b`, from 1).
pub fn batch_docs(b: u64) -> Vec<Document> {
    (0..DOCS)
        .map(|j| {
            Document::new(format!("d{b}-{j}"), format!("batch {b} document {j} energy river"))
                .with_vector(vector(b * DOCS + j, b))
                .with_metadata(format!(r#"{{"b":{b},"j":{j}}}"#))
        })
        .collect()
}

/// The ids of batch `b`.
pub fn batch_ids(b: u64) -> Vec<String> {
    (0..DOCS).map(|j| format!("d{b}-{j}")).collect()
}

/// The batches a store at generation `g` holds.
pub fn live_batches(g: u64) -> std::ops::RangeInclusive<u64> {
    g.saturating_sub(2).max(1)..=g
}

/// The store options of the kill test: a flat (exact) vector index, so that every document
/// must be found at distance 0 by its own vector (the save test covers HNSW files).
pub fn store_options(root: &std::path::Path) -> vn_hybrid::OpenOptions {
    let mut o = vn_hybrid::OpenOptions::new(root.join("text"), root.join("vectors"), DIMS);
    o.metric = Metric::L2;
    o.vector_index = Some(IndexKind::Flat);
    o.writer_memory = 20_000_000;
    o
}
