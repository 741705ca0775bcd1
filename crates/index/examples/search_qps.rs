//! Single-thread HNSW search QPS and recall on seeded clustered data.
//!
//! ```text
//! cargo run --release --example search_qps -p vn-index -- [--n=100000] [--index=PATH] [--passes=7]
//!     [--ef=32,64,128] [--data=benchmark/.cache/clustered-n100000-q1000-d128-c100-r48-p0.35-e0.1-s42] [--seed=100]
//! ```
//!
//! `--data=PREFIX` reads `PREFIX.base.f32`, `PREFIX.queries.f32` and `PREFIX.truth10.u32` (the
//! files `benchmark/hnsw.bench.ts` caches) instead of generating: the very bytes the JS benchmark
//! measures, so engine and binding can be told apart.
//!
//! Data: `n` base vectors + 1 000 queries, d = 128, a mixture of 100 gaussian clusters, each a
//! 48-dimensional gaussian (σ 0.35) embedded by its own random 128 × 48 matrix, plus isotropic
//! noise (σ 0.1) — the shape of `benchmark/lib/data.ts` (not its bytes). Index: l2, M = 16,
//! ef_construction = 200, seed 100 (or `--seed`), built on rayon's pool. With `--index=PATH` the index is
//! loaded from PATH when it exists (else built and saved there), so two builds of this example
//! can be compared on the very same graph.
//!
//! Per ef (32, 64, 128): one warm-up pass over the queries, then `passes` timed passes with
//! `search_with` and one scratch on this thread; the median (and best) pass is reported, plus
//! recall@10 on the first 200 queries against a brute-force scan.

use std::path::PathBuf;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vn_index::{HnswIndex, HnswParams, HnswScratch, Metric, SearchParams, VectorIndex};

mod common;
use common::process_cpu_s;

const D: usize = 128;
const LATENT: usize = 48;
const CLUSTERS: usize = 100;
const QUERIES: usize = 1000;
const RECALL_QUERIES: usize = 200;
const K: usize = 10;

fn gauss(rng: &mut StdRng) -> f32 {
    // Box-Muller.
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

struct Data {
    base: Vec<f32>,
    queries: Vec<f32>,
}

fn generate(n: usize) -> Data {
    let mut rng = StdRng::seed_from_u64(42);
    let clusters: Vec<(Vec<f32>, Vec<f32>)> = (0..CLUSTERS)
        .map(|_| {
            let centre: Vec<f32> = (0..D).map(|_| 4.0 * gauss(&mut rng)).collect();
            let basis: Vec<f32> = (0..D * LATENT).map(|_| 0.35 * gauss(&mut rng)).collect();
            (centre, basis)
        })
        .collect();
    let draw = |count: usize, rng: &mut StdRng| {
        let mut out = Vec::with_capacity(count * D);
        let mut z = [0f32; LATENT];
        for _ in 0..count {
            let (centre, basis) = &clusters[rng.gen_range(0..CLUSTERS)];
            for x in z.iter_mut() {
                *x = gauss(rng);
            }
            for i in 0..D {
                let row = &basis[i * LATENT..(i + 1) * LATENT];
                let proj: f32 = row.iter().zip(&z).map(|(a, b)| a * b).sum();
                out.push(centre[i] + proj + 0.1 * gauss(rng));
            }
        }
        out
    };
    let base = draw(n, &mut rng);
    let queries = draw(QUERIES, &mut rng);
    Data { base, queries }
}

/// Little-endian 4-byte words of a file.
fn read_words(path: &str) -> Vec<[u8; 4]> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

/// The benchmark's cached data set and its exact top-10 (all queries).
fn read_data(prefix: &str) -> (Data, Vec<Vec<u64>>) {
    let floats =
        |ext: &str| read_words(&format!("{prefix}.{ext}")).into_iter().map(f32::from_le_bytes).collect::<Vec<f32>>();
    let data = Data { base: floats("base.f32"), queries: floats("queries.f32") };
    let ids: Vec<u64> =
        read_words(&format!("{prefix}.truth10.u32")).into_iter().map(|w| u64::from(u32::from_le_bytes(w))).collect();
    let truth = ids.chunks_exact(K).map(<[u64]>::to_vec).collect();
    (data, truth)
}

fn truth(data: &Data, n: usize) -> Vec<Vec<u64>> {
    (0..RECALL_QUERIES)
        .map(|qi| {
            let q = &data.queries[qi * D..(qi + 1) * D];
            let mut all: Vec<(f32, u64)> = (0..n)
                .map(|i| {
                    let v = &data.base[i * D..(i + 1) * D];
                    (v.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(), i as u64)
                })
                .collect();
            all.select_nth_unstable_by(K, |a, b| a.0.total_cmp(&b.0));
            all.truncate(K);
            all.into_iter().map(|(_, id)| id).collect()
        })
        .collect()
}

fn arg<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::args().find_map(|a| a.strip_prefix(&format!("--{name}=")).and_then(|v| v.parse().ok()))
}

/// A `kB` field of `/proc/self/status` (Linux only).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let passes: usize = arg("passes").unwrap_or(7);
    let index_path: Option<PathBuf> = arg::<String>("index").map(PathBuf::from);
    let efs: Vec<usize> = arg::<String>("ef")
        .map_or(vec![32, 64, 128], |s| s.split(',').map(|e| e.parse().expect("--ef=32,64,...")).collect());
    let t = Instant::now();
    let (data, given_truth) = match arg::<String>("data") {
        Some(prefix) => {
            let (data, truth) = read_data(&prefix);
            (data, Some(truth))
        }
        None => (generate(arg("n").unwrap_or(100_000)), None),
    };
    let n = data.base.len() / D;
    assert_eq!(data.queries.len(), QUERIES * D, "{QUERIES} queries of {D} dimensions");
    eprintln!("data: {n} x {D} + {QUERIES} queries in {:.1} s", t.elapsed().as_secs_f64());

    let index = match &index_path {
        Some(p) if p.exists() => {
            let t = Instant::now();
            let index = HnswIndex::load(p).expect("load");
            eprintln!("loaded {} in {:.2} s", p.display(), t.elapsed().as_secs_f64());
            index
        }
        _ => {
            let params = HnswParams { m: 16, ef_construction: 200, ef_search: 64, seed: arg("seed").unwrap_or(100) };
            let index = HnswIndex::new(D, Metric::L2, params).expect("new");
            let ids: Vec<u64> = (0..n as u64).collect();
            let rss_before = status_kib("VmRSS");
            let t = Instant::now();
            let cpu = process_cpu_s();
            index.add(&ids, &data.base).expect("add");
            println!(
                "build: {:.2} s, CPU {:.2} s ({} threads)",
                t.elapsed().as_secs_f64(),
                process_cpu_s() - cpu,
                rayon::current_num_threads()
            );
            if let (Some(before), Some(after), Some(peak)) = (rss_before, status_kib("VmRSS"), status_kib("VmHWM")) {
                let mib = |kib: u64| kib as f64 / 1024.0;
                println!(
                    "memory: RSS +{:.1} MiB after add, peak +{:.1} MiB during add (vectors: {:.1} MiB)",
                    mib(after - before),
                    mib(peak - before),
                    (n * D * 4) as f64 / (1 << 20) as f64
                );
            }
            if let Some(p) = &index_path {
                index.save(p).expect("save");
            }
            index
        }
    };
    let t = Instant::now();
    let truth = given_truth.unwrap_or_else(|| truth(&data, n));
    eprintln!("ground truth ({} queries) in {:.1} s", truth.len(), t.elapsed().as_secs_f64());

    let mut scratch = HnswScratch::new();
    println!("| ef | recall@10 | QPS median | QPS best |");
    println!("| --- | --- | --- | --- |");
    for ef in efs {
        let params = SearchParams { k: K, ef: Some(ef), filter: None };
        let mut found = 0usize;
        for (qi, want) in truth.iter().enumerate() {
            let hits = index.search_with(&data.queries[qi * D..(qi + 1) * D], &params, &mut scratch).unwrap();
            found += hits.iter().filter(|h| want.contains(&h.id)).count();
        }
        let recall = found as f64 / (truth.len() * K) as f64;
        let mut qps = Vec::with_capacity(passes);
        for pass in 0..=passes {
            let t = Instant::now();
            let mut sink = 0u64;
            for q in data.queries.chunks_exact(D) {
                let hits = index.search_with(q, &params, &mut scratch).unwrap();
                sink = sink.wrapping_add(hits[0].id);
            }
            std::hint::black_box(sink);
            if pass > 0 {
                qps.push(QUERIES as f64 / t.elapsed().as_secs_f64());
            }
        }
        let best = qps.iter().cloned().fold(0.0, f64::max);
        println!("| {ef} | {recall:.3} | {:.0} | {best:.0} |", median(&mut qps));
    }
}
