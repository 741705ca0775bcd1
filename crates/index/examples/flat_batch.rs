//! Exact search throughput: one query at a time vs `search_batch` (the blocked scan), on the
//! calling thread only when run with `RAYON_NUM_THREADS=1`.
//!
//! `cargo run --release --example flat_batch -p vn-index -- [n] [d] [batch]` (default 1M × 128, 16).

use std::time::Instant;

use vn_index::{FlatIndex, Metric, SearchParams, VectorIndex};

mod common;
use common::thread_cpu_s;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("numbers")).collect();
    let (n, d, batch) = (
        args.first().copied().unwrap_or(1_000_000),
        args.get(1).copied().unwrap_or(128),
        args.get(2).copied().unwrap_or(16),
    );
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let index = FlatIndex::new(d, Metric::L2).unwrap();
    let chunk = 65_536;
    let mut id = 0u64;
    while (id as usize) < n {
        let m = chunk.min(n - id as usize);
        let data: Vec<f32> = (0..m * d).map(|_| next()).collect();
        index.add(&(id..id + m as u64).collect::<Vec<_>>(), &data).unwrap();
        id += m as u64;
    }
    let queries: Vec<f32> = (0..batch * 4 * d).map(|_| next()).collect();
    let params = SearchParams { k: 10, ef: None, filter: None };
    println!("n {n} d {d} batch {batch} threads {}", rayon::current_num_threads());
    for round in 0..3 {
        let c = thread_cpu_s();
        let t = Instant::now();
        let mut one = Vec::new();
        for q in queries.chunks_exact(d).take(batch) {
            one.push(index.search(q, &params).unwrap());
        }
        let single = t.elapsed().as_secs_f64() / batch as f64;
        let single_cpu = (thread_cpu_s() - c) / batch as f64;
        let c = thread_cpu_s();
        let t = Instant::now();
        let mut got = Vec::new();
        for b in queries.chunks_exact(batch * d) {
            got.extend(index.search_batch(b, &params).unwrap());
        }
        let batched = t.elapsed().as_secs_f64() / (4 * batch) as f64;
        let batched_cpu = (thread_cpu_s() - c) / (4 * batch) as f64;
        assert_eq!(&got[..batch], &one[..]);
        println!(
            "round {round}: one at a time {:.2} ms/query (cpu {:.2}), batch of {batch} {:.2} ms/query (cpu {:.2}) -> {:.2}x wall, {:.2}x cpu",
            single * 1e3,
            single_cpu * 1e3,
            batched * 1e3,
            batched_cpu * 1e3,
            single / batched,
            single_cpu / batched_cpu
        );
    }
}
