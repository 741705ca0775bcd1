//! Rough timings: indexing 20 000 short documents (embedded by the built-in embedder) and the
//! latency of single-threaded queries in each mode. Prints numbers; asserts nothing.
//!
//! `cargo run --release -p vn-hybrid --example timing [docs] [dimensions]`

use std::time::Instant;

use vn_hybrid::{Document, OpenOptions, Query, SearchMode, UnifiedSearchSystem};

const WORDS: [&str; 40] = [
    "energy", "solar", "wind", "grid", "battery", "policy", "market", "price", "river", "forest", "mountain", "city",
    "train", "road", "bridge", "harbor", "music", "film", "novel", "poem", "garden", "kitchen", "recipe", "bread",
    "subsidy", "panel", "tax", "school", "health", "doctor", "storm", "coast", "island", "farm", "crop", "water",
    "station", "engine", "vote", "court",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let dims: usize = args.next().map_or(Ok(256), |a| a.parse())?;
    let root = std::env::temp_dir().join(format!("vn-hybrid-timing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);

    let mut state = 42u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Zipf-ish word choice: low indexes are common.
    let mut word = || WORDS[((next() % 1000) as f64 / 1000.0).powi(3).mul_add(WORDS.len() as f64, 0.0) as usize];
    let docs: Vec<Document> = (0..n)
        .map(|i| {
            let len = 8 + i % 9;
            let text: Vec<&str> = (0..len).map(|_| word()).collect();
            Document::new(format!("doc-{i}"), format!("{} item{i}", text.join(" ")))
        })
        .collect();

    let t = Instant::now();
    let system = UnifiedSearchSystem::open(OpenOptions::new(root.join("text"), root.join("vectors"), dims))?;
    let opened = t.elapsed();
    let t = Instant::now();
    for chunk in docs.chunks(1000) {
        system.add(chunk)?;
    }
    let added = t.elapsed();
    let t = Instant::now();
    system.commit()?;
    let committed = t.elapsed();
    println!(
        "{n} docs, {dims} dims: open {opened:.1?}, add+embed {added:.2?}, commit (HNSW insert + save + text commit) \
         {committed:.2?}, total {:.2?}",
        added + committed
    );
    let st = system.stats()?;
    println!(
        "text index {:.1} MB, vector file {:.1} MB",
        st.text_index_bytes as f64 / 1e6,
        st.vector_index_bytes as f64 / 1e6
    );

    let queries: Vec<String> = (0..500).map(|i| format!("{} {} item{}", word(), word(), i * 37 % n)).collect();
    let mut session = system.session();
    let runs = [
        ("text", SearchMode::Text, 10),
        ("text", SearchMode::Text, 50),
        ("vector", SearchMode::Vector, 10),
        ("vector", SearchMode::Vector, 50),
        ("hybrid", SearchMode::Hybrid, 10),
    ];
    for (name, mode, k) in runs {
        let mut times = Vec::with_capacity(queries.len());
        for q in &queries {
            let query = Query { mode, k, ..Query::text(q.as_str()) };
            let t = Instant::now();
            let hits = session.search(&query)?;
            times.push(t.elapsed());
            std::hint::black_box(hits);
        }
        times.sort();
        let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!("{name:>6} k={k:<2}: p50 {:.1?}  p90 {:.1?}  p99 {:.1?}", p(0.5), p(0.9), p(0.99));
    }

    system.close()?;
    let t = Instant::now();
    let reopened = UnifiedSearchSystem::open(OpenOptions::new(root.join("text"), root.join("vectors"), dims))?;
    println!("reopen {:.1?} (repaired: {:?})", t.elapsed(), reopened.open_report().repaired);
    reopened.close()?;
    drop(reopened);
    std::fs::remove_dir_all(&root)?;
    Ok(())
}
