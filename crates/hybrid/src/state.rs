//! [`Inner`]: the state a system shares with its sessions — both stores, the embedder, the
//! published snapshot, the id resolver and the writer's mutex.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use vn_index::{Metric, VectorIndex};
use vn_text::TextIndex;

use crate::consistency::OpenReport;
use crate::embed::{check_embedded, is_zero, Embedder};
use crate::snapshot::{Snapshot, SnapshotSlot};
use crate::writer::WriterState;
use crate::{HybridError, Result};

/// Shared by the system and its sessions.
pub(crate) struct Inner {
    pub text: TextIndex,
    /// The vector index, HNSW or flat.
    pub vectors: Box<dyn VectorIndex>,
    pub dims: usize,
    pub metric: Metric,
    pub embedder: Option<Arc<dyn Embedder>>,
    pub vector_dir: PathBuf,
    pub snapshots: SnapshotSlot,
    /// Committed internal id → caller's id. Entries appear before the commit that added them
    /// is published (hence [`Snapshot::watermark`]) and vanish when a delete is committed.
    pub resolver: RwLock<HashMap<u64, Arc<str>>>,
    pub closed: AtomicBool,
    pub writer: Mutex<Option<WriterState>>,
    pub report: OpenReport,
}

impl Inner {
    pub fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(HybridError::Closed)
        } else {
            Ok(())
        }
    }

    pub fn current_snapshot(&self) -> Arc<Snapshot> {
        self.snapshots.current()
    }

    /// Reloads the text reader and makes its state the one searches see.
    pub fn publish(&self, generation: u64, watermark: u64) -> Result<()> {
        self.text.reload()?;
        self.snapshots.publish(generation, self.text.snapshot()?, watermark);
        Ok(())
    }

    /// The embedder's vectors of `texts`, checked: one per text, each of the store's dimensions
    /// and finite. `InvalidArgument` when the store has no embedder.
    pub fn embed_checked(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let e = self.embedder.as_ref().ok_or_else(|| {
            HybridError::InvalidArgument(
                "this store has no built-in embedder (open it with embedder 'feature-hashing')".into(),
            )
        })?;
        let vectors = e.embed(texts);
        if vectors.len() != texts.len() {
            return Err(HybridError::InvalidArgument(format!(
                "the embedder returned {} vectors for {} texts",
                vectors.len(),
                texts.len()
            )));
        }
        for v in &vectors {
            check_embedded(v, self.dims)?;
        }
        Ok(vectors)
    }

    /// Embeds one query text; `None` for a text without tokens (zero vector).
    pub fn embed_query(&self, text: &str) -> Result<Option<Vec<f32>>> {
        let v = self.embed_checked(&[text])?.pop().expect("one vector per text");
        Ok(if is_zero(&v) { None } else { Some(v) })
    }
}
