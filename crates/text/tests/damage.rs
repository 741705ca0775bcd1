//! A damaged text index never crashes the process and never answers differently without
//! saying so: after one flipped bit, a truncation or an edit of `meta.json`, opening and reading
//! the index either fails with `ERR_CORRUPT_INDEX` or gives exactly the undamaged answers.
//!
//! Before segment checksums were verified on open, such damage aborted the process (a `.store`
//! block length read as a 550 GB allocation; a damaged document count reserved in `keys`),
//! panicked inside tantivy, or opened and answered wrongly.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use vn_text::{DocKey, StoredDoc, TextDoc, TextHit, TextIndex};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("vn-text-damage-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// splitmix64: deterministic positions and texts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: [&str; 16] = [
    "solar", "wind", "grid", "battery", "river", "forest", "city", "train", "music", "film", "garden", "bread",
    "harbor", "bridge", "novel", "market",
];
const DOCS: usize = 400;
const DIMS: usize = 4;

fn id(i: usize) -> String {
    format!("doc-{i}")
}

/// Two segments (the second commit also deletes from the first, so a `.del` file exists), with
/// vectors and metadata in the document store.
fn build(dir: &Path) {
    let (index, created) = TextIndex::open_or_create(dir).unwrap();
    assert!(created);
    let mut w = index.writer(20_000_000).unwrap();
    let mut rng = Rng(7);
    let mut add = |w: &mut vn_text::TextWriter, i: usize| {
        let text: Vec<&str> = (0..6).map(|_| WORDS[rng.below(WORDS.len())]).collect();
        let vector: Vec<f32> = (0..DIMS).map(|d| (i * DIMS + d) as f32).collect();
        let metadata = format!("{{\"n\":{i}}}");
        w.add(&TextDoc {
            id: &id(i),
            internal_id: i as u64,
            text: &text.join(" "),
            vector: Some(&vector),
            metadata: Some(&metadata),
        })
        .unwrap();
    };
    for i in 0..DOCS / 2 {
        add(&mut w, i);
    }
    w.commit("g1").unwrap();
    for i in (0..DOCS / 2).step_by(7) {
        w.delete(i as u64);
    }
    for i in DOCS / 2..DOCS {
        add(&mut w, i);
    }
    w.commit("g2").unwrap();
    w.finish().unwrap();
}

/// Everything a reader can get out of the index.
#[derive(Debug, PartialEq)]
struct Answers {
    keys: Vec<DocKey>,
    hits: Vec<Vec<TextHit>>,
    docs: Vec<Option<StoredDoc>>,
}

fn answers(index: &TextIndex) -> vn_text::Result<Answers> {
    let snapshot = index.snapshot()?;
    let mut keys = snapshot.keys()?;
    keys.sort_by_key(|k| k.internal_id);
    let hits = ["solar grid", "river", "bread market film", "harbor"]
        .iter()
        .map(|q| snapshot.search(q, 20))
        .collect::<vn_text::Result<_>>()?;
    let docs = (0..DOCS).map(|i| snapshot.get(&id(i))).collect::<vn_text::Result<_>>()?;
    let mut stored = 0;
    snapshot.for_each_stored::<vn_text::TextError>(
        |_, _| true,
        |_| {
            stored += 1;
            Ok(())
        },
    )?;
    assert_eq!(stored as u64, snapshot.num_docs());
    Ok(Answers { keys, hits, docs })
}

/// How one damaged copy behaved.
enum Outcome {
    Refused(String),
    SameAnswers,
}

fn open_and_read(dir: &Path, baseline: &Answers) -> Result<Outcome, String> {
    let run = catch_unwind(AssertUnwindSafe(|| {
        let (index, created) = TextIndex::open_or_create(dir)?;
        assert!(!created);
        answers(&index)
    }));
    match run {
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }
        Ok(Err(e)) if e.code() == "ERR_CORRUPT_INDEX" => Ok(Outcome::Refused(e.to_string())),
        Ok(Err(e)) => Err(format!("failed with {} instead of ERR_CORRUPT_INDEX: {e}", e.code())),
        Ok(Ok(a)) if a == *baseline => Ok(Outcome::SameAnswers),
        Ok(Ok(_)) => Err("opened and answered differently, without an error".into()),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Segment files of the template (everything but tantivy's bookkeeping and meta.json).
fn segment_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.') && name != "meta.json")
        .collect();
    files.sort();
    files
}

/// `DAMAGE_ONLY=<text>` runs only the cases whose name contains it (e.g. `.fast`, `meta.json`):
/// on a build without the checks, the cases that abort the process hide the ones that answer
/// wrongly unless they are run apart.
fn selected(case: &str) -> bool {
    std::env::var("DAMAGE_ONLY").map_or(true, |only| case.contains(&only))
}

/// Runs `damage` on a fresh copy of `template` and checks what open and reads do.
fn check(template: &Path, work: &Path, baseline: &Answers, case: &str, damage: impl FnOnce(&Path), tally: &mut Tally) {
    if !selected(case) {
        return;
    }
    copy_dir(template, work);
    damage(work);
    match open_and_read(work, baseline) {
        Ok(Outcome::Refused(message)) => tally.refused.push((case.to_string(), message)),
        Ok(Outcome::SameAnswers) => tally.same += 1,
        Err(problem) => tally.failures.push(format!("{case}: {problem}")),
    }
}

#[derive(Default)]
struct Tally {
    refused: Vec<(String, String)>,
    same: usize,
    failures: Vec<String>,
}

#[test]
fn flipped_bits_truncations_and_meta_edits_are_refused_or_harmless() {
    let root = TempDir::new("flips");
    let template = root.0.join("template");
    build(&template);
    let baseline = answers(&TextIndex::open_or_create(&template).unwrap().0).unwrap();
    assert_eq!(baseline.keys.len(), DOCS - (DOCS / 2).div_ceil(7));
    let work = root.0.join("work");
    let files = segment_files(&template);
    for ext in ["idx", "pos", "term", "store", "fast", "fieldnorm", "del"] {
        assert!(files.iter().any(|f| f.ends_with(&format!(".{ext}"))), "no .{ext} file in {files:?}");
    }

    // Quiet the expected panics of a build without the checks; failures are listed below.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut tally = Tally::default();
    let mut rng = Rng(2024);
    for file in &files {
        let len = std::fs::metadata(template.join(file)).unwrap().len() as usize;
        // Seeded positions all over the file, plus the footer (tantivy's CRC and version) at the end.
        let mut positions: Vec<usize> = (0..24).map(|_| rng.below(len)).collect();
        positions.extend((1..=12).map(|back| len.saturating_sub(back * 3)));
        for pos in positions {
            let bit = 1u8 << rng.below(8);
            let case = format!("{file}: bit {bit:#04x} of byte {pos} of {len}");
            check(&template, &work, &baseline, &case, |dir| flip(&dir.join(file), pos, bit), &mut tally);
        }
        let case = format!("{file}: truncated to {} of {len} bytes", len / 2);
        check(&template, &work, &baseline, &case, |dir| truncate(&dir.join(file), len / 2), &mut tally);
        let case = format!("{file}: deleted");
        check(&template, &work, &baseline, &case, |dir| std::fs::remove_file(dir.join(file)).unwrap(), &mut tally);
    }
    for (what, edit) in meta_edits() {
        check(&template, &work, &baseline, &format!("meta.json: {what}"), edit, &mut tally);
    }
    std::panic::set_hook(hook);

    assert!(
        tally.failures.is_empty(),
        "{} of the damaged copies misbehaved:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    // Every damage of a segment file's bytes is caught by its checksum, and the message names the file.
    for (case, message) in &tally.refused {
        if let Some(file) = case.split(':').next().filter(|f| *f != "meta.json") {
            assert!(message.contains(file), "{case}: the error does not name the file: {message}");
        }
    }
    for (what, _) in meta_edits() {
        let case = format!("meta.json: {what}");
        assert!(!selected(&case) || tally.refused.iter().any(|(c, _)| *c == case), "{case} was not refused");
    }
    eprintln!("{} damaged copies refused, {} harmless (same answers)", tally.refused.len(), tally.same);
}

type Edit = Box<dyn Fn(&Path)>;

/// Edits of the document counts meta.json records for the segments.
fn meta_edits() -> Vec<(String, Edit)> {
    let mut edits: Vec<(String, Edit)> = Vec::new();
    for segment in 0..2 {
        for (name, change) in [("+1", 1i64), ("-1", -1), ("+1000", 1000), ("to 4294967295", i64::MAX)] {
            edits.push((
                format!("max_doc of segment {segment} {name}"),
                Box::new(move |dir: &Path| edit_meta(dir, segment, "max_doc", change)),
            ));
        }
    }
    // The first segment has deletes.
    for (name, change) in [("+1", 1i64), ("-1", -1)] {
        edits.push((
            format!("num_deleted_docs of segment 0 {name}"),
            Box::new(move |dir: &Path| edit_meta(dir, 0, "num_deleted_docs", change)),
        ));
    }
    edits
}

/// Changes the `field` of segment `segment` in meta.json by `change` (`i64::MAX`: to u32::MAX).
fn edit_meta(dir: &Path, segment: usize, field: &str, change: i64) {
    let path = dir.join("meta.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let segments = meta["segments"].as_array_mut().unwrap();
    // Segments in meta.json are not in creation order: sort them by max_doc (the first has
    // DOCS / 2 documents and the deletes, the second DOCS / 2 without).
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by_key(|&i| (segments[i]["deletes"].is_null(), segments[i]["segment_id"].as_str().unwrap().to_string()));
    let target = &mut segments[order[segment]];
    let slot = if field == "num_deleted_docs" { &mut target["deletes"][field] } else { &mut target[field] };
    let old = slot.as_i64().unwrap();
    *slot = serde_json::json!(if change == i64::MAX { i64::from(u32::MAX) } else { old + change });
    std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
}

fn flip(path: &Path, pos: usize, bit: u8) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[pos] ^= bit;
    std::fs::write(path, bytes).unwrap();
}

fn truncate(path: &Path, len: usize) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..len]).unwrap();
}

/// Found by the `store_open` fuzz target (fuzz/, docs/benchmarks/fuzz.md): a meta.json whose
/// schema names a field twice made tantivy panic ("Field already exists in schema") while
/// opening; it is damage (`Corrupt`), and nothing panics.
#[test]
fn a_schema_naming_a_field_twice_is_corrupt_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("vn-text-dup-field-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    build(&dir);
    let path = dir.join("meta.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let schema = meta["schema"].as_array_mut().unwrap();
    let text = schema.iter().find(|f| f["name"] == "text").unwrap().clone();
    schema.push(text);
    let bytes = serde_json::to_vec(&meta).unwrap();
    // Whole, and cut short after the schema (keys are sorted: "segments" comes last), as the
    // fuzz target's input was: tantivy meets the duplicate before the end of the JSON.
    for (bytes, expected) in
        [(&bytes[..], "names the field \"text\" twice"), (&bytes[..bytes.len() - 3], "is not JSON")]
    {
        std::fs::write(&path, bytes).unwrap();
        let result = catch_unwind(AssertUnwindSafe(|| TextIndex::open_or_create(&dir).map(|_| ())));
        match result {
            Ok(Err(e)) => {
                assert_eq!(e.code(), "ERR_CORRUPT_INDEX", "{e}");
                assert!(e.to_string().contains(expected), "{e}");
            }
            Ok(Ok(())) => panic!("a schema with a duplicate field opened"),
            Err(_) => panic!("opening a schema with a duplicate field panicked"),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
