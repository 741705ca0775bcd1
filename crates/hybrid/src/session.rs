//! [`Session`]: a searcher with its own scratch memory and a snapshot it refreshes.

use std::sync::Arc;

use vn_index::{HnswIndex, HnswScratch};

use crate::query::{Hit, Query};
use crate::search::execute;
use crate::snapshot::Snapshot;
use crate::state::Inner;
use crate::Result;

/// A search session: owns an [`HnswScratch`] (no per-search allocation of HNSW working memory;
/// unused by a flat index)
/// and a snapshot of the committed state, refreshed cheaply (one atomic load) when a commit
/// was published since the last search, so a session sees every commit.
///
/// [`search`](Self::search) behaves exactly like
/// [`UnifiedSearchSystem::search`](crate::UnifiedSearchSystem::search). A session is `Send`
/// (not `Sync`: it takes `&mut self`); wrap it in a mutex to share it. It keeps the system's
/// memory alive, and fails with `Closed` once the system is closed.
pub struct Session {
    inner: Arc<Inner>,
    snapshot: Arc<Snapshot>,
    scratch: HnswScratch,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("generation", &self.snapshot.generation).finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(inner: Arc<Inner>) -> Session {
        let snapshot = inner.current_snapshot();
        Session { inner, snapshot, scratch: HnswScratch::new() }
    }

    /// Searches the latest committed state.
    pub fn search(&mut self, query: &Query) -> Result<Vec<Hit>> {
        self.inner.check_open()?;
        self.refresh();
        let Session { inner, snapshot, scratch } = self;
        execute(inner, snapshot, query, |v, p| match inner.vectors.as_any().downcast_ref::<HnswIndex>() {
            Some(hnsw) => hnsw.search_with(v, p, scratch),
            None => inner.vectors.search(v, p), // flat: no scratch to keep
        })
    }

    /// The generation of the state the last search saw (or the session started with).
    pub fn generation(&self) -> u64 {
        self.snapshot.generation
    }

    fn refresh(&mut self) {
        if self.inner.snapshots.version() != self.snapshot.version {
            self.snapshot = self.inner.current_snapshot();
        }
    }
}
