//! SIGKILL at random points: a child process (`vn-kill-child`, src/bin) saves a vector index,
//! or commits a store, generation after generation; the test kills it after a random delay
//! (`std::process::Child::kill`: SIGKILL on Unix, TerminateProcess on Windows), then checks
//! that the file or store holds exactly the old or exactly the new generation (every byte of
//! the vector file; every document of the store), and that no temporary file survives the
//! next save or open.
//!
//! Short form (in `npm test`): 10 kills each. Long form (docs/benchmarks/kill.md):
//! `KILL_TEST_KILLS=100 node scripts/cargo-test.mjs -p vn-hybrid --test kill -- --nocapture`.
//! `KILL_TEST_SEED` replays a run's delays (every run prints its seed).

mod common;

#[path = "../src/bin/vn-kill-child/state.rs"]
mod state;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TempDir;
use vn_hybrid::{Query, UnifiedSearchSystem, LOCK_FILE};

const CHILD: &str = env!("CARGO_BIN_EXE_vn-kill-child");

fn kills() -> usize {
    std::env::var("KILL_TEST_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(10)
}

fn seed() -> u64 {
    std::env::var("KILL_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    })
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

/// What the child said before it died: the generation it started from, and the last one it
/// began to write and whether it said it was done.
#[derive(Debug)]
struct Said {
    ready: Option<u64>,
    begun: Option<u64>,
    done: Option<u64>,
}

/// Runs the child with `args`, kills it `delay` after it says `ready` (or after `delay` from
/// its start if it never does within 60 s) and returns what it said.
fn run_and_kill(args: &[&str], delay: Duration) -> Said {
    let mut child =
        Command::new(CHILD).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn the child");
    let mut out = child.stdout.take().expect("stdout");
    // Wait for "ready <g>" so that the delay counts from the first write, not from start-up.
    let mut said = Vec::new();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    while !said.ends_with(b"\n") && started.elapsed() < Duration::from_secs(60) {
        match out.read(&mut byte) {
            Ok(1) => said.push(byte[0]),
            _ => break,
        }
    }
    std::thread::sleep(delay);
    child.kill().expect("kill the child");
    let status = child.wait().expect("wait for the child");
    out.read_to_end(&mut said).expect("read the child's output");
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr");
    assert!(!status.success(), "the child exited by itself: {err}");
    assert!(err.trim().is_empty(), "the child failed before it was killed: {err}");
    let mut s = Said { ready: None, begun: None, done: None };
    for line in String::from_utf8(said).expect("utf-8").lines() {
        let (what, g) = line.split_once(' ').expect("<what> <generation>");
        let g: u64 = g.parse().expect("generation");
        match what {
            "ready" => s.ready = Some(g),
            "begin" => s.begun = Some(g),
            "done" => s.done = Some(g),
            other => panic!("unexpected line {other:?}"),
        }
    }
    s
}

/// The generations a state may be at after a kill: the one before the last write begun, or
/// that one; exactly the last one done if no write was begun after it.
fn allowed(said: &Said, before: u64) -> Vec<u64> {
    match (said.begun, said.done) {
        (None, _) => vec![before],
        (Some(b), Some(d)) if d == b => vec![b],
        (Some(b), _) => vec![b - 1, b],
    }
}

/// Names in `dir` that are temporary files of interrupted saves (`.<name>.<pid>.<n>.tmp`).
fn temp_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    out.sort();
    out
}

fn kill_during_save(kind: &str) {
    let dir = TempDir::new(&format!("kill-save-{kind}"));
    let file = dir.0.join("index.vnidx");
    let seed = seed();
    let n = kills();
    println!("kill during save ({kind}): {n} kills, KILL_TEST_SEED={seed}");
    let mut rng = Rng(seed);
    let base = state::base_index(kind);
    base.save(&file).unwrap();
    // The reference: the bytes of the generation the file is at, advanced the same way.
    let mut at = 0u64;
    let mut bytes = std::fs::read(&file).unwrap();
    let mut outcomes = Outcomes::default();
    let mut leftovers_seen = 0;
    for k in 0..n {
        let delay = Duration::from_micros(rng.below(250_000));
        let said = run_and_kill(&["save", file.to_str().unwrap(), kind, &at.to_string()], delay);
        assert_eq!(said.ready, Some(at), "kill {k}: the child did not start from generation {at}");
        let allowed = allowed(&said, at);
        // Reference bytes of every generation up to the last one begun.
        let mut refs = vec![(at, bytes.clone())];
        let index = vn_index::fuzzing::load_bytes(&bytes).unwrap();
        for g in at + 1..=*allowed.last().unwrap() {
            state::advance_index(&*index, g);
            refs.push((g, vn_index::fuzzing::encode(&*index).unwrap()));
        }
        let found = std::fs::read(&file).unwrap();
        let matched = refs.iter().find(|(_, b)| *b == found).map(|(g, _)| *g);
        let Some(g) = matched.filter(|g| allowed.contains(g)) else {
            panic!(
                "kill {k} (delay {delay:?}, seed {seed}): the file is at none of generations {allowed:?} \
                 (matches {matched:?}; {} bytes); the child said {said:?}",
                found.len()
            );
        };
        // The file loads, to the same bytes.
        let loaded = vn_index::load_index(&file).unwrap();
        assert_eq!(vn_index::fuzzing::encode(&*loaded).unwrap(), found);
        outcomes.count(&allowed, g);
        leftovers_seen += temp_files(&dir.0).len();
        at = g;
        bytes = found;
    }
    // The next save removes what the killed saves left.
    vn_index::load_index(&file).unwrap().save(&file).unwrap();
    assert_eq!(temp_files(&dir.0), Vec::<String>::new(), "temporary files survived the next save");
    let names: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["index.vnidx"], "files beside the index after the next save");
    println!(
        "kill during save ({kind}): {n} kills, final generation {at}; {} during a save ({} left the \
         old file, {} the new one); {leftovers_seen} temporary files seen after kills, 0 after the next save",
        outcomes.in_flight, outcomes.old_only, outcomes.new_only
    );
}

#[test]
fn sigkill_during_save_of_a_flat_index_leaves_old_or_new_and_no_leftovers() {
    kill_during_save("flat");
}

#[test]
fn sigkill_during_save_of_an_hnsw_index_leaves_old_or_new_and_no_leftovers() {
    kill_during_save("hnsw");
}

/// Checks that the store holds exactly generation `g`: every document of its batches as
/// added, none of the batch deleted last, every vector indexed and found by itself.
fn assert_store_at(s: &UnifiedSearchSystem, g: u64, context: &str) {
    let stats = s.stats().unwrap();
    let live = state::live_batches(g);
    let expected = if g == 0 { 0 } else { (live.end() - live.start() + 1) * state::DOCS };
    assert_eq!(stats.doc_count, expected, "{context}: documents");
    assert_eq!(stats.vector_count as u64, expected, "{context}: vectors");
    for b in live.clone().filter(|&b| b > 0) {
        for d in state::batch_docs(b) {
            let got = s.get(&d.id).unwrap();
            assert_eq!(got.as_ref(), Some(&d), "{context}: document {}", d.id);
            // The vector side holds this document's vector under its id (exact search).
            // (Under L2 the vector score is 1 / (1 + d): 1 at distance 0.)
            let hits = s.search(&Query { k: 1, ..Query::vector(d.vector.clone().unwrap()) }).unwrap();
            let hit = hits.first().map(|h| (h.id.as_str(), h.vector_score));
            assert_eq!(hit, Some((d.id.as_str(), Some(1.0))), "{context}: vector search for {}", d.id);
        }
    }
    if g >= 4 {
        for id in state::batch_ids(g - 3) {
            assert!(s.get(&id).unwrap().is_none(), "{context}: deleted document {id} is back");
        }
    }
}

/// The files of the vector directory besides the index, its manifest and the lock.
fn vector_dir_extras(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !["vectors.vnidx", "manifest.json", LOCK_FILE].contains(&n.as_str()))
        .collect();
    out.sort();
    out
}

/// Files of the text index that belong to no committed segment (nor to tantivy's bookkeeping).
fn text_dir_orphans(dir: &Path) -> Vec<String> {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    let segments: Vec<String> = meta["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["segment_id"].as_str().unwrap().replace('-', ""))
        .collect();
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !["meta.json", ".managed.json", ".tantivy-meta.lock", ".tantivy-writer.lock"].contains(&n.as_str()))
        .filter(|n| !segments.iter().any(|s| n.starts_with(s.as_str())))
        .collect();
    out.sort();
    out
}

#[test]
fn sigkill_during_commit_leaves_the_old_or_the_new_store_and_no_leftovers() {
    let dir = TempDir::new("kill-commit");
    let root: PathBuf = dir.0.clone();
    let seed = seed();
    let n = kills();
    println!("kill during commit: {n} kills, KILL_TEST_SEED={seed}");
    let mut rng = Rng(seed);
    let mut at = 0u64;
    let mut outcomes = Outcomes::default();
    let (mut repaired, mut temps_after_kill) = (0, 0);
    for k in 0..n {
        let delay = Duration::from_micros(rng.below(400_000));
        let said = run_and_kill(&["commit", root.to_str().unwrap()], delay);
        assert_eq!(said.ready, Some(at), "kill {k}: the child did not open generation {at}");
        let allowed = allowed(&said, at);
        temps_after_kill += temp_files(&root.join("vectors")).len();
        let s = UnifiedSearchSystem::open(state::store_options(&root)).unwrap();
        let g = s.generation();
        let context = format!("kill {k} (delay {delay:?}, seed {seed}; child said {said:?}; store at {g})");
        assert!(allowed.contains(&g), "{context}: expected generation {allowed:?}");
        assert_store_at(&s, g, &context);
        if s.open_report().repaired.is_some() {
            repaired += 1;
        }
        // The open removed what the killed commit left in the vector directory.
        assert_eq!(vector_dir_extras(&root.join("vectors")), Vec::<String>::new(), "{context}: leftovers after open");
        s.close().unwrap();
        outcomes.count(&allowed, g);
        at = g;
    }
    // The next commit collects the segment files killed commits left in the text index.
    let s = UnifiedSearchSystem::open(state::store_options(&root)).unwrap();
    s.add(&state::batch_docs(at + 1)).unwrap();
    if at + 1 > 3 {
        s.delete(&state::batch_ids(at + 1 - 3)).unwrap();
    }
    assert_eq!(s.commit().unwrap(), at + 1);
    assert_store_at(&s, at + 1, "after the next commit");
    s.close().unwrap();
    assert_eq!(vector_dir_extras(&root.join("vectors")), Vec::<String>::new(), "vector directory leftovers");
    assert_eq!(text_dir_orphans(&root.join("text")), Vec::<String>::new(), "text index leftovers");
    println!(
        "kill during commit: {n} kills, final generation {at}; {} during a commit ({} left the old \
         store, {} the new one); {repaired} opens repaired the vector side; {temps_after_kill} temporary \
         files seen after kills, 0 after the next open",
        outcomes.in_flight, outcomes.old_only, outcomes.new_only
    );
}

/// How the kills that hit a save or commit in flight ended: the old state or the new one.
#[derive(Default)]
struct Outcomes {
    in_flight: usize,
    old_only: usize,
    new_only: usize,
}

impl Outcomes {
    /// Counts a kill whose allowed generations were `allowed` (two while a write was in flight)
    /// and which left generation `g`.
    fn count(&mut self, allowed: &[u64], g: u64) {
        if allowed.len() == 2 {
            self.in_flight += 1;
            if g == allowed[0] {
                self.old_only += 1
            } else {
                self.new_only += 1
            }
        }
    }
}
