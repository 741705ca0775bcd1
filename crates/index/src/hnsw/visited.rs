//! Per-search working memory: the visited set (hnswlib's `VisitedList`), the heaps, and the
//! pool that lends them out (hnswlib's `VisitedListPool`).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use parking_lot::Mutex;

/// A node with its distance to the query; ordered by `(distance, node)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cand {
    pub(crate) dist: f32,
    pub(crate) node: u32,
}

impl Ord for Cand {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist.total_cmp(&other.dist).then(self.node.cmp(&other.node))
    }
}
impl PartialOrd for Cand {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Cand {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Cand {}

/// Visited set by epoch tags: node `i` is visited iff `tags[i] == epoch`. Starting a new
/// search bumps the epoch instead of clearing; the array is cleared only when the `u16`
/// epoch wraps (every 65 535 searches).
pub(crate) struct VisitedList {
    tags: Vec<u16>,
    epoch: u16,
}

impl VisitedList {
    pub(crate) fn new() -> Self {
        VisitedList { tags: Vec::new(), epoch: 0 }
    }

    /// Forgets every visit; makes room for `n` nodes.
    pub(crate) fn reset(&mut self, n: usize) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.tags.fill(0);
            self.epoch = 1;
        }
        if self.tags.len() < n {
            self.tags.resize(n, 0);
        }
    }

    /// Marks `i` visited; `true` if it was not visited yet.
    #[inline]
    pub(crate) fn insert(&mut self, i: u32) -> bool {
        let i = i as usize;
        if i >= self.tags.len() {
            // A node added after this search started: grow (amortized, rare).
            let n = (i + 1).max(self.tags.len() * 2);
            self.tags.resize(n, 0);
        }
        let tag = &mut self.tags[i];
        if *tag == self.epoch {
            false
        } else {
            *tag = self.epoch;
            true
        }
    }
}

/// The buffers of one search or insertion.
pub(crate) struct Work {
    pub(crate) visited: VisitedList,
    /// Nodes still to expand, closest first.
    pub(crate) cand: BinaryHeap<Reverse<Cand>>,
    /// Best accepted nodes so far, farthest on top.
    pub(crate) top: BinaryHeap<Cand>,
    /// Copy of the neighbour list being expanded (read under the node's lock, used after).
    pub(crate) nbrs: Vec<u32>,
    /// The not yet visited members of `nbrs`.
    pub(crate) fresh: Vec<u32>,
    /// Candidates sorted ascending (neighbour selection).
    pub(crate) sorted: Vec<Cand>,
    /// Output of neighbour selection.
    pub(crate) selected: Vec<Cand>,
    /// Chosen neighbours per layer of the node being inserted.
    pub(crate) per_level: Vec<Vec<u32>>,
    /// Node numbers of an exact scan.
    pub(crate) nodes: Vec<u32>,
}

impl Work {
    fn new() -> Self {
        Work {
            visited: VisitedList::new(),
            cand: BinaryHeap::new(),
            top: BinaryHeap::new(),
            nbrs: Vec::new(),
            fresh: Vec::new(),
            sorted: Vec::new(),
            selected: Vec::new(),
            per_level: Vec::new(),
            nodes: Vec::new(),
        }
    }
}

/// Reusable working memory for [`HnswIndex::search_with`](crate::HnswIndex::search_with).
///
/// Owning one (e.g. per session or per thread) makes repeated searches allocation-free apart
/// from the returned `Vec<Hit>`: the visited set is reset by bumping an epoch, the heaps keep
/// their capacity. One scratch may serve several indexes (it grows to the largest).
pub struct HnswScratch {
    /// The normalized query (cosine).
    pub(crate) query: Vec<f32>,
    pub(crate) work: Work,
}

impl HnswScratch {
    /// An empty scratch; it sizes itself on first use.
    pub fn new() -> Self {
        HnswScratch { query: Vec::new(), work: Work::new() }
    }
}

impl Default for HnswScratch {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for HnswScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswScratch").field("visited_capacity", &self.work.visited.tags.len()).finish()
    }
}

/// A mutex-protected stack of scratches: take one (or allocate when empty), give it back on
/// drop. Keeps at most `limit` idle scratches so a burst of callers does not pin memory.
pub(crate) struct ScratchPool {
    idle: Mutex<Vec<HnswScratch>>,
    limit: usize,
}

impl ScratchPool {
    pub(crate) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        ScratchPool { idle: Mutex::new(Vec::new()), limit: (2 * cores).max(8) }
    }

    pub(crate) fn take(&self) -> PooledScratch<'_> {
        let scratch = self.idle.lock().pop().unwrap_or_default();
        PooledScratch { pool: self, scratch: Some(scratch) }
    }
}

/// A scratch on loan from a [`ScratchPool`].
pub(crate) struct PooledScratch<'a> {
    pool: &'a ScratchPool,
    scratch: Option<HnswScratch>,
}

impl std::ops::Deref for PooledScratch<'_> {
    type Target = HnswScratch;
    fn deref(&self) -> &HnswScratch {
        self.scratch.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for PooledScratch<'_> {
    fn deref_mut(&mut self) -> &mut HnswScratch {
        self.scratch.as_mut().expect("present until drop")
    }
}

impl Drop for PooledScratch<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.scratch.take() {
            let mut idle = self.pool.idle.lock();
            if idle.len() < self.pool.limit {
                idle.push(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_reset_and_wrap() {
        let mut v = VisitedList::new();
        v.reset(4);
        assert!(v.insert(1) && !v.insert(1) && v.insert(3));
        assert!(v.insert(10), "grows past the reset size");
        for _ in 0..70_000 {
            v.reset(4);
            assert!(v.insert(1) && !v.insert(1));
        }
        v.reset(4);
        assert!(v.insert(1) && v.insert(3) && v.insert(10));
    }

    #[test]
    fn pool_reuses() {
        let pool = ScratchPool::new();
        {
            let mut s = pool.take();
            s.work.visited.reset(100);
        }
        assert_eq!(pool.take().work.visited.tags.len(), 100);
    }
}
