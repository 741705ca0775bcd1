//! Writes the fuzz targets' seed corpus (`fuzz/corpus/<target>/<name>`) from real stores and
//! index files this build writes: `fuzz/README.md` runs it before `cargo fuzz run`.
//!
//! `cargo run --release -p vn-hybrid --features fuzzing --example fuzz_seeds -- fuzz/corpus`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let scratch = std::env::temp_dir().join(format!("vn-fuzz-seeds-{}", std::process::id()));
    let seeds = vn_hybrid::fuzzing::seeds(&scratch)?;
    for (target, name, bytes) in &seeds {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("seed-{name}")), bytes)?;
    }
    println!("{} seeds written under {}", seeds.len(), out.display());
    Ok(())
}
