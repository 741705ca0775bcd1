//! What an HNSW compaction costs: the stall of the remove that triggers it, and that cost spread
//! over the removes that led to it.
//!
//! ```text
//! cargo run --release --example compaction_cost -p vn-index -- [--n=20000,100000] [--d=128]
//! ```
//!
//! Per `n`: builds an index of `n + 1` clustered vectors (l2, M = 16, ef_construction = 200) on
//! rayon's pool, removes one and times [`HnswIndex::compact`]. A compaction relinks the live
//! vectors and only copies them, so its cost depends on the live count, not on the tombstones:
//! with `n` live vectors and one tombstone it does the same work as the remove that finds `n`
//! tombstones next to `n` live vectors (the automatic trigger), without building `2n` first.
//! That remove follows at least `n` removes since the previous compaction, so the amortized
//! cost per remove is at most the stall divided by `n`. (Recall is printed to show that it is
//! unchanged; its level depends on this synthetic data, whose clusters overlap in 128 dims.)
//!
//! Printed per `n`: build time, compaction wall and process CPU time, amortized µs per
//! remove, recall@10 (ef 64, 200 queries, brute force) before and after, and the memory the
//! index reports. Wall times depend on the machine's load: the process's CPU time is printed
//! beside them.

use std::collections::HashSet;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vn_index::{HnswIndex, HnswParams, Metric, SearchParams, VectorIndex};

mod common;
use common::process_cpu_s;

const QUERIES: usize = 200;
const K: usize = 10;

/// `n` vectors around 100 random centres (uniform noise), seeded.
fn clustered(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres: Vec<f32> = (0..100 * d).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let c = rng.gen_range(0..100);
        for j in 0..d {
            out.push(centres[c * d + j] + rng.gen_range(-0.4f32..0.4));
        }
    }
    out
}

fn l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn recall(index: &HnswIndex, data: &[f32], ids: &[u64], gone: &HashSet<u64>, queries: &[f32], d: usize) -> f64 {
    let params = SearchParams { k: K, ef: Some(64), filter: None };
    let mut found = 0;
    for q in queries.chunks_exact(d) {
        let mut all: Vec<(f32, u64)> =
            data.chunks_exact(d).zip(ids).filter(|(_, id)| !gone.contains(id)).map(|(v, &id)| (l2(v, q), id)).collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let truth: HashSet<u64> = all.iter().take(K).map(|x| x.1).collect();
        found += index.search(q, &params).unwrap().iter().filter(|h| truth.contains(&h.id)).count();
    }
    found as f64 / (queries.len() / d * K) as f64
}

fn main() {
    let mut sizes = vec![20_000usize, 100_000];
    let mut d = 128usize;
    for arg in std::env::args().skip(1) {
        if let Some(v) = arg.strip_prefix("--n=") {
            sizes = v.split(',').map(|x| x.parse().expect("--n=N[,N...]")).collect();
        } else if let Some(v) = arg.strip_prefix("--d=") {
            d = v.parse().expect("--d=D");
        } else {
            panic!("unknown argument {arg}");
        }
    }
    println!("threads: {}", rayon::current_num_threads());
    for n in sizes {
        let data = clustered(n + 1, d, 7);
        let queries = clustered(QUERIES, d, 8);
        let ids: Vec<u64> = (0..=n as u64).collect();
        let index = HnswIndex::new(d, Metric::L2, HnswParams::default()).unwrap();
        let (t, c) = (Instant::now(), process_cpu_s());
        index.add(&ids, &data).unwrap();
        let (build_s, build_cpu) = (t.elapsed().as_secs_f64(), process_cpu_s() - c);
        let mut gone = HashSet::new();
        let before = recall(&index, &data, &ids, &gone, &queries, d);
        let mem_before = index.memory().total();
        // One tombstone, far under the automatic threshold; then the forced rebuild of n live.
        index.remove(&[n as u64]).unwrap();
        gone.insert(n as u64);
        let (t, c) = (Instant::now(), process_cpu_s());
        let reclaimed = index.compact();
        let (stall_s, stall_cpu) = (t.elapsed().as_secs_f64(), process_cpu_s() - c);
        assert_eq!(reclaimed, 1);
        assert_eq!(index.node_count(), n);
        let after = recall(&index, &data, &ids, &gone, &queries, d);
        println!(
            "n {n} x d {d}: build {build_s:.2} s ({build_cpu:.2} CPU s); compaction of {n} live: stall \
             {stall_s:.2} s ({stall_cpu:.2} CPU s) = {:.0} us ({:.0} CPU us) per remove amortized over the {n} \
             removes that trigger it; recall@10 (ef 64) {before:.4} before, {after:.4} after; memory {:.1} MB \
             before, {:.1} MB after",
            stall_s * 1e6 / n as f64,
            stall_cpu * 1e6 / n as f64,
            mem_before as f64 / 1e6,
            index.memory().total() as f64 / 1e6,
        );
    }
}
