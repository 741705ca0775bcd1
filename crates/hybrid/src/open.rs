//! Opening a store ([`open`]): checks the options, opens (or creates) the text index, checks
//! it against the options, opens and if needed repairs the vector side
//! ([`consistency::open_vectors`]), and assembles the shared state.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use vn_index::{HnswIndex, IndexKind};
use vn_text::TextIndex;

use crate::consistency::{self, OpenReport, Payload, TextState};
use crate::embed::{Embedder, EmbedderConfig, FeatureHashingEmbedder};
use crate::lock::VectorDirLock;
use crate::options::{OpenOptions, MAX_DIMENSIONS};
use crate::snapshot::SnapshotSlot;
use crate::state::Inner;
use crate::writer::{Pending, WriterState};
use crate::{HybridError, Result};

/// See [`UnifiedSearchSystem::open`](crate::UnifiedSearchSystem::open).
pub(crate) fn open(options: OpenOptions) -> Result<Inner> {
    let OpenOptions {
        text_index_path,
        vector_db_path,
        dimensions,
        metric,
        vector_index,
        hnsw,
        embedder,
        writer_memory,
    } = options;
    if dimensions == 0 || dimensions > MAX_DIMENSIONS {
        return Err(HybridError::InvalidArgument(format!(
            "dimensions must be between 1 and {MAX_DIMENSIONS}, got {dimensions}"
        )));
    }
    // Checked before anything is created: HNSW parameters, writer memory.
    HnswIndex::new(dimensions, metric, hnsw)?;
    if writer_memory < vn_text::MIN_WRITER_MEMORY {
        return Err(HybridError::InvalidArgument(format!(
            "writer_memory must be at least {} bytes, got {writer_memory}",
            vn_text::MIN_WRITER_MEMORY
        )));
    }
    if same_path(&text_index_path, &vector_db_path) {
        return Err(HybridError::InvalidArgument(format!(
            "the text index and the vector db need two different directories, both are {}",
            text_index_path.display()
        )));
    }
    prepare_vector_dir(&vector_db_path)?;
    // Before anything is read or repaired: another open store may be writing these files.
    let vector_lock = VectorDirLock::acquire(&vector_db_path)?;
    let (text, created) = TextIndex::open_or_create(&text_index_path)?;
    let mut writer = text.writer(writer_memory)?;
    // Under the writer lock: what commits killed before their rename left in the text index.
    let text_temps = writer.remove_stale_temp_files();
    let text_orphans = writer.remove_orphan_files();
    let payload = match text.committed_payload()? {
        Some(s) => Payload::decode(&s)?,
        None => {
            if text.snapshot()?.num_docs() > 0 {
                return Err(HybridError::Corrupt(format!(
                    "the text index at {} holds documents but no vn-hybrid commit",
                    text_index_path.display()
                )));
            }
            // A new index (or one whose creation stopped before its first commit).
            let p = Payload::new(new_store_id(), 0, dimensions, metric, vector_index.unwrap_or(IndexKind::Hnsw), 0);
            writer.commit(&p.encode())?;
            text.reload()?;
            p
        }
    };
    let stored_metric = payload.metric()?;
    if payload.dimensions != dimensions || stored_metric != metric {
        return Err(HybridError::InvalidArgument(format!(
            "the store at {} has {} dimensions and the {} metric; it was opened with {} dimensions and the {} \
             metric",
            text_index_path.display(),
            payload.dimensions,
            stored_metric.as_str(),
            dimensions,
            metric.as_str()
        )));
    }
    let stored_kind = payload.vector_index()?;
    if let Some(asked) = vector_index.filter(|&k| k != stored_kind) {
        return Err(HybridError::InvalidArgument(format!(
            "the store at {} has a {} vector index; it was opened with vector index {} (a store keeps the kind it \
             was created with)",
            text_index_path.display(),
            stored_kind.as_str(),
            asked.as_str()
        )));
    }
    text.reload()?;
    let snapshot = text.snapshot()?;
    let keys = snapshot.keys()?;
    let text_next = keys.iter().map(|k| k.internal_id + 1).max().unwrap_or(0).max(payload.next_internal_id);
    let doc_count = snapshot.num_docs();
    let side = consistency::open_vectors(
        &vector_db_path,
        &TextState { payload: &payload, snapshot: &snapshot, keys: &keys, doc_count, next_internal_id: text_next },
        hnsw,
    )?;
    let mut by_id = HashMap::with_capacity(keys.len());
    let mut resolver = HashMap::with_capacity(keys.len());
    for k in keys {
        let id: Arc<str> = k.id.into();
        resolver.insert(k.internal_id, id.clone());
        by_id.insert(id, k.internal_id);
    }
    let embedder: Option<Arc<dyn Embedder>> = match embedder {
        EmbedderConfig::FeatureHashing => Some(Arc::new(FeatureHashingEmbedder::new(dimensions))),
        EmbedderConfig::None => None,
        EmbedderConfig::Custom(e) => Some(e),
    };
    let report = OpenReport {
        created,
        text_generation: payload.generation,
        vector_generation: side.vector_generation,
        repaired: side.repaired,
        problems: text_temp_problem(text_temps)
            .into_iter()
            .chain(text_orphan_problem(text_orphans))
            .chain(side.problems)
            .collect(),
    };
    let next_internal_id = side.next_internal_id;
    Ok(Inner {
        vectors: side.index,
        dims: dimensions,
        metric,
        embedder,
        vector_dir: vector_db_path,
        snapshots: SnapshotSlot::new(payload.generation, snapshot, next_internal_id),
        resolver: RwLock::new(resolver),
        closed: AtomicBool::new(false),
        writer: Mutex::new(Some(WriterState {
            text: writer,
            _vector_lock: vector_lock,
            store_id: payload.store_id,
            generation: payload.generation,
            next_internal_id,
            by_id,
            doc_count,
            pending: Pending::default(),
        })),
        report,
        text,
    })
}

/// What [`vn_text::TextWriter::remove_stale_temp_files`] did, as a problem of the open report.
fn text_temp_problem(removed: vn_text::Result<usize>) -> Option<String> {
    match removed {
        Ok(0) => None,
        Ok(n) => Some(format!("removed {n} temporary files left by interrupted commits of the text index")),
        Err(e) => Some(format!("the temporary files of interrupted text index commits could not be removed: {e}")),
    }
}

/// A failure of [`vn_text::TextWriter::remove_orphan_files`], as a problem of the open report.
/// What it removes is not reported: tantivy's own garbage collection (run after every commit)
/// removes the same files, e.g. the segments of a writer dropped without a commit.
fn text_orphan_problem(removed: vn_text::Result<usize>) -> Option<String> {
    removed.err().map(|e| format!("the files of interrupted text index commits could not be removed: {e}"))
}

fn new_store_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.write_u128(now.as_nanos());
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

fn prepare_vector_dir(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(HybridError::InvalidArgument(format!(
            "the vector db path {} is a file, not a directory",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(path)
            .map_err(|e| HybridError::io(format!("creating the vector db directory {}", path.display()), e)),
        Err(e) => Err(HybridError::io(format!("reading {}", path.display()), e)),
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
