//! Keeping the two stores in step: the text index's commit payload, the vector side's
//! manifest, and the repair of the vector index from the text index (the source of truth).
//!
//! # On disk
//!
//! * `text_index_path/`: the tantivy index. Each commit carries a JSON payload: store id,
//!   generation, dimensions, metric, next internal id. Every document stores its vector.
//! * `vector_db_path/vectors.vnidx`: the HNSW index (`vn-index`'s checksummed file, written
//!   atomically).
//! * `vector_db_path/manifest.json`: written atomically after the vector file: store id,
//!   generation, dimensions, metric, counts, and the vector file's length and CRC-32, which
//!   bind the manifest to exactly that file.
//!
//! A commit writes the vector file, then the manifest (generation `g + 1`), then commits the
//! text index with payload generation `g + 1`. A crash leaves one of:
//!
//! | crash after            | on open                                   | repair                     |
//! |------------------------|-------------------------------------------|----------------------------|
//! | nothing written        | both at `g`                               | none                       |
//! | the vector file        | manifest does not match the file          | rebuild from the text index |
//! | the manifest           | vector side at `g + 1`, text at `g`       | incremental: drop the ids the text index lacks, re-add the vectors it has |
//! | the text commit        | both at `g + 1`                           | none                       |
//!
//! A missing, unreadable or foreign vector file (another store id, other dimensions or
//! metric) is rebuilt from the text index. Repairs are saved at once and reported in
//! [`OpenReport`]; nothing is dropped silently.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use vn_index::{HnswIndex, HnswParams, Metric, VectorIndex};
use vn_text::{DocKey, TextSnapshot};

use crate::{HybridError, Result};

/// The vector index's file name inside `vector_db_path`.
pub const VECTOR_FILE: &str = "vectors.vnidx";
/// The manifest's file name inside `vector_db_path`.
pub const MANIFEST_FILE: &str = "manifest.json";
const FORMAT: u32 = 1;
/// Vectors added to an index per batch while repairing (bounds the memory of one batch).
const REPAIR_BATCH: usize = 4096;

/// What [`UnifiedSearchSystem::open`](crate::UnifiedSearchSystem::open) found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Whether the store was created (the text index did not exist).
    pub created: bool,
    /// The text index's committed generation (0 for a new store).
    pub text_generation: u64,
    /// The generation the vector manifest recorded, `None` when it was missing or unreadable.
    pub vector_generation: Option<u64>,
    /// What was repaired, if anything.
    pub repaired: Option<RepairReport>,
    /// Everything odd that was noticed, in words (also when it was repaired).
    pub problems: Vec<String>,
}

/// A repair of the vector index from the text index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    /// Vectors (re-)added from the text index's stored vectors.
    pub vectors_added: usize,
    /// Vectors removed because the text index does not hold their documents.
    pub vectors_removed: usize,
    /// Whether the vector index was rebuilt from scratch (its file was missing, damaged or
    /// foreign) rather than patched.
    pub rebuilt: bool,
    /// Why, in words.
    pub reason: String,
}

/// The text index's commit payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub format: u32,
    pub store_id: String,
    pub generation: u64,
    pub dimensions: usize,
    pub metric: String,
    pub next_internal_id: u64,
}

impl Payload {
    pub fn new(store_id: String, generation: u64, dimensions: usize, metric: Metric, next_internal_id: u64) -> Self {
        Payload { format: FORMAT, store_id, generation, dimensions, metric: metric.as_str().into(), next_internal_id }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a payload always serializes")
    }

    pub fn decode(s: &str) -> Result<Payload> {
        let p: Payload = serde_json::from_str(s).map_err(|e| {
            HybridError::Corrupt(format!("the text index's commit payload is not a vn-hybrid payload ({e}): {s:?}"))
        })?;
        if p.format > FORMAT {
            return Err(HybridError::Corrupt(format!(
                "the store was written by a newer version (format {}, this build reads {FORMAT})",
                p.format
            )));
        }
        // A payload no commit writes is damage, not a caller's mistake (ERR_CORRUPT_INDEX).
        if p.format == 0 || p.dimensions == 0 || p.dimensions > crate::MAX_DIMENSIONS || p.store_id.is_empty() {
            return Err(HybridError::Corrupt(format!("the text index's commit payload is damaged: {s:?}")));
        }
        p.metric()?;
        Ok(p)
    }

    pub fn metric(&self) -> Result<Metric> {
        self.metric
            .parse()
            .map_err(|_| HybridError::Corrupt(format!("unknown metric {:?} in the payload", self.metric)))
    }
}

/// The vector side's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub format: u32,
    pub store_id: String,
    pub generation: u64,
    pub dimensions: usize,
    pub metric: String,
    pub doc_count: u64,
    pub vector_count: u64,
    pub next_internal_id: u64,
    pub vector_file: String,
    pub vector_file_len: u64,
    pub vector_file_crc32: u32,
}

/// Length and CRC-32 of a file, read in 1 MiB chunks.
pub(crate) fn file_checksum(path: &Path) -> io::Result<(u64, u32)> {
    let mut f = File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok((len, hasher.finalize()));
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
}

/// Saves the vector index atomically (`vn-index`: temporary file, fsync, rename) and returns
/// the new file's length and CRC-32.
pub(crate) fn write_vector_file(hnsw: &HnswIndex, dir: &Path) -> Result<(u64, u32)> {
    let path = dir.join(VECTOR_FILE);
    hnsw.save(&path)?;
    file_checksum(&path).map_err(|e| HybridError::io(format!("reading back {}", path.display()), e))
}

/// Writes the manifest atomically: temporary file, fsync, rename, fsync of the directory.
pub(crate) fn write_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let path = dir.join(MANIFEST_FILE);
    let tmp = dir.join(format!("{MANIFEST_FILE}.tmp"));
    let ctx = |e: io::Error| HybridError::io(format!("writing {}", path.display()), e);
    {
        let mut f = File::create(&tmp).map_err(ctx)?;
        f.write_all(serde_json::to_string_pretty(m).expect("a manifest always serializes").as_bytes()).map_err(ctx)?;
        f.sync_all().map_err(ctx)?;
    }
    std::fs::rename(&tmp, &path).map_err(ctx)?;
    sync_dir(dir).map_err(ctx)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(()) // Windows: a rename is durable once MoveFileEx returns; directories cannot be opened.
}

/// The manifest, `Ok(None)` when there is none, `Err(problem)` when it cannot be read.
pub(crate) fn read_manifest(dir: &Path) -> std::result::Result<Option<Manifest>, String> {
    let path = dir.join(MANIFEST_FILE);
    match std::fs::read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("the vector manifest {} cannot be read: {e}", path.display())),
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("the vector manifest {} is damaged: {e}", path.display())),
    }
}

/// The vector side of a store being opened.
pub(crate) struct VectorSide {
    pub hnsw: HnswIndex,
    pub vector_generation: Option<u64>,
    pub repaired: Option<RepairReport>,
    pub problems: Vec<String>,
    /// Smallest internal id not used by the vector side.
    pub next_internal_id: u64,
}

/// What the caller knows about the text side when opening the vector side.
pub(crate) struct TextState<'a> {
    pub payload: &'a Payload,
    pub snapshot: &'a TextSnapshot,
    pub keys: &'a [DocKey],
    pub doc_count: u64,
    /// Smallest internal id the text side has not used.
    pub next_internal_id: u64,
}

/// Opens (and if needed repairs or rebuilds) the vector index in `dir` against the text side,
/// then saves what it repaired with the text side's generation.
pub(crate) fn open_vectors(dir: &Path, text: &TextState<'_>, params: HnswParams) -> Result<VectorSide> {
    let payload = text.payload;
    let metric = payload.metric()?;
    let mut problems = Vec::new();
    let manifest = read_manifest(dir).unwrap_or_else(|p| {
        problems.push(p);
        None
    });
    let vector_generation = manifest.as_ref().map(|m| m.generation);
    let file_exists = dir.join(VECTOR_FILE).exists();
    let loaded = match &manifest {
        Some(m) => load_trusted(dir, m, payload),
        None if file_exists => Err("the vector manifest is missing or unreadable".to_string()),
        None => Err("the vector files are missing".to_string()),
    };
    let fresh = manifest.is_none() && !file_exists && problems.is_empty() && text.keys.is_empty();
    let mut next_id = text.next_internal_id;
    let (hnsw, repaired) = match loaded {
        Ok(hnsw) => {
            let m = manifest.as_ref().expect("loaded from a manifest");
            next_id = next_id.max(m.next_internal_id);
            let (added, removed) = reconcile(&hnsw, text.snapshot, text.keys, payload.dimensions, next_id)?;
            let repaired = if m.generation != payload.generation {
                let reason = format!(
                    "the vector index is at generation {}, the text index at {} (a commit was interrupted)",
                    m.generation, payload.generation
                );
                problems.push(reason.clone());
                Some(RepairReport { vectors_added: added, vectors_removed: removed, rebuilt: false, reason })
            } else if added + removed > 0 {
                let reason = format!(
                    "the vector index disagreed with the text index at generation {} ({added} vectors missing, \
                     {removed} extra)",
                    m.generation
                );
                problems.push(reason.clone());
                Some(RepairReport { vectors_added: added, vectors_removed: removed, rebuilt: false, reason })
            } else {
                None
            };
            (hnsw, repaired)
        }
        Err(reason) if fresh => {
            let _ = reason;
            (HnswIndex::new(payload.dimensions, metric, params)?, None)
        }
        Err(reason) => {
            problems.push(reason.clone());
            let hnsw = HnswIndex::new(payload.dimensions, metric, params)?;
            let added = add_stored_vectors(&hnsw, text.snapshot, payload.dimensions, |_| true)?;
            (hnsw, Some(RepairReport { vectors_added: added, vectors_removed: 0, rebuilt: true, reason }))
        }
    };
    if repaired.is_some() || manifest.is_none() {
        save(dir, &hnsw, payload, text.doc_count, next_id)?;
    }
    Ok(VectorSide { hnsw, vector_generation, repaired, problems, next_internal_id: next_id })
}

/// Loads the vector file if the manifest vouches for it and it belongs to this store.
fn load_trusted(dir: &Path, m: &Manifest, payload: &Payload) -> std::result::Result<HnswIndex, String> {
    if m.store_id != payload.store_id {
        return Err(format!(
            "the vector files belong to another store (store id {}, the text index's is {})",
            m.store_id, payload.store_id
        ));
    }
    if m.dimensions != payload.dimensions || m.metric != payload.metric {
        return Err(format!(
            "the vector manifest says {} dimensions ({}), the text index {} ({})",
            m.dimensions, m.metric, payload.dimensions, payload.metric
        ));
    }
    let path = dir.join(VECTOR_FILE);
    match file_checksum(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err("the vector file is missing".into()),
        Err(e) => return Err(format!("the vector file cannot be read: {e}")),
        Ok((len, crc)) if (len, crc) != (m.vector_file_len, m.vector_file_crc32) => {
            return Err(format!(
                "the vector file does not match its manifest (length {len}, CRC-32 {crc:08x}; the manifest \
                 recorded {} and {:08x})",
                m.vector_file_len, m.vector_file_crc32
            ))
        }
        Ok(_) => {}
    }
    let hnsw = HnswIndex::load(&path).map_err(|e| format!("the vector file cannot be loaded: {e}"))?;
    if hnsw.dimensions() != payload.dimensions || hnsw.metric().as_str() != payload.metric {
        return Err(format!(
            "the vector file holds {} dimensions ({}), the store {} ({})",
            hnsw.dimensions(),
            hnsw.metric().as_str(),
            payload.dimensions,
            payload.metric
        ));
    }
    Ok(hnsw)
}

/// Saves the vector file and then the manifest, at `payload`'s generation.
pub(crate) fn save(dir: &Path, hnsw: &HnswIndex, payload: &Payload, doc_count: u64, next_id: u64) -> Result<()> {
    let (len, crc) = write_vector_file(hnsw, dir)?;
    write_manifest(dir, &manifest_for(hnsw, payload, doc_count, next_id, len, crc))
}

pub(crate) fn manifest_for(
    hnsw: &HnswIndex,
    payload: &Payload,
    doc_count: u64,
    next_internal_id: u64,
    len: u64,
    crc: u32,
) -> Manifest {
    Manifest {
        format: FORMAT,
        store_id: payload.store_id.clone(),
        generation: payload.generation,
        dimensions: payload.dimensions,
        metric: payload.metric.clone(),
        doc_count,
        vector_count: hnsw.len() as u64,
        next_internal_id,
        vector_file: VECTOR_FILE.into(),
        vector_file_len: len,
        vector_file_crc32: crc,
    }
}

/// Makes the vector index hold exactly the vectors of the text snapshot's documents: adds the
/// missing ones (from the stored vectors) and removes those whose documents the text index
/// does not hold. `upper` bounds the internal ids the vector index may hold. Returns
/// `(added, removed)`.
pub(crate) fn reconcile(
    hnsw: &HnswIndex,
    text: &TextSnapshot,
    keys: &[DocKey],
    dims: usize,
    upper: u64,
) -> Result<(usize, usize)> {
    let expected: HashSet<u64> = keys.iter().filter(|k| k.has_vector).map(|k| k.internal_id).collect();
    let missing: HashSet<u64> = expected.iter().copied().filter(|&id| !hnsw.contains(id)).collect();
    // With nothing missing and equal counts the two sets are equal; only otherwise look for
    // extra ids (every id the index can hold is below `upper`).
    let extra: Vec<u64> = if missing.is_empty() && hnsw.len() == expected.len() {
        Vec::new()
    } else {
        (0..upper).filter(|id| hnsw.contains(*id) && !expected.contains(id)).collect()
    };
    if !extra.is_empty() {
        hnsw.remove(&extra)?;
    }
    let added = if missing.is_empty() { 0 } else { add_stored_vectors(hnsw, text, dims, |id| missing.contains(&id))? };
    Ok((added, extra.len()))
}

/// Adds the stored vectors of the documents `wanted` selects, in batches. Returns how many.
fn add_stored_vectors(
    hnsw: &HnswIndex,
    text: &TextSnapshot,
    dims: usize,
    wanted: impl Fn(u64) -> bool,
) -> Result<usize> {
    let mut ids = Vec::with_capacity(REPAIR_BATCH);
    let mut flat = Vec::with_capacity(REPAIR_BATCH * dims);
    let mut added = 0;
    let mut flush = |ids: &mut Vec<u64>, flat: &mut Vec<f32>| -> Result<()> {
        if !ids.is_empty() {
            // Every stored vector was checked when it was added: one the index refuses now
            // (non-finite, zero under cosine, a duplicate id) is damage of the text index.
            hnsw.add(ids, flat).map_err(|e| match e {
                vn_index::IndexError::Io(_) => HybridError::Index(e),
                e => HybridError::Corrupt(format!("text index: its stored vectors cannot be indexed: {e}")),
            })?;
            added += ids.len();
            ids.clear();
            flat.clear();
        }
        Ok(())
    };
    text.for_each_stored(
        |id, has_vector| has_vector && wanted(id),
        |doc| {
            let v = doc.vector.unwrap_or_default();
            if v.len() != dims {
                return Err(HybridError::Corrupt(format!(
                    "text index: document {:?} stores a vector of {} dimensions, the store has {dims}",
                    doc.id,
                    v.len()
                )));
            }
            ids.push(doc.internal_id);
            flat.extend_from_slice(&v);
            if ids.len() == REPAIR_BATCH {
                flush(&mut ids, &mut flat)?;
            }
            Ok(())
        },
    )?;
    flush(&mut ids, &mut flat)?;
    Ok(added)
}
