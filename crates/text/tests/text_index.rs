//! Behaviour of the text index: BM25 ranking, Unicode, visibility of commits, deletes,
//! payloads, reads, and refusing paths that cannot hold an index.

use std::path::PathBuf;

use vn_text::{TextDoc, TextIndex};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("vn-text-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn doc<'a>(id: &'a str, internal_id: u64, text: &'a str) -> TextDoc<'a> {
    TextDoc { id, internal_id, text, vector: None, metadata: None }
}

const CORPUS: [(&str, &str); 6] = [
    ("d0", "the cat sat on the mat"),
    ("d1", "the dog chased the cat around the garden"),
    ("d2", "a quiet garden with roses and a fountain"),
    ("d3", "photovoltaic subsidies for rooftop solar in the garden"),
    ("d4", "the dog and the cat are friends"),
    ("d5", "Die Überraschung kam aus 東京 und Zürich"),
];

fn filled(dir: &TempDir) -> TextIndex {
    let (index, created) = TextIndex::open_or_create(&dir.0).unwrap();
    assert!(created);
    let mut w = index.writer(20_000_000).unwrap();
    for (i, (id, text)) in CORPUS.iter().enumerate() {
        w.add(&doc(id, i as u64 * 10, text)).unwrap();
    }
    w.commit("g1").unwrap();
    index.reload().unwrap();
    index
}

#[test]
fn rare_term_ranks_its_document_first() {
    let dir = TempDir::new("rare");
    let index = filled(&dir);
    let s = index.snapshot().unwrap();
    let hits = s.search("garden photovoltaic", 3).unwrap();
    assert_eq!(hits[0].id, "d3", "{hits:?}");
    assert_eq!(hits[0].internal_id, 30);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    // Repeated query words count once; case and punctuation do not matter.
    let again = s.search("PHOTOVOLTAIC, photovoltaic garden!", 3).unwrap();
    assert_eq!(again.iter().map(|h| &h.id).collect::<Vec<_>>(), hits.iter().map(|h| &h.id).collect::<Vec<_>>());
    assert!(s.search("nothing-matches-this", 3).unwrap().is_empty());
    assert!(s.search(" ... ", 3).unwrap().is_empty());
    assert_eq!(s.search("cat", 0).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
}

#[test]
fn scored_hits_and_their_ids_are_the_hits_of_search() {
    let dir = TempDir::new("scored");
    let index = filled(&dir);
    let snap = index.snapshot().unwrap();
    for query in ["the cat", "garden", "dog cat garden roses", "zürich"] {
        let hits = snap.search(query, 10).unwrap();
        let scored = snap.search_scored(query, 10).unwrap();
        assert_eq!(scored.len(), hits.len(), "{query}");
        for (s, h) in scored.iter().zip(&hits) {
            assert_eq!((s.internal_id, s.score), (h.internal_id, h.score), "{query}");
            // `filled` gave document i the engine id 10·i.
            assert_eq!(h.id, CORPUS[(h.internal_id / 10) as usize].0, "{query}");
        }
        // Ids of any subset, in the order asked: here reversed.
        let reversed: Vec<_> = scored.iter().rev().copied().collect();
        let ids = snap.ids_of(&reversed).unwrap();
        let want: Vec<&str> = hits.iter().rev().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, want, "{query}");
    }
    assert!(snap.ids_of(&[]).unwrap().is_empty());
}

#[test]
fn unicode_words_are_findable() {
    let dir = TempDir::new("unicode");
    let index = filled(&dir);
    let s = index.snapshot().unwrap();
    for q in ["Überraschung", "überraschung", "東京", "zürich"] {
        let hits = s.search(q, 5).unwrap();
        assert_eq!(hits.len(), 1, "{q}: {hits:?}");
        assert_eq!(hits[0].id, "d5");
    }
}

#[test]
fn uncommitted_writes_are_invisible_and_rollback_discards_them() {
    let dir = TempDir::new("visibility");
    let index = filled(&dir);
    let mut w = index.writer(20_000_000).unwrap();
    w.add(&doc("new", 100, "zebra crossing")).unwrap();
    w.delete(30);
    index.reload().unwrap();
    let s = index.snapshot().unwrap();
    assert!(s.search("zebra", 5).unwrap().is_empty());
    assert_eq!(s.search("photovoltaic", 5).unwrap().len(), 1);
    w.rollback().unwrap();
    w.commit("g2").unwrap();
    index.reload().unwrap();
    let s2 = index.snapshot().unwrap();
    assert!(s2.search("zebra", 5).unwrap().is_empty());
    assert_eq!(s2.num_docs(), CORPUS.len() as u64);

    // A snapshot keeps its state across later commits.
    w.delete(30);
    w.commit("g3").unwrap();
    index.reload().unwrap();
    assert_eq!(s2.search("photovoltaic", 5).unwrap().len(), 1);
    assert!(index.snapshot().unwrap().search("photovoltaic", 5).unwrap().is_empty());
    assert_eq!(index.committed_payload().unwrap().as_deref(), Some("g3"));
}

#[test]
fn delete_then_readd_same_id_keeps_the_new_document() {
    let dir = TempDir::new("readd");
    let index = filled(&dir);
    let mut w = index.writer(20_000_000).unwrap();
    w.delete(30);
    w.add(&doc("d3", 99, "replacement about tidal energy")).unwrap();
    w.commit("g2").unwrap();
    index.reload().unwrap();
    let s = index.snapshot().unwrap();
    assert!(s.search("photovoltaic", 5).unwrap().is_empty());
    assert_eq!(s.search("tidal", 5).unwrap()[0].internal_id, 99);
    assert_eq!(s.get("d3").unwrap().unwrap().internal_id, 99);
    assert!(s.get_by_internal_id(30).unwrap().is_none());
}

#[test]
fn reopen_keeps_documents_vectors_metadata_and_payload() {
    let dir = TempDir::new("reopen");
    {
        let (index, _) = TextIndex::open_or_create(&dir.0).unwrap();
        let mut w = index.writer(20_000_000).unwrap();
        w.add(&TextDoc {
            id: "v",
            internal_id: 7,
            text: "vector carrying document",
            vector: Some(&[0.25, -1.5, 3.0]),
            metadata: Some(r#"{"lang":"en"}"#),
        })
        .unwrap();
        w.add(&doc("t", 8, "text only document")).unwrap();
        w.commit(r#"{"generation":1}"#).unwrap();
        w.finish().unwrap();
    }
    let (index, created) = TextIndex::open_or_create(&dir.0).unwrap();
    assert!(!created);
    assert_eq!(index.committed_payload().unwrap().as_deref(), Some(r#"{"generation":1}"#));
    let s = index.snapshot().unwrap();
    let v = s.get("v").unwrap().unwrap();
    assert_eq!(v.vector, Some(vec![0.25, -1.5, 3.0]));
    assert_eq!(v.metadata.as_deref(), Some(r#"{"lang":"en"}"#));
    assert_eq!(v.text, "vector carrying document");
    let mut keys = s.keys().unwrap();
    keys.sort_by_key(|k| k.internal_id);
    assert_eq!(
        keys.iter().map(|k| (k.id.as_str(), k.internal_id, k.has_vector)).collect::<Vec<_>>(),
        [("v", 7, true), ("t", 8, false)]
    );
    let mut seen = Vec::new();
    s.for_each_stored(
        |_, has_vector| has_vector,
        |d| {
            seen.push(d.id);
            Ok::<(), vn_text::TextError>(())
        },
    )
    .unwrap();
    assert_eq!(seen, ["v"]);
    assert!(index.size_on_disk().unwrap() > 0);
}

#[test]
fn second_writer_is_refused_while_the_first_lives() {
    let dir = TempDir::new("lock");
    let (index, _) = TextIndex::open_or_create(&dir.0).unwrap();
    let w = index.writer(20_000_000).unwrap();
    let err = index.writer(20_000_000).unwrap_err();
    assert_eq!(err.code(), "ERR_LOCKED");
    assert!(err.to_string().contains("locked"), "{err}");
    w.finish().unwrap();
    index.writer(20_000_000).unwrap();
    assert_eq!(index.writer(1000).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
}

#[test]
fn paths_that_cannot_hold_an_index_are_refused() {
    let dir = TempDir::new("paths");
    std::fs::create_dir_all(&dir.0).unwrap();
    // A file where a directory is expected.
    let file = dir.0.join("a-file");
    std::fs::write(&file, b"hello").unwrap();
    let err = TextIndex::open_or_create(&file).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_ARGUMENT");
    assert!(err.to_string().contains("is a file"), "{err}");
    // A non-empty directory that is not an index: nothing is written into it.
    let foreign = dir.0.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), b"mine").unwrap();
    let err = TextIndex::open_or_create(&foreign).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_ARGUMENT");
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
    // A directory below a file cannot be created.
    let err = TextIndex::open_or_create(&file.join("sub")).unwrap_err();
    assert_eq!(err.code(), "ERR_IO", "{err}");
    // A damaged meta.json.
    let broken = dir.0.join("broken");
    drop(TextIndex::open_or_create(&broken).unwrap());
    std::fs::write(broken.join("meta.json"), b"{ not json").unwrap();
    let err = TextIndex::open_or_create(&broken).unwrap_err();
    assert_eq!(err.code(), "ERR_CORRUPT_INDEX", "{err}");
}
