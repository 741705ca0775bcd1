//! A store whose text index holds what no commit writes (a damaged commit payload, stored
//! vectors the vector index refuses, stored metadata that is not JSON) fails with
//! `ERR_CORRUPT_INDEX`, never with `ERR_INVALID_ARGUMENT` as if the caller had erred.

mod common;

use common::TempDir;
use vn_hybrid::{Metric, OpenOptions, UnifiedSearchSystem};
use vn_text::{TextDoc, TextIndex};

const DIMS: usize = 4;

/// Writes a text index as a commit would, but with `docs` and `payload` as given.
fn hand_written_store(dir: &TempDir, docs: &[TextDoc<'_>], payload: &str) {
    let (text, _) = TextIndex::open_or_create(&dir.text()).unwrap();
    let mut w = text.writer(20_000_000).unwrap();
    for d in docs {
        w.add(d).unwrap();
    }
    w.commit(payload).unwrap();
    w.finish().unwrap();
}

fn payload(dimensions: usize, next_internal_id: u64) -> String {
    format!(
        r#"{{"format":1,"store_id":"hand","generation":1,"dimensions":{dimensions},"metric":"l2","next_internal_id":{next_internal_id}}}"#
    )
}

fn open(dir: &TempDir) -> vn_hybrid::Result<UnifiedSearchSystem> {
    UnifiedSearchSystem::open(OpenOptions { metric: Metric::L2, ..dir.options(DIMS) })
}

fn doc<'a>(id: &'a str, internal_id: u64, vector: Option<&'a [f32]>, metadata: Option<&'a str>) -> TextDoc<'a> {
    TextDoc { id, internal_id, text: "some words", vector, metadata }
}

#[test]
fn the_hand_written_store_opens_when_nothing_is_wrong() {
    let dir = TempDir::new("damage-baseline");
    hand_written_store(&dir, &[doc("a", 0, Some(&[1.0, 2.0, 3.0, 4.0]), Some("{\"k\":1}"))], &payload(DIMS, 1));
    let s = open(&dir).unwrap();
    assert_eq!(s.open_report().repaired.as_ref().map(|r| r.vectors_added), Some(1));
    assert_eq!(s.get("a").unwrap().unwrap().metadata.as_deref(), Some("{\"k\":1}"));
}

#[test]
fn a_damaged_commit_payload_is_corrupt() {
    for (what, p) in [
        ("zero dimensions", payload(0, 1)),
        ("too many dimensions", payload(70_000, 1)),
        ("format 0", payload(DIMS, 1).replace("\"format\":1", "\"format\":0")),
        ("an empty store id", payload(DIMS, 1).replace("hand", "")),
        ("an unknown metric", payload(DIMS, 1).replace("l2", "l3")),
    ] {
        let dir = TempDir::new("damage-payload");
        hand_written_store(&dir, &[doc("a", 0, Some(&[1.0, 2.0, 3.0, 4.0]), None)], &p);
        let e = open(&dir).unwrap_err();
        assert_eq!(e.code(), "ERR_CORRUPT_INDEX", "{what}: {e}");
    }
}

#[test]
fn stored_vectors_the_index_refuses_are_corrupt() {
    let dir = TempDir::new("damage-nan");
    let nan = [1.0, f32::NAN, 0.0, 0.0];
    hand_written_store(
        &dir,
        &[doc("a", 0, Some(&[1.0, 2.0, 3.0, 4.0]), None), doc("b", 1, Some(&nan), None)],
        &payload(DIMS, 2),
    );
    let e = open(&dir).unwrap_err();
    assert_eq!(e.code(), "ERR_CORRUPT_INDEX", "{e}");
    assert!(e.to_string().contains("stored vectors"), "{e}");
}

#[test]
fn stored_metadata_that_is_not_json_is_corrupt() {
    let dir = TempDir::new("damage-metadata");
    hand_written_store(&dir, &[doc("a", 0, Some(&[1.0, 2.0, 3.0, 4.0]), Some("{not json"))], &payload(DIMS, 1));
    let s = open(&dir).unwrap();
    let e = s.get("a").unwrap_err();
    assert_eq!(e.code(), "ERR_CORRUPT_INDEX", "{e}");
    assert!(e.to_string().contains("\"a\""), "{e}");
}
