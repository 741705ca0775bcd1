//! Reproducible builds: the same data, parameters and seed give the same graph (byte-identical
//! saved files) and the same search results, whatever the number of threads that built it and
//! however they interleaved.

mod common;

use common::{clustered, TestDir};
use vn_index::{HnswIndex, HnswParams, Metric, SearchParams, VectorIndex};

fn build(threads: usize, data: &[f32], d: usize, batches: &[usize], metric: Metric) -> HnswIndex {
    let params = HnswParams { m: 8, ef_construction: 64, ef_search: 32, seed: 11 };
    let index = HnswIndex::new(d, metric, params).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let n = data.len() / d;
    let mut at = 0;
    pool.install(|| {
        for &b in batches.iter().cycle() {
            if at >= n {
                break;
            }
            let end = (at + b).min(n);
            let ids: Vec<u64> = (at as u64..end as u64).map(|i| i * 3 + 1).collect();
            index.add(&ids, &data[at * d..end * d]).unwrap();
            at = end;
        }
    });
    index
}

#[test]
fn parallel_builds_are_identical_to_each_other_and_to_one_thread() {
    let d = 16;
    let n = 6000;
    let data = clustered(n, d, 12, 5);
    let queries = clustered(50, d, 12, 77);
    let dir = TestDir::new("deterministic");
    for metric in [Metric::L2, Metric::Cosine] {
        // One big batch, and uneven batches (including single adds) in the same order.
        for batches in [vec![n], vec![1, 700, 1, 1, 2500, 33]] {
            let builds: Vec<HnswIndex> = [4, 4, 3, 1].iter().map(|&t| build(t, &data, d, &batches, metric)).collect();
            let files: Vec<Vec<u8>> = builds
                .iter()
                .enumerate()
                .map(|(i, index)| {
                    let path = dir.path(&format!("b{i}.vnidx"));
                    index.save(&path).unwrap();
                    std::fs::read(&path).unwrap()
                })
                .collect();
            for (i, f) in files.iter().enumerate().skip(1) {
                assert!(f == &files[0], "{metric:?} {batches:?}: build {i} saved a different file");
            }
            let params = SearchParams { k: 10, ef: Some(24), filter: None };
            for q in queries.chunks_exact(d) {
                let want = builds[0].search(q, &params).unwrap();
                for b in &builds[1..] {
                    assert_eq!(b.search(q, &params).unwrap(), want);
                }
            }
        }
    }
}
