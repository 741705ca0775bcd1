//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vn_hybrid::{Document, Metric, OpenOptions, UnifiedSearchSystem};

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("vn-hybrid-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn text(&self) -> PathBuf {
        self.0.join("text")
    }

    pub fn vectors(&self) -> PathBuf {
        self.0.join("vectors")
    }

    pub fn options(&self, dims: usize) -> OpenOptions {
        OpenOptions::new(self.text(), self.vectors(), dims)
    }

    pub fn open(&self, dims: usize) -> UnifiedSearchSystem {
        UnifiedSearchSystem::open(self.options(dims)).unwrap()
    }

    pub fn open_with(&self, dims: usize, metric: Metric) -> UnifiedSearchSystem {
        UnifiedSearchSystem::open(OpenOptions { metric, ..self.options(dims) }).unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A deterministic generator (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    pub fn vector(&mut self, dims: usize) -> Vec<f32> {
        (0..dims).map(|_| self.unit()).collect()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: [&str; 24] = [
    "energy", "solar", "wind", "grid", "battery", "policy", "market", "price", "river", "forest", "mountain", "city",
    "train", "road", "bridge", "harbor", "music", "film", "novel", "poem", "garden", "kitchen", "recipe", "bread",
];

/// `n` documents "doc-{i}" of 8 common words each, with random vectors of `dims` when asked.
pub fn corpus(n: usize, dims: usize, with_vectors: bool, seed: u64) -> Vec<Document> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let text: Vec<&str> = (0..8).map(|_| WORDS[rng.below(WORDS.len())]).collect();
            let d = Document::new(format!("doc-{i}"), text.join(" "));
            if with_vectors {
                d.with_vector(rng.vector(dims))
            } else {
                d
            }
        })
        .collect()
}

pub fn ids(hits: &[vn_hybrid::Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// Names of the entries of a directory, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}
