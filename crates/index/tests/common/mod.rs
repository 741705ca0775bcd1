//! Shared helpers of the integration tests: seeded data, an independent brute force, temp dirs.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vn_index::{Hit, Metric};

/// `n` vectors of `d` dims around `clusters` random centres (row-major), seeded.
pub fn clustered(n: usize, d: usize, clusters: usize, seed: u64) -> Vec<f32> {
    clustered_with(n, d, clusters, seed, seed)
}

/// Like [`clustered`], with the centres from `centre_seed` and the points from `point_seed`:
/// queries from the same distribution as the data, but not copies of it.
pub fn clustered_with(n: usize, d: usize, clusters: usize, centre_seed: u64, point_seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(centre_seed);
    let centres: Vec<f32> = (0..clusters * d).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    let mut rng = StdRng::seed_from_u64(point_seed ^ 0x5eed_0000_0000);
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let c = rng.gen_range(0..clusters);
        for j in 0..d {
            // Sum of uniforms: roughly normal noise.
            let noise: f32 = (0..4).map(|_| rng.gen_range(-0.5f32..0.5)).sum::<f32>() * 1.0;
            out.push(centres[c * d + j] + noise);
        }
    }
    out
}

/// The distance the index should report, computed independently in f64.
pub fn true_distance(metric: Metric, a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    match metric {
        Metric::L2 => a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum(),
        Metric::Dot => 1.0 - dot,
        Metric::Cosine => {
            let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            1.0 - dot / (na * nb)
        }
    }
}

/// Every eligible (id, distance), sorted by (distance, id).
pub fn brute_all(
    metric: Metric,
    d: usize,
    ids: &[u64],
    data: &[f32],
    q: &[f32],
    removed: &HashSet<u64>,
    filter: Option<&HashSet<u64>>,
) -> Vec<(u64, f64)> {
    let mut all: Vec<(u64, f64)> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !removed.contains(id) && filter.is_none_or(|f| f.contains(id)))
        .map(|(i, &id)| (id, true_distance(metric, &data[i * d..(i + 1) * d], q)))
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    all
}

/// Fraction of the true top-k ids found in `hits`.
pub fn recall(hits: &[Hit], truth: &[(u64, f64)], k: usize) -> f64 {
    let want: HashSet<u64> = truth.iter().take(k).map(|t| t.0).collect();
    if want.is_empty() {
        return if hits.is_empty() { 1.0 } else { 0.0 };
    }
    hits.iter().filter(|h| want.contains(&h.id)).count() as f64 / want.len().max(1) as f64
}

/// Results are sorted by (distance, id) and hold no id twice.
pub fn assert_well_formed(hits: &[Hit]) {
    for w in hits.windows(2) {
        assert!(
            w[0].distance < w[1].distance || (w[0].distance == w[1].distance && w[0].id < w[1].id),
            "not sorted: {w:?}"
        );
    }
    let ids: HashSet<u64> = hits.iter().map(|h| h.id).collect();
    assert_eq!(ids.len(), hits.len(), "duplicate ids in {hits:?}");
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TestDir(pub PathBuf);

impl TestDir {
    pub fn new(name: &str) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("vn-index-test-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TestDir(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    /// Names of the entries of the directory, sorted.
    pub fn entries(&self) -> Vec<String> {
        entries(&self.0)
    }
}

pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
