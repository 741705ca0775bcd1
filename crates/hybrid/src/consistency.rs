//! Keeping the two stores in step: the text index's commit payload, the vector side's
//! manifest, and the repair of the vector index from the text index (the source of truth).
//!
//! # On disk
//!
//! * `text_index_path/`: the tantivy index. Each commit carries a JSON payload: store id,
//!   generation, dimensions, metric, vector index kind, next internal id. Every document stores its vector.
//! * `vector_db_path/vectors.vnidx`: the vector index, HNSW or flat as the store was created
//!   (`vn-index`'s checksummed file, written atomically).
//! * `vector_db_path/manifest.json`: written atomically after the vector file: store id,
//!   generation, dimensions, metric, vector index kind, counts, and the vector file's length and the CRC-32 it
//!   ends with (the CRC of its body, as `vn-index` wrote it), which bind the manifest to
//!   exactly that file: open compares both before loading it (and loading verifies the CRC).
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
//! Temporary files of saves a crash interrupted are removed when the store is opened (and
//! before each save).
//!
//! A missing, unreadable or foreign vector file (another store id, other dimensions, metric
//! or kind) is rebuilt from the text index. Repairs are saved at once and reported in
//! [`OpenReport`]; nothing is dropped silently.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use vn_index::{FileChecksum, FlatIndex, HnswIndex, HnswParams, IndexError, IndexKind, Metric, VectorIndex};
use vn_text::{DocKey, TextSnapshot};

use crate::{HybridError, Result};

/// The vector index's file name inside `vector_db_path`.
pub const VECTOR_FILE: &str = "vectors.vnidx";
/// The manifest's file name inside `vector_db_path`.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The manifest's temporary file of earlier versions (a fixed name, no longer written).
const OLD_MANIFEST_TEMP: &str = "manifest.json.tmp";
/// Format of the text index's commit payload.
const PAYLOAD_FORMAT: u32 = 1;
/// Format of the manifest. 2: `vector_file_crc32` is the CRC-32 the vector file ends with
/// (format 1 recorded a CRC of the whole file: the same constant for every valid file).
const MANIFEST_FORMAT: u32 = 2;
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
    /// `"hnsw"` or `"flat"`; absent from the payloads of stores made before the choice
    /// existed, which are HNSW.
    #[serde(default = "hnsw_kind")]
    pub vector_index: String,
    pub next_internal_id: u64,
}

fn hnsw_kind() -> String {
    IndexKind::Hnsw.as_str().into()
}

impl Payload {
    pub fn new(
        store_id: String,
        generation: u64,
        dimensions: usize,
        metric: Metric,
        vector_index: IndexKind,
        next_internal_id: u64,
    ) -> Self {
        Payload {
            format: PAYLOAD_FORMAT,
            store_id,
            generation,
            dimensions,
            metric: metric.as_str().into(),
            vector_index: vector_index.as_str().into(),
            next_internal_id,
        }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a payload always serializes")
    }

    pub fn decode(s: &str) -> Result<Payload> {
        let p: Payload = serde_json::from_str(s).map_err(|e| {
            HybridError::Corrupt(format!("the text index's commit payload is not a vn-hybrid payload ({e}): {s:?}"))
        })?;
        if p.format > PAYLOAD_FORMAT {
            return Err(HybridError::Corrupt(format!(
                "the store was written by a newer version (format {}, this build reads {PAYLOAD_FORMAT})",
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

    pub fn vector_index(&self) -> Result<IndexKind> {
        self.vector_index
            .parse()
            .map_err(|_| HybridError::Corrupt(format!("unknown vector index {:?} in the payload", self.vector_index)))
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
    /// `"hnsw"` or `"flat"` (absent from format-1 manifests: HNSW).
    #[serde(default = "hnsw_kind")]
    pub vector_index: String,
    pub doc_count: u64,
    pub vector_count: u64,
    pub next_internal_id: u64,
    pub vector_file: String,
    /// The vector file's length and (format 2) the CRC-32 it ends with: together they bind
    /// the manifest to exactly that file.
    pub vector_file_len: u64,
    pub vector_file_crc32: u32,
}

/// Saves the vector index atomically (`vn-index`: temporary file, fsync, rename) and returns
/// the new file's checksum (as written: nothing is read back).
pub(crate) fn write_vector_file(index: &dyn VectorIndex, dir: &Path) -> Result<FileChecksum> {
    Ok(index.save_checksummed(&dir.join(VECTOR_FILE))?)
}

/// Writes the manifest atomically ([`vn_index::write_atomically`]).
pub(crate) fn write_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let json = serde_json::to_string_pretty(m).expect("a manifest always serializes");
    vn_index::write_atomically(&dir.join(MANIFEST_FILE), |w| w.write_all(json.as_bytes()))
        .map_err(|e| HybridError::io("writing the vector manifest", e))
}

/// The manifest, `Ok(None)` when there is none, `Err(problem)` when it cannot be read.
pub(crate) fn read_manifest(dir: &Path) -> std::result::Result<Option<Manifest>, String> {
    let path = dir.join(MANIFEST_FILE);
    match std::fs::read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("the vector manifest {} cannot be read: {e}", path.display())),
        Ok(bytes) => parse_manifest(&bytes, &path).map(Some),
    }
}

/// The manifest in `bytes`, read from `path`; `Err(problem)` when it is damaged.
pub(crate) fn parse_manifest(bytes: &[u8], path: &Path) -> std::result::Result<Manifest, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("the vector manifest {} is damaged: {e}", path.display()))
}

/// The vector side of a store being opened.
pub(crate) struct VectorSide {
    pub index: Box<dyn VectorIndex>,
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
    remove_stale_temp_files(dir, &mut problems);
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
    let kind = payload.vector_index()?;
    let (index, repaired) = match loaded {
        Ok(index) => {
            let m = manifest.as_ref().expect("loaded from a manifest");
            next_id = next_id.max(m.next_internal_id);
            let (added, removed) = reconcile(&*index, text.snapshot, text.keys, payload.dimensions, next_id)?;
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
            (index, repaired)
        }
        Err(reason) if fresh => {
            let _ = reason;
            (new_vector_index(kind, payload.dimensions, metric, params)?, None)
        }
        Err(reason) => {
            problems.push(reason.clone());
            let index = new_vector_index(kind, payload.dimensions, metric, params)?;
            let added = add_stored_vectors(&*index, text.snapshot, payload.dimensions, |_| true)?;
            (index, Some(RepairReport { vectors_added: added, vectors_removed: 0, rebuilt: true, reason }))
        }
    };
    if repaired.is_some() || manifest.is_none() {
        save(dir, &*index, payload, text.doc_count, next_id)?;
    } else if manifest.as_ref().is_some_and(|m| m.format < MANIFEST_FORMAT) {
        // Trusted on its length alone this time; bind it by its checksum from now on.
        let checksum = vn_index::read_file_checksum(&dir.join(VECTOR_FILE))?;
        write_manifest(dir, &manifest_for(&*index, payload, text.doc_count, next_id, checksum))?;
    }
    Ok(VectorSide { index, vector_generation, repaired, problems, next_internal_id: next_id })
}

/// Removes what killed commits left in the vector directory: the temporary files of the
/// vector file and of the manifest whose writer is gone ([`vn_index::remove_stale_temp_files`];
/// the store's lock, held by the caller, keeps out any other writer), and the fixed-name
/// manifest temporary file of earlier versions. Says what it did, or could not do, in
/// `problems`.
fn remove_stale_temp_files(dir: &Path, problems: &mut Vec<String>) {
    let mut removed = 0;
    for name in [VECTOR_FILE, MANIFEST_FILE] {
        match vn_index::remove_stale_temp_files(&dir.join(name)) {
            Ok(n) => removed += n,
            Err(e) => problems.push(format!("the temporary files of interrupted saves could not be removed: {e}")),
        }
    }
    if std::fs::remove_file(dir.join(OLD_MANIFEST_TEMP)).is_ok() {
        removed += 1;
    }
    if removed > 0 {
        problems.push(format!("removed {removed} temporary files left by interrupted saves"));
    }
}

/// An empty vector index of `kind` (`params` apply to HNSW only).
pub(crate) fn new_vector_index(
    kind: IndexKind,
    dims: usize,
    metric: Metric,
    params: HnswParams,
) -> Result<Box<dyn VectorIndex>> {
    Ok(match kind {
        IndexKind::Hnsw => Box::new(HnswIndex::new(dims, metric, params)?),
        IndexKind::Flat => Box::new(FlatIndex::new(dims, metric)?),
    })
}

/// Loads the vector file if the manifest vouches for it and it belongs to this store.
fn load_trusted(dir: &Path, m: &Manifest, payload: &Payload) -> std::result::Result<Box<dyn VectorIndex>, String> {
    let path = dir.join(VECTOR_FILE);
    vouch(m, payload, || match vn_index::read_file_checksum(&path) {
        Err(IndexError::Io(e)) if e.kind() == io::ErrorKind::NotFound => Err("the vector file is missing".into()),
        Err(e) => Err(format!("the vector file cannot be read: {e}")),
        Ok(found) => Ok(found),
    })?;
    let index = vn_index::load_index(&path).map_err(|e| format!("the vector file cannot be loaded: {e}"))?;
    check_loaded(&*index, payload)?;
    Ok(index)
}

/// Whether the manifest `m` vouches for a vector file of this store whose checksum `found`
/// reads (called only once the manifest itself is found to belong to the store).
pub(crate) fn vouch(
    m: &Manifest,
    payload: &Payload,
    found: impl FnOnce() -> std::result::Result<FileChecksum, String>,
) -> std::result::Result<(), String> {
    if m.store_id != payload.store_id {
        return Err(format!(
            "the vector files belong to another store (store id {}, the text index's is {})",
            m.store_id, payload.store_id
        ));
    }
    if m.dimensions != payload.dimensions || m.metric != payload.metric || m.vector_index != payload.vector_index {
        return Err(format!(
            "the vector manifest says {} dimensions ({}, {}), the text index {} ({}, {})",
            m.dimensions, m.metric, m.vector_index, payload.dimensions, payload.metric, payload.vector_index
        ));
    }
    if m.format > MANIFEST_FORMAT {
        return Err(format!(
            "the vector manifest was written by a newer version (format {}, this build reads {MANIFEST_FORMAT})",
            m.format
        ));
    }
    let found = found()?;
    // A format-1 manifest's CRC says nothing (see MANIFEST_FORMAT): only its length binds.
    let recorded_crc = if m.format >= 2 { m.vector_file_crc32 } else { found.crc32 };
    if (found.len, found.crc32) != (m.vector_file_len, recorded_crc) {
        return Err(format!(
            "the vector file does not match its manifest (length {}, CRC-32 {:08x}; the manifest recorded {} and \
             {:08x})",
            found.len, found.crc32, m.vector_file_len, m.vector_file_crc32
        ));
    }
    Ok(())
}

/// Whether a loaded vector index is of the store's dimensions, metric and kind.
pub(crate) fn check_loaded(index: &dyn VectorIndex, payload: &Payload) -> std::result::Result<(), String> {
    if index.dimensions() != payload.dimensions
        || index.metric().as_str() != payload.metric
        || index.kind().as_str() != payload.vector_index
    {
        return Err(format!(
            "the vector file holds {} dimensions ({}, {}), the store {} ({}, {})",
            index.dimensions(),
            index.metric().as_str(),
            index.kind().as_str(),
            payload.dimensions,
            payload.metric,
            payload.vector_index
        ));
    }
    Ok(())
}

/// Saves the vector file and then the manifest, at `payload`'s generation.
pub(crate) fn save(dir: &Path, index: &dyn VectorIndex, payload: &Payload, doc_count: u64, next_id: u64) -> Result<()> {
    let checksum = write_vector_file(index, dir)?;
    write_manifest(dir, &manifest_for(index, payload, doc_count, next_id, checksum))
}

pub(crate) fn manifest_for(
    index: &dyn VectorIndex,
    payload: &Payload,
    doc_count: u64,
    next_internal_id: u64,
    checksum: FileChecksum,
) -> Manifest {
    Manifest {
        format: MANIFEST_FORMAT,
        store_id: payload.store_id.clone(),
        generation: payload.generation,
        dimensions: payload.dimensions,
        metric: payload.metric.clone(),
        vector_index: payload.vector_index.clone(),
        doc_count,
        vector_count: index.len() as u64,
        next_internal_id,
        vector_file: VECTOR_FILE.into(),
        vector_file_len: checksum.len,
        vector_file_crc32: checksum.crc32,
    }
}

/// Makes the vector index hold exactly the vectors of the text snapshot's documents: adds the
/// missing ones (from the stored vectors) and removes those whose documents the text index
/// does not hold. `upper` bounds the internal ids the vector index may hold. Returns
/// `(added, removed)`.
pub(crate) fn reconcile(
    index: &dyn VectorIndex,
    text: &TextSnapshot,
    keys: &[DocKey],
    dims: usize,
    upper: u64,
) -> Result<(usize, usize)> {
    let expected: HashSet<u64> = keys.iter().filter(|k| k.has_vector).map(|k| k.internal_id).collect();
    let missing: HashSet<u64> = expected.iter().copied().filter(|&id| !index.contains(id)).collect();
    // With nothing missing and equal counts the two sets are equal; only otherwise look for
    // extra ids (every id the index can hold is below `upper`).
    let extra: Vec<u64> = if missing.is_empty() && index.len() == expected.len() {
        Vec::new()
    } else {
        (0..upper).filter(|id| index.contains(*id) && !expected.contains(id)).collect()
    };
    if !extra.is_empty() {
        index.remove(&extra)?;
    }
    let added = if missing.is_empty() { 0 } else { add_stored_vectors(index, text, dims, |id| missing.contains(&id))? };
    Ok((added, extra.len()))
}

/// Adds the stored vectors of the documents `wanted` selects, in batches. Returns how many.
fn add_stored_vectors(
    index: &dyn VectorIndex,
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
            index.add(ids, flat).map_err(|e| match e {
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
