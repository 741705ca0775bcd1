//! Recall@10 per ef and build CPU time of the HNSW index on a cached real set (the word or
//! sentence vectors of `benchmark/hnsw-real.bench.ts`), built in one batch `add` and, with
//! `--row-by-row`, one row per `add` call; with `--passes=N`, single-thread search QPS per ef too
//! (the engine alone, no binding: to A/B a change to the walk on real vectors).
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release --example real_recall -p vn-index -- \
//!     benchmark/.cache/real/spam-words [--row-by-row] [--ef=16,32,64,128] [--passes=5] [--index=PATH]
//!     [--seed=100]
//! ```
//!
//! Reads `DIR/base.f32`, `DIR/queries.f32`, `DIR/truth10.u32` and `dims`/`metric` from
//! `DIR/manifest.json`. Index: M 16, ef_construction 200, seed 100 (the benchmark's; `--seed` to
//! tell a change to the build from the luck of one graph). Build CPU
//! is the process's CPU time over the `add` calls (all threads), wall time beside it. With
//! `--index=PATH` the graph is loaded from PATH when it exists (else built and saved there), so
//! two builds of this example search the very same graph.
//!
//! QPS: per ef, `N` timed passes after one warm-up, each repeating the queries (one at a time,
//! `search_with` and one scratch) until 300 ms have passed; the median pass and the best.

use std::path::PathBuf;
use std::time::Instant;

use vn_index::{HnswIndex, HnswParams, HnswScratch, Metric, SearchParams, VectorIndex};

mod common;
use common::process_cpu_s;

fn read_f32(path: &str) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

fn main() {
    let mut dir = None;
    let mut row_by_row = false;
    let mut efs = vec![16usize, 32, 64, 128];
    let mut passes = 0usize;
    let mut seed = 100u64;
    let mut index_path: Option<PathBuf> = None;
    for a in std::env::args().skip(1) {
        if a == "--row-by-row" {
            row_by_row = true;
        } else if let Some(v) = a.strip_prefix("--ef=") {
            efs = v.split(',').map(|x| x.parse().expect("ef")).collect();
        } else if let Some(v) = a.strip_prefix("--seed=") {
            seed = v.parse().expect("seed");
        } else if let Some(v) = a.strip_prefix("--passes=") {
            passes = v.parse().expect("passes");
        } else if let Some(v) = a.strip_prefix("--index=") {
            index_path = Some(PathBuf::from(v));
        } else {
            dir = Some(a);
        }
    }
    let dir = dir.expect("usage: real_recall DIR [--row-by-row] [--ef=..]");
    let manifest = std::fs::read_to_string(format!("{dir}/manifest.json")).expect("manifest.json");
    let field = |key: &str| -> String {
        let at = manifest.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} in manifest"));
        let rest = manifest[at + key.len() + 3..].trim_start().trim_start_matches('"');
        rest.chars().take_while(|c| c.is_alphanumeric()).collect::<String>()
    };
    let d: usize = field("dims").parse().expect("dims");
    let metric = match field("metric").as_str() {
        "cosine" => Metric::Cosine,
        "l2" => Metric::L2,
        other => panic!("metric {other}"),
    };
    let base = read_f32(&format!("{dir}/base.f32"));
    let queries = read_f32(&format!("{dir}/queries.f32"));
    let truth: Vec<u32> = std::fs::read(format!("{dir}/truth10.u32"))
        .expect("truth10.u32")
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let n = base.len() / d;
    let nq = queries.len() / d;
    assert_eq!(truth.len(), nq * 10, "truth: 10 ids per query");

    let index = match &index_path {
        Some(p) if p.exists() => {
            println!("{dir}: n {n}, d {d}, {metric:?}: graph loaded from {}", p.display());
            HnswIndex::load(p).expect("load")
        }
        _ => {
            let params = HnswParams { m: 16, ef_construction: 200, ef_search: 64, seed };
            let index = HnswIndex::new(d, metric, params).unwrap();
            let ids: Vec<u64> = (0..n as u64).collect();
            let (c, t) = (process_cpu_s(), Instant::now());
            if row_by_row {
                for i in 0..n {
                    index.add(&ids[i..=i], &base[i * d..(i + 1) * d]).unwrap();
                }
            } else {
                index.add(&ids, &base).unwrap();
            }
            let (cpu, wall) = (process_cpu_s() - c, t.elapsed().as_secs_f64());
            let mode = if row_by_row { "row-by-row" } else { "batch" };
            println!("{dir}: n {n}, d {d}, {metric:?}, {mode}: build cpu {cpu:.2} s, wall {wall:.2} s");
            if let Some(p) = &index_path {
                index.save(p).expect("save");
            }
            index
        }
    };
    let mut scratch = HnswScratch::new();
    for ef in efs {
        let sp = SearchParams { k: 10, ef: Some(ef), filter: None };
        let mut hit = 0usize;
        for (qi, q) in queries.chunks_exact(d).enumerate() {
            let want = &truth[qi * 10..qi * 10 + 10];
            hit += index.search(q, &sp).unwrap().iter().filter(|h| want.contains(&(h.id as u32))).count();
        }
        let recall = hit as f64 / (nq * 10) as f64;
        if passes == 0 {
            println!("  ef {ef:>4}: recall@10 {recall:.4}");
            continue;
        }
        let mut rates: Vec<f64> = (0..=passes).map(|_| timed_pass(&index, &queries, d, &sp, &mut scratch)).collect();
        rates.remove(0); // the warm-up
        rates.sort_by(f64::total_cmp);
        let (median, best) = (rates[rates.len() / 2], rates[rates.len() - 1]);
        println!("  ef {ef:>4}: recall@10 {recall:.4}, QPS median {median:.0}, best {best:.0}");
    }
}

/// Queries per second over repeated passes of all `queries` lasting at least 300 ms.
fn timed_pass(index: &HnswIndex, queries: &[f32], d: usize, sp: &SearchParams, scratch: &mut HnswScratch) -> f64 {
    let t = Instant::now();
    let (mut searched, mut sink) = (0usize, 0u64);
    while t.elapsed().as_millis() < 300 {
        for q in queries.chunks_exact(d) {
            sink = sink.wrapping_add(index.search_with(q, sp, scratch).unwrap()[0].id);
        }
        searched += queries.len() / d;
    }
    std::hint::black_box(sink);
    searched as f64 / t.elapsed().as_secs_f64()
}
