//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs`) and of their stable replay test
//! (`tests/fuzz_replay.rs`), and the program that makes their seed corpus from real stores.
//! Compiled only with the `fuzzing` feature; never part of the public API.
//!
//! Every body takes arbitrary bytes and panics only on a finding: a panic of the engine, a
//! damaged input reported with another code than `ERR_CORRUPT_INDEX` (or
//! `ERR_UNSUPPORTED_VERSION` for a newer vector file), or an accepted input the engine cannot
//! then use consistently.

use std::path::{Path, PathBuf};

use vn_index::{FileChecksum, HnswParams, VectorIndex};
use vn_text::fuzzing::TantivyDocument;

use crate::consistency::{self, Manifest, Payload};
use crate::{Document, HybridError, OpenOptions, UnifiedSearchSystem};

/// The fuzz targets, by name (the file names under `fuzz/fuzz_targets/`).
pub const TARGETS: [&str; 4] = ["vector_file", "manifest", "store_open", "payload"];

/// Runs target `name`'s body on `data`.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "vector_file" => vector_file(data),
        "manifest" => manifest(data),
        "store_open" => store_open(data),
        "payload" => payload(data),
        other => panic!("no fuzz target {other:?}"),
    }
}

/// The codes damaged input may get.
fn assert_damage(e: &HybridError, what: &str) {
    let code = e.code();
    assert!(
        code == "ERR_CORRUPT_INDEX" || code == "ERR_UNSUPPORTED_VERSION",
        "damaged {what} got {code} ({e}), not ERR_CORRUPT_INDEX"
    );
}

// ------------------------------------------------------------------ containers

/// Packs byte strings into one fuzz input: each is a little-endian `u32` length and its bytes.
pub fn pack(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// The parts [`pack`] packed (`None` if the framing does not add up, or there are more than
/// `max` parts).
pub fn unpack(mut data: &[u8], max: usize) -> Option<Vec<&[u8]>> {
    let mut parts = Vec::new();
    while !data.is_empty() {
        if parts.len() == max || data.len() < 4 {
            return None;
        }
        let len = u32::from_le_bytes(data[..4].try_into().expect("4 bytes")) as usize;
        data = &data[4..];
        if len > data.len() {
            return None;
        }
        parts.push(&data[..len]);
        data = &data[len..];
    }
    Some(parts)
}

// ------------------------------------------------------------------ (a) vector file

/// (a) A vector index file (flat or HNSW) loaded from bytes: [`vn_index`]'s body (first byte:
/// odd fixes up the trailing checksum so mutations reach the checks after it).
pub fn vector_file(data: &[u8]) {
    vn_index::fuzzing::vector_file(data)
}

// ------------------------------------------------------------------ (b) manifest

/// (b) The vector manifest, read and checked against a store's commit payload and a vector
/// file the way open does. Input: [`pack`] of (manifest.json, commit payload, vector file).
pub fn manifest(data: &[u8]) {
    let Some([manifest, payload, vector]) = unpack(data, 3).and_then(|p| <[&[u8]; 3]>::try_from(p).ok()) else {
        return;
    };
    let path = Path::new("fuzz-vectors/manifest.json");
    // A manifest that does not parse is a problem open reports, then rebuilds: not an error.
    let Ok(m) = consistency::parse_manifest(manifest, path) else { return };
    let Ok(payload) = std::str::from_utf8(payload) else { return };
    let payload = match Payload::decode(payload) {
        Ok(p) => p,
        Err(e) => return assert_damage(&e, "commit payload"),
    };
    let found = || {
        let len = vector.len();
        if len < 4 {
            return Err(format!("not a vector-native index file (only {len} bytes)"));
        }
        let crc32 = u32::from_le_bytes(vector[len - 4..].try_into().expect("4 bytes"));
        Ok(FileChecksum { len: len as u64, crc32 })
    };
    if consistency::vouch(&m, &payload, found).is_err() {
        return; // open rebuilds the vector side from the text index
    }
    // Vouched for: the manifest names exactly this file of exactly this store.
    assert_eq!(m.vector_file_len, vector.len() as u64, "a manifest vouched for a file of another length");
    if m.format >= 2 {
        let crc = u32::from_le_bytes(vector[vector.len() - 4..].try_into().expect("4 bytes"));
        assert_eq!(m.vector_file_crc32, crc, "a manifest vouched for a file with another checksum");
    }
    assert!(m.store_id == payload.store_id && m.dimensions == payload.dimensions);
    let index = match vn_index::fuzzing::load_bytes(vector) {
        Ok(index) => index,
        Err(e) => return assert_damage(&HybridError::Index(e), "vector file"),
    };
    if consistency::check_loaded(&*index, &payload).is_err() {
        return; // a foreign file: rebuilt
    }
    // What open writes next for it reads back the same.
    let written = consistency::manifest_for(&*index, &payload, m.doc_count, m.next_internal_id, found().expect("read"));
    let json = serde_json::to_vec_pretty(&written).expect("a manifest serializes");
    let again: Manifest = consistency::parse_manifest(&json, path).expect("a written manifest parses");
    assert_eq!(again, written);
}

// ------------------------------------------------------------------ (c) store open

/// File names in a text index directory that are not part of its state (locks).
fn is_lock(name: &str) -> bool {
    name.ends_with(".lock")
}

/// (c) A text index opened from its files with every check open makes, then read the way
/// [`UnifiedSearchSystem::open`] reads it: commit payload, document keys, and the stored
/// vectors a rebuild of the vector index adds. Input: [`pack`] of (name, bytes) pairs.
pub fn store_open(data: &[u8]) {
    let Some(parts) = unpack(data, 64) else { return };
    if parts.len() % 2 != 0 {
        return;
    }
    let mut files = Vec::with_capacity(parts.len() / 2);
    for pair in parts.chunks_exact(2) {
        let Ok(name) = std::str::from_utf8(pair[0]) else { return };
        // Plain names only: the in-memory directory would take paths as names.
        if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." || is_lock(name) {
            return;
        }
        files.push((PathBuf::from(name), pair[1].to_vec()));
    }
    if let Err(e) = read_store(&files) {
        assert_damage(&e, "text index");
    }
}

fn read_store(files: &[(PathBuf, Vec<u8>)]) -> crate::Result<()> {
    let text = vn_text::fuzzing::open_files(files, Path::new("fuzz-store"))?;
    let snapshot = text.snapshot()?;
    let payload = match text.committed_payload()? {
        Some(s) => Payload::decode(&s)?,
        None if snapshot.num_docs() > 0 => return Err(HybridError::Corrupt("documents but no commit".into())),
        None => return Ok(()),
    };
    let keys = snapshot.keys()?;
    assert_eq!(keys.len() as u64, snapshot.num_docs(), "keys and the document count disagree");
    let metric = payload.metric()?;
    let kind = payload.vector_index()?;
    let params = HnswParams { ef_construction: 16, ..HnswParams::default() };
    let index = consistency::new_vector_index(kind, payload.dimensions, metric, params)?;
    let (added, removed) =
        consistency::reconcile(&*index, &snapshot, &keys, payload.dimensions, payload.next_internal_id.max(1))?;
    assert_eq!(removed, 0, "an empty vector index had vectors to remove");
    assert_eq!(added, keys.iter().filter(|k| k.has_vector).count(), "not every stored vector was added");
    snapshot.search("energy", 5)?;
    if let Some(k) = keys.first() {
        let d = snapshot.get(&k.id)?.expect("a listed key is found");
        assert_eq!(d.internal_id, k.internal_id);
        Document::from_stored(d)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ (d) payload / documents

/// The stored fields of the text index, in the order the `payload` target's input names them.
const DOC_FIELDS: usize = 6;

/// (d) Decoding what the text index stores into the engine's types. First byte: 0 a commit
/// payload (JSON), 1 a stored document (a list of fields: field `u8`, type `u8` — 0 text, 1
/// bytes, 2 `u64`, 3 bool — and a [`pack`]ed value, repeated), 2 a stored vector's bytes.
pub fn payload(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => {
            let Ok(s) = std::str::from_utf8(rest) else { return };
            match Payload::decode(s) {
                Ok(p) => {
                    if let Err(e) = p.vector_index() {
                        assert_damage(&e, "commit payload");
                    }
                    let again = Payload::decode(&p.encode()).expect("an encoded payload decodes");
                    assert_eq!(again, p);
                }
                Err(e) => assert_damage(&e, "commit payload"),
            }
        }
        1 => {
            let Some(doc) = document(rest) else { return };
            let (_, fields) = vn_text::build_schema();
            match vn_text::fuzzing::stored(&fields, 7, &doc).map_err(HybridError::from) {
                Ok(stored) => {
                    if let Err(e) = Document::from_stored(stored) {
                        assert_damage(&e, "stored document");
                    }
                }
                Err(e) => assert_damage(&e, "stored document"),
            }
        }
        _ => {
            if let Some(v) = vn_text::decode_vector(rest) {
                assert_eq!(vn_text::encode_vector(&v), rest, "a decoded vector re-encodes differently");
            } else {
                assert!(rest.len() % 4 != 0, "a vector of {} bytes was refused", rest.len());
            }
        }
    }
}

/// A tantivy document from the `payload` target's field list (`None` if it does not parse).
fn document(mut data: &[u8]) -> Option<TantivyDocument> {
    let (_, f) = vn_text::build_schema();
    let fields = [f.id, f.text, f.vector, f.metadata, f.internal_id, f.has_vector];
    let mut doc = TantivyDocument::default();
    while !data.is_empty() {
        let (&field, rest) = data.split_first()?;
        let (&kind, rest) = rest.split_first()?;
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let value = rest.get(4..4 + len)?;
        data = &rest[4 + len..];
        let field = fields[field as usize % DOC_FIELDS];
        match kind % 4 {
            0 => doc.add_text(field, std::str::from_utf8(value).ok()?),
            1 => doc.add_bytes(field, value),
            2 => doc.add_u64(field, u64::from_le_bytes(value.get(..8)?.try_into().ok()?)),
            _ => doc.add_bool(field, value.first()? & 1 == 1),
        }
    }
    Some(doc)
}

/// One field of [`payload`]'s document format.
fn field(out: &mut Vec<u8>, field: u8, kind: u8, value: &[u8]) {
    out.extend_from_slice(&[field, kind]);
    out.extend_from_slice(&pack(&[value]));
}

// ------------------------------------------------------------------ seeds

/// The seed corpus: `(target, name, input)` made from real stores and index files that this
/// build writes in `scratch` (created, and emptied first). Deterministic up to the random
/// segment and store ids tantivy and the engine choose.
pub fn seeds(scratch: &Path) -> crate::Result<Vec<(&'static str, String, Vec<u8>)>> {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(|e| HybridError::io("creating the seed directory", e))?;
    let mut out = Vec::new();
    for (name, kind, metric) in [
        ("hnsw", vn_index::IndexKind::Hnsw, vn_index::Metric::Cosine),
        ("flat", vn_index::IndexKind::Flat, vn_index::Metric::L2),
    ] {
        let text_dir = scratch.join(name).join("text");
        let vec_dir = scratch.join(name).join("vectors");
        let mut o = OpenOptions::new(&text_dir, &vec_dir, 4);
        o.metric = metric;
        o.vector_index = Some(kind);
        o.hnsw = HnswParams { m: 4, ef_construction: 16, ef_search: 16, seed: 1 };
        let s = UnifiedSearchSystem::open(o)?;
        let docs = [
            Document::new("a", "solar energy panel").with_vector(vec![1.0, 0.0, 0.5, 0.0]),
            Document::new("b", "wind energy farm").with_metadata(r#"{"year":2024,"tags":["x"]}"#),
            Document::new("c", "river bridge").with_vector(vec![0.0, 2.0, 0.0, 1.0]).with_metadata("null"),
            Document::new("d", "doomed document"),
        ];
        s.add(&docs)?;
        s.commit()?;
        s.delete(&["d"])?;
        s.add(&[Document::new("e", "second segment energy").with_vector(vec![0.5, 0.5, 0.5, 0.5])])?;
        s.commit()?;
        s.close()?;
        let text = vn_text::TextIndex::open_or_create(&text_dir).map_err(HybridError::from)?.0;
        let payload = text.committed_payload()?.expect("a committed store has a payload");

        let read = |p: PathBuf| std::fs::read(&p).map_err(|e| HybridError::io(format!("reading {}", p.display()), e));
        let vector_file = read(vec_dir.join(consistency::VECTOR_FILE))?;
        let manifest_json = read(vec_dir.join(consistency::MANIFEST_FILE))?;
        for mode in [0u8, 1] {
            let mut input = vec![mode];
            input.extend_from_slice(&vector_file);
            out.push(("vector_file", format!("{name}-store-{mode}"), input));
        }
        out.push(("manifest", format!("{name}-store"), pack(&[&manifest_json, payload.as_bytes(), &vector_file])));

        let files =
            vn_text::fuzzing::read_files(&text_dir).map_err(|e| HybridError::io("reading the seed store", e))?;
        let mut parts: Vec<&[u8]> = Vec::new();
        for (file, bytes) in &files {
            let Some(n) = file.to_str() else { continue };
            if !is_lock(n) {
                parts.push(n.as_bytes());
                parts.push(bytes);
            }
        }
        out.push(("store_open", format!("{name}-store"), pack(&parts)));

        out.push(("payload", format!("{name}-commit"), [&[0u8][..], payload.as_bytes()].concat()));
        let snapshot = text.snapshot()?;
        for (i, k) in snapshot.keys()?.iter().enumerate() {
            let d = snapshot.get(&k.id)?.expect("listed");
            let mut input = vec![1u8];
            field(&mut input, 0, 0, d.id.as_bytes());
            field(&mut input, 1, 0, d.text.as_bytes());
            if let Some(v) = &d.vector {
                field(&mut input, 2, 1, &vn_text::encode_vector(v));
                let mut raw = vec![2u8];
                raw.extend_from_slice(&vn_text::encode_vector(v));
                out.push(("payload", format!("{name}-vector-{i}"), raw));
            }
            if let Some(m) = &d.metadata {
                field(&mut input, 3, 0, m.as_bytes());
            }
            field(&mut input, 4, 2, &d.internal_id.to_le_bytes());
            field(&mut input, 5, 3, &[u8::from(d.vector.is_some())]);
            out.push(("payload", format!("{name}-doc-{i}"), input));
        }
    }
    // Stand-alone index files: an HNSW index with deletions and more layers, a flat dot index.
    let hnsw = vn_index::HnswIndex::new(
        3,
        vn_index::Metric::L2,
        HnswParams { m: 2, ef_construction: 8, ef_search: 8, seed: 3 },
    )?;
    let ids: Vec<u64> = (0..24).collect();
    let vectors: Vec<f32> = (0..72).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
    hnsw.add(&ids, &vectors)?;
    hnsw.remove(&[3, 7, 11])?;
    let flat = vn_index::FlatIndex::new(2, vn_index::Metric::Dot)?;
    flat.add(&[9, 4, 1 << 40], &[0.5, -1.0, 2.0, 0.25, 0.0, 1.0])?;
    let empty = vn_index::HnswIndex::new(2, vn_index::Metric::Cosine, HnswParams::default())?;
    for (name, index) in [("hnsw-deleted", &hnsw as &dyn VectorIndex), ("flat-dot", &flat), ("hnsw-empty", &empty)] {
        let bytes = vn_index::fuzzing::encode(index)?;
        for mode in [0u8, 1] {
            out.push(("vector_file", format!("{name}-{mode}"), [&[mode][..], &bytes].concat()));
        }
    }
    let _ = std::fs::remove_dir_all(scratch);
    Ok(out)
}
