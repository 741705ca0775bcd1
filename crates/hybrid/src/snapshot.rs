//! [`Snapshot`]: one committed state as searches see it, and the [`SnapshotSlot`] that
//! publishes a new one atomically.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use vn_text::TextSnapshot;

/// One committed state as searches see it.
pub(crate) struct Snapshot {
    /// Bumped on every publication (sessions compare it).
    pub version: u64,
    /// The commit generation.
    pub generation: u64,
    pub text: TextSnapshot,
    /// Internal ids at or above this were assigned after this state: never returned from it.
    pub watermark: u64,
}

/// The current snapshot, swapped whole by [`publish`](Self::publish); readers clone an `Arc`
/// and never wait for the writer beyond the swap.
pub(crate) struct SnapshotSlot {
    current: RwLock<Arc<Snapshot>>,
    /// The current snapshot's version, readable without the lock (a session's freshness check).
    version: AtomicU64,
}

impl SnapshotSlot {
    /// A slot holding the state open found, at version 0.
    pub fn new(generation: u64, text: TextSnapshot, watermark: u64) -> SnapshotSlot {
        SnapshotSlot {
            current: RwLock::new(Arc::new(Snapshot { version: 0, generation, text, watermark })),
            version: AtomicU64::new(0),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.current.read().clone()
    }

    /// The version of the current snapshot (one atomic load).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Makes `text` at `generation` the state searches see.
    pub fn publish(&self, generation: u64, text: TextSnapshot, watermark: u64) {
        let mut slot = self.current.write();
        let version = slot.version + 1;
        *slot = Arc::new(Snapshot { version, generation, text, watermark });
        self.version.store(version, Ordering::Release);
    }
}
