//! Durability and repair: uncommitted work never survives, simulated crashes and damaged or
//! foreign vector files are repaired from the text index and reported, the text index's own
//! damage is an error.

mod common;

use common::{corpus, ids, TempDir};
use vn_hybrid::{Document, Fault, Query, SearchMode, UnifiedSearchSystem};

const DIMS: usize = 16;

fn text_query(text: &str) -> Query {
    Query { mode: SearchMode::Text, k: 10, ..Query::text(text) }
}

fn vector_query(v: &[f32]) -> Query {
    Query { k: 1, ..Query::vector(v.to_vec()) }
}

/// Every document is found by its own vector, and by its rare word when it has one.
fn assert_all_findable(s: &UnifiedSearchSystem, docs: &[Document]) {
    for d in docs {
        let hits = s.search(&vector_query(d.vector.as_ref().unwrap())).unwrap();
        assert_eq!(hits[0].id, d.id, "vector of {}", d.id);
    }
}

#[test]
fn uncommitted_adds_are_invisible_and_gone_after_a_drop_without_commit() {
    let dir = TempDir::new("uncommitted");
    let docs = corpus(60, DIMS, true, 10);
    {
        let s = dir.open(DIMS);
        s.add(&docs[..30]).unwrap();
        s.commit().unwrap();
        let mut extra = docs[30..].to_vec();
        extra[0].text.push_str(" quokka");
        s.add(&extra).unwrap();
        s.delete(&["doc-0"]).unwrap();
        for q in [text_query("quokka"), Query::text("quokka"), vector_query(extra[0].vector.as_ref().unwrap())] {
            assert!(!ids(&s.search(&q).unwrap()).contains(&"doc-30"), "{q:?}");
        }
        assert_eq!(s.search(&vector_query(docs[0].vector.as_ref().unwrap())).unwrap()[0].id, "doc-0");
        assert_eq!(s.stats().unwrap().doc_count, 30);
        // Dropped without commit or close.
    }
    let s = dir.open(DIMS);
    let report = s.open_report().clone();
    assert_eq!(report.repaired, None, "{report:?}");
    assert!(report.problems.is_empty(), "{report:?}");
    assert_eq!((report.text_generation, report.vector_generation), (1, Some(1)));
    assert!(s.search(&text_query("quokka")).unwrap().is_empty());
    assert_eq!(s.stats().unwrap().doc_count, 30);
    assert_eq!(s.stats().unwrap().vector_count, 30);
    assert_all_findable(&s, &docs[..30]);
    // The ids of the lost batch are free again.
    s.add(&docs[30..]).unwrap();
    s.commit().unwrap();
    assert_all_findable(&s, &docs);
}

#[test]
fn crash_between_vector_save_and_text_commit_is_repaired_and_reported() {
    let dir = TempDir::new("crash-after-save");
    let docs = corpus(80, DIMS, true, 11);
    {
        let s = dir.open(DIMS);
        s.add(&docs[..50]).unwrap();
        s.commit().unwrap();
        s.add(&docs[50..]).unwrap(); // 30 adds
        s.delete(&["doc-1", "doc-2", "doc-3"]).unwrap(); // 3 deletes
        let err = s.commit_with_fault(Fault::AfterVectorSave).unwrap_err();
        assert_eq!(err.code(), "ERR_IO");
        assert_eq!(s.search(&Query::text("x")).unwrap_err().code(), "ERR_CLOSED");
    }
    let s = dir.open(DIMS);
    let report = s.open_report().clone();
    assert_eq!((report.text_generation, report.vector_generation), (1, Some(2)), "{report:?}");
    let repair = report.repaired.clone().expect("a repair");
    assert!(!repair.rebuilt);
    assert_eq!((repair.vectors_added, repair.vectors_removed), (3, 30), "{repair:?}");
    assert!(repair.reason.contains("generation 2") && repair.reason.contains("at 1"), "{}", repair.reason);
    assert!(!report.problems.is_empty());
    // The committed state (generation 1) is intact, in both legs.
    assert_eq!(s.stats().unwrap().doc_count, 50);
    assert_eq!(s.stats().unwrap().vector_count, 50);
    assert_all_findable(&s, &docs[..50]);
    for d in &docs[50..] {
        let hits = s.search(&vector_query(d.vector.as_ref().unwrap())).unwrap();
        assert_ne!(hits[0].id, d.id);
    }
    // The repair was saved: the next open is clean.
    s.close().unwrap();
    drop(s);
    let s = dir.open(DIMS);
    assert_eq!(s.open_report().repaired, None, "{:?}", s.open_report());
    assert_eq!(s.open_report().vector_generation, Some(1));
    s.add(&docs[50..]).unwrap();
    assert_eq!(s.commit().unwrap(), 2);
    assert_all_findable(&s, &docs);
}

#[test]
fn crash_between_vector_file_and_manifest_rebuilds_from_the_text_index() {
    let dir = TempDir::new("crash-after-file");
    let docs = corpus(40, DIMS, true, 12);
    {
        let s = dir.open(DIMS);
        s.add(&docs[..25]).unwrap();
        s.commit().unwrap();
        s.add(&docs[25..]).unwrap();
        s.commit_with_fault(Fault::AfterVectorFile).unwrap_err();
    }
    let s = dir.open(DIMS);
    let repair = s.open_report().repaired.clone().expect("a repair");
    assert!(repair.rebuilt, "{repair:?}");
    assert_eq!((repair.vectors_added, repair.vectors_removed), (25, 0));
    assert!(repair.reason.contains("does not match its manifest"), "{}", repair.reason);
    assert_eq!(s.stats().unwrap().vector_count, 25);
    assert_all_findable(&s, &docs[..25]);
}

#[test]
fn a_failed_text_commit_rolls_back_in_process() {
    let dir = TempDir::new("commit-error");
    let docs = corpus(40, DIMS, true, 13);
    let s = dir.open(DIMS);
    s.add(&docs[..20]).unwrap();
    s.commit().unwrap();
    s.add(&docs[20..]).unwrap();
    s.delete(&["doc-5"]).unwrap();
    let err = s.commit_with_fault(Fault::TextCommitError).unwrap_err();
    assert_eq!(err.code(), "ERR_IO");
    // Still open, at the last committed state, with nothing pending.
    let st = s.stats().unwrap();
    assert_eq!((st.doc_count, st.vector_count, st.pending_adds, st.pending_deletes, st.generation), (20, 20, 0, 0, 1));
    assert_all_findable(&s, &docs[..20]);
    assert!(!ids(&s.search(&Query::vector(docs[30].vector.clone().unwrap())).unwrap()).contains(&"doc-30"));
    // And it works on.
    s.add(&docs[20..]).unwrap();
    assert_eq!(s.commit().unwrap(), 2);
    assert_all_findable(&s, &docs);
    s.close().unwrap();
    let s = dir.open(DIMS);
    assert_eq!(s.open_report().repaired, None, "{:?}", s.open_report());
    assert_all_findable(&s, &docs);
}

fn committed_store(dir: &TempDir, docs: &[Document]) {
    let s = dir.open(DIMS);
    s.add(docs).unwrap();
    s.commit().unwrap();
    s.close().unwrap();
}

#[test]
fn a_deleted_vector_file_is_rebuilt_and_reported() {
    let dir = TempDir::new("deleted-file");
    let docs = corpus(50, DIMS, true, 14);
    committed_store(&dir, &docs);
    std::fs::remove_file(dir.vectors().join("vectors.vnidx")).unwrap();
    let s = dir.open(DIMS);
    let repair = s.open_report().repaired.clone().expect("a repair");
    assert!(repair.rebuilt);
    assert_eq!(repair.vectors_added, 50);
    assert!(repair.reason.contains("missing"), "{}", repair.reason);
    assert_all_findable(&s, &docs);
    s.close().unwrap();
    assert_eq!(dir.open(DIMS).open_report().repaired, None);
}

#[test]
fn a_corrupted_vector_file_is_rebuilt_and_reported() {
    let dir = TempDir::new("corrupt-file");
    let docs = corpus(50, DIMS, true, 15);
    committed_store(&dir, &docs);
    let path = dir.vectors().join("vectors.vnidx");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(&path, &bytes).unwrap();
    let s = dir.open(DIMS);
    let repair = s.open_report().repaired.clone().expect("a repair");
    assert!(repair.rebuilt);
    assert_eq!(repair.vectors_added, 50);
    assert_all_findable(&s, &docs);
}

#[test]
fn a_different_valid_vector_file_of_the_same_length_is_detected_and_rebuilt() {
    let dir = TempDir::new("swapped-file");
    let docs = corpus(30, DIMS, true, 23);
    committed_store(&dir, &docs);
    // Another valid file of exactly the same length: the first two stored vectors swapped,
    // the trailing CRC-32 recomputed. It loads fine; only the manifest can tell it apart.
    let path = dir.vectors().join("vectors.vnidx");
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    let vecs = bytes.windows(4).position(|w| w == b"VECS").unwrap() + 12; // tag, u64 length
    let row = DIMS * 4;
    let (first, second) = bytes[vecs..vecs + 2 * row].split_at_mut(row);
    first.swap_with_slice(second);
    let crc = crc32fast::hash(&bytes[..len - 4]);
    bytes[len - 4..].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(vn_index::load_index(&path).unwrap().len(), docs.len());

    let s = dir.open(DIMS);
    let repair = s.open_report().repaired.clone().expect("a repair");
    assert!(repair.rebuilt && repair.vectors_added == docs.len(), "{repair:?}");
    assert!(repair.reason.contains("does not match its manifest"), "{}", repair.reason);
    assert!(s.open_report().problems.contains(&repair.reason), "{:?}", s.open_report());
    assert_all_findable(&s, &docs);
}

#[test]
fn a_manifest_of_the_first_format_is_trusted_on_its_length_and_rewritten() {
    let dir = TempDir::new("manifest-v1");
    let docs = corpus(20, DIMS, true, 24);
    committed_store(&dir, &docs);
    let manifest = dir.vectors().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let checksum = m["vector_file_crc32"].clone();
    // What format 1 recorded: the CRC of the whole file, the same for every valid file.
    m["format"] = 1.into();
    m["vector_file_crc32"] = 0x2144_df1c_u32.into();
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();

    let s = dir.open(DIMS);
    assert_eq!(s.open_report().repaired, None);
    assert!(s.open_report().problems.is_empty(), "{:?}", s.open_report());
    assert_all_findable(&s, &docs);
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    assert_eq!((m["format"].clone(), m["vector_file_crc32"].clone()), (2.into(), checksum));
}

#[test]
fn a_damaged_or_missing_manifest_is_rebuilt_and_reported() {
    let dir = TempDir::new("manifest");
    let docs = corpus(30, DIMS, true, 16);
    committed_store(&dir, &docs);
    std::fs::write(dir.vectors().join("manifest.json"), b"{ truncated").unwrap();
    let s = dir.open(DIMS);
    assert!(s.open_report().repaired.as_ref().unwrap().rebuilt);
    assert_eq!(s.open_report().vector_generation, None);
    assert!(s.open_report().problems.iter().any(|p| p.contains("damaged")), "{:?}", s.open_report());
    assert_all_findable(&s, &docs);
    s.close().unwrap();
    std::fs::remove_file(dir.vectors().join("manifest.json")).unwrap();
    let s = dir.open(DIMS);
    assert!(s.open_report().repaired.as_ref().unwrap().rebuilt);
    assert_all_findable(&s, &docs);
}

#[test]
fn vector_files_of_another_store_are_not_trusted() {
    let a = TempDir::new("store-a");
    let b = TempDir::new("store-b");
    let docs_a = corpus(30, DIMS, true, 17);
    let docs_b = corpus(30, DIMS, true, 18); // the same ids, other vectors
    committed_store(&a, &docs_a);
    committed_store(&b, &docs_b);
    for f in ["vectors.vnidx", "manifest.json"] {
        std::fs::copy(b.vectors().join(f), a.vectors().join(f)).unwrap();
    }
    let s = a.open(DIMS);
    let repair = s.open_report().repaired.clone().expect("a repair");
    assert!(repair.rebuilt);
    assert!(repair.reason.contains("another store"), "{}", repair.reason);
    assert_all_findable(&s, &docs_a);
}

#[test]
fn temporary_files_of_killed_saves_are_removed_on_open_and_reported() {
    let dir = TempDir::new("stale-temps");
    let docs = corpus(20, DIMS, true, 22);
    committed_store(&dir, &docs);
    let dead = {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    };
    let stale = [
        format!(".vectors.vnidx.{dead}.0.tmp"),
        format!(".vectors.vnidx.{dead}.1.tmp"),
        format!(".manifest.json.{dead}.2.tmp"),
        format!(".vectors.vnidx.{}.{}.tmp", std::process::id(), u64::MAX), // an earlier process with our pid
        "manifest.json.tmp".to_string(),                                   // earlier versions' fixed name
    ];
    #[cfg(unix)]
    let live_writer = Some(format!(".vectors.vnidx.{}.0.tmp", std::os::unix::process::parent_id()));
    #[cfg(not(unix))]
    let live_writer: Option<String> = None;
    let kept: Vec<String> =
        ["notes.txt".to_string(), format!(".notes.txt.{dead}.0.tmp")].into_iter().chain(live_writer).collect();
    for name in stale.iter().chain(&kept) {
        std::fs::write(dir.vectors().join(name), vec![7u8; 4096]).unwrap();
    }

    let s = dir.open(DIMS);
    let report = s.open_report();
    assert_eq!(report.repaired, None, "{report:?}");
    assert!(report.problems.iter().any(|p| p == "removed 5 temporary files left by interrupted saves"), "{report:?}");
    let mut expected: Vec<String> = kept.clone();
    // The lock file of the open store is there too (it is never a temporary file).
    expected.extend(["manifest.json".to_string(), "vectors.vnidx".to_string(), vn_hybrid::LOCK_FILE.to_string()]);
    expected.sort();
    assert_eq!(common::entries(&dir.vectors()), expected);
    assert_all_findable(&s, &docs);
}

/// Found by the kill test (tests/kill.rs): a commit killed inside tantivy's atomic write of
/// meta.json leaves its temporary file (`.tmp` + six characters) in the text index, and before
/// the fix nothing ever removed it (4 files after 10 kills).
#[test]
fn temporary_files_of_killed_text_commits_are_removed_on_open_and_reported() {
    let dir = TempDir::new("stale-text-temps");
    let docs = corpus(20, DIMS, true, 23);
    committed_store(&dir, &docs);
    let meta = std::fs::read(dir.text().join("meta.json")).unwrap();
    let stale = [".tmpk1LL3d", ".tmp000000"];
    // Not tantivy's temporary files: another length, a directory.
    let kept = [".tmpabc", "notes.tmp"];
    for name in stale.iter().chain(&kept) {
        std::fs::write(dir.text().join(name), &meta).unwrap();
    }
    std::fs::create_dir(dir.text().join(".tmpdir123")).unwrap();

    let s = dir.open(DIMS);
    let report = s.open_report();
    assert_eq!(report.repaired, None, "{report:?}");
    assert!(
        report.problems.iter().any(|p| p == "removed 2 temporary files left by interrupted commits of the text index"),
        "{report:?}"
    );
    for name in stale {
        assert!(!dir.text().join(name).exists(), "{name} is still there");
    }
    for name in kept.iter().chain(&[".tmpdir123"]) {
        assert!(dir.text().join(name).exists(), "{name} was removed");
    }
    assert_all_findable(&s, &docs);
    s.close().unwrap();
    // Nothing left to remove: the next open reports nothing.
    let s = dir.open(DIMS);
    assert!(s.open_report().problems.is_empty(), "{:?}", s.open_report());
}

#[test]
fn a_missing_vector_directory_is_recreated_and_rebuilt() {
    let dir = TempDir::new("missing-dir");
    let docs = corpus(20, DIMS, true, 19);
    committed_store(&dir, &docs);
    std::fs::remove_dir_all(dir.vectors()).unwrap();
    let s = dir.open(DIMS);
    let repair = s.open_report().repaired.clone().expect("a repair");
    assert!(repair.rebuilt && repair.vectors_added == 20, "{repair:?}");
    assert!(!s.open_report().created);
    assert_all_findable(&s, &docs);
}

#[test]
fn a_damaged_text_index_is_an_error_not_a_repair() {
    let dir = TempDir::new("text-damage");
    committed_store(&dir, &corpus(20, DIMS, true, 20));
    std::fs::write(dir.text().join("meta.json"), b"garbage").unwrap();
    let err = UnifiedSearchSystem::open(dir.options(DIMS)).unwrap_err();
    assert_eq!(err.code(), "ERR_CORRUPT_INDEX", "{err}");

    // Segment files gone: also Corrupt.
    let dir = TempDir::new("text-missing-segment");
    committed_store(&dir, &corpus(20, DIMS, true, 21));
    for entry in std::fs::read_dir(dir.text()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "store") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let err = UnifiedSearchSystem::open(dir.options(DIMS)).unwrap_err();
    assert_eq!(err.code(), "ERR_CORRUPT_INDEX", "{err}");
}

#[test]
fn paths_that_cannot_hold_a_store_are_refused() {
    let dir = TempDir::new("paths");
    let file = dir.0.join("file");
    std::fs::write(&file, b"x").unwrap();
    let open = |t: std::path::PathBuf, v: std::path::PathBuf| {
        UnifiedSearchSystem::open(vn_hybrid::OpenOptions::new(t, v, DIMS)).unwrap_err()
    };
    let e = open(file.clone(), dir.vectors());
    assert_eq!(e.code(), "ERR_INVALID_ARGUMENT", "{e}");
    let e = open(dir.text(), file.clone());
    assert_eq!(e.code(), "ERR_INVALID_ARGUMENT", "{e}");
    let e = open(file.join("sub"), dir.vectors());
    assert_eq!(e.code(), "ERR_IO", "{e}");
    let e = open(dir.text(), dir.text());
    assert_eq!(e.code(), "ERR_INVALID_ARGUMENT", "{e}");
    let foreign = dir.0.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), b"mine").unwrap();
    let e = open(foreign, dir.vectors());
    assert_eq!(e.code(), "ERR_INVALID_ARGUMENT", "{e}");
    assert_eq!(
        UnifiedSearchSystem::open(vn_hybrid::OpenOptions::new(dir.text(), dir.vectors(), 0)).unwrap_err().code(),
        "ERR_INVALID_ARGUMENT"
    );
    // Nested new directories are created.
    let deep = dir.0.join("a").join("b");
    let s = UnifiedSearchSystem::open(vn_hybrid::OpenOptions::new(deep.join("t"), deep.join("v"), DIMS)).unwrap();
    assert!(s.open_report().created && s.open_report().repaired.is_none());
}

#[test]
fn a_vector_db_shared_by_two_open_stores_is_refused() {
    let dir = TempDir::new("shared-vectors");
    let docs = corpus(10, DIMS, true, 30);
    let first = dir.open(DIMS);
    first.add(&docs).unwrap();
    first.commit().unwrap();
    // Another text index, the same vector directory: refused while the first is open.
    let other_text = dir.0.join("other-text");
    let err = UnifiedSearchSystem::open(vn_hybrid::OpenOptions::new(&other_text, dir.vectors(), DIMS)).unwrap_err();
    assert_eq!(err.code(), "ERR_LOCKED", "{err}");
    assert!(err.to_string().contains(&*dir.vectors().to_string_lossy()), "{err}");
    // The first store's vector index was not touched: it reopens without a repair.
    first.close().unwrap();
    let again = dir.open(DIMS);
    assert!(again.open_report().repaired.is_none(), "{:?}", again.open_report());
    assert_all_findable(&again, &docs);
    // A closed store's lock is gone (the file stays; the OS lock is what counts).
    drop(again);
    assert!(dir.vectors().join(vn_hybrid::LOCK_FILE).exists());
    dir.open(DIMS);
}
