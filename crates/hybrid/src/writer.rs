//! [`WriterState`]: what the writer mutex guards — the text writer, the committed id map and
//! the [`Pending`] buffer of adds and deletes waiting for a commit.

use std::collections::HashMap;
use std::sync::Arc;

use vn_text::TextWriter;

/// Writer-side state, behind the writer mutex.
pub(crate) struct WriterState {
    pub text: TextWriter,
    /// The vector directory's lock: released with the writer (close, drop, a simulated crash).
    pub _vector_lock: crate::lock::VectorDirLock,
    pub store_id: String,
    /// Last committed generation.
    pub generation: u64,
    pub next_internal_id: u64,
    /// Committed caller id → internal id.
    pub by_id: HashMap<Arc<str>, u64>,
    pub doc_count: u64,
    pub pending: Pending,
}

/// Adds and deletes buffered until a commit.
#[derive(Default)]
pub(crate) struct Pending {
    /// In add order; `None` once deleted again before the commit.
    pub adds: Vec<Option<PendingAdd>>,
    /// Pending add id → slot in `adds`.
    pub add_slot: HashMap<Arc<str>, usize>,
    /// Committed documents to delete: caller id → internal id.
    pub deletes: HashMap<Arc<str>, u64>,
}

/// One buffered add (its text is already in the text writer's buffer).
pub(crate) struct PendingAdd {
    pub id: Arc<str>,
    pub internal_id: u64,
    pub vector: Option<Vec<f32>>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.add_slot.is_empty() && self.deletes.is_empty()
    }

    /// `(adds, deletes)` waiting for a commit.
    pub fn counts(&self) -> (usize, usize) {
        (self.add_slot.len(), self.deletes.len())
    }
}
