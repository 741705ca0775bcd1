//! Time to open an existing text index with [`TextIndex::open_or_create`] (which verifies every
//! segment file's checksum and the document counts of meta.json) against tantivy's bare open
//! of the same directory (meta.json and a reader, nothing verified). Warm page cache; medians.
//!
//! `cargo run --release -p vn-text --example open_timing <text-index-dir> [runs]`

use std::time::{Duration, Instant};

use tantivy::{Index, IndexReader, ReloadPolicy};
use vn_text::TextIndex;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().ok_or("usage: open_timing <text-index-dir> [runs]")?);
    let runs: usize = args.next().map_or(Ok(21), |a| a.parse())?;
    let bytes: u64 = std::fs::read_dir(&path)?.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum();
    drop(TextIndex::open_or_create(&path)?); // warms the page cache
    let (mut bare, mut verified) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let index = Index::open_in_dir(&path)?;
        let reader: IndexReader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        std::hint::black_box(reader.searcher().num_docs());
        bare.push(t.elapsed());
        let t = Instant::now();
        let (text, _) = TextIndex::open_or_create(&path)?;
        std::hint::black_box(text.snapshot()?.num_docs());
        verified.push(t.elapsed());
    }
    let (bare, verified) = (median(bare), median(verified));
    println!(
        "{} ({:.1} MB): tantivy open {:.2} ms, TextIndex::open_or_create (verified) {:.2} ms, verification ≈ {:.2} ms",
        path.display(),
        bytes as f64 / 1e6,
        bare.as_secs_f64() * 1e3,
        verified.as_secs_f64() * 1e3,
        verified.saturating_sub(bare).as_secs_f64() * 1e3
    );
    Ok(())
}
