//! Per-search working memory: the visited set (hnswlib's `VisitedList`), the beam, and the
//! pool that lends them out (hnswlib's `VisitedListPool`).

use parking_lot::Mutex;

use super::beam::{Beam, Cand};
use super::graph::KeepLinks;

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

/// A list read keeps the neighbours not visited yet, marking them visited.
impl KeepLinks for VisitedList {
    #[inline]
    fn keep(&mut self, n: u32) -> bool {
        self.insert(n)
    }

    /// `n` was marked by `keep` in this read, so it was not visited before it.
    #[inline]
    fn undo(&mut self, n: u32) {
        self.tags[n as usize] = self.epoch.wrapping_sub(1);
    }
}

/// The buffers of one search or insertion.
pub(crate) struct Work {
    pub(crate) visited: VisitedList,
    /// The layer search's candidates and results.
    pub(crate) beam: Beam,
    /// A copy of one neighbour list (the greedy descent's, or a back-link target's under its lock).
    pub(crate) nbrs: Vec<u32>,
    /// The not yet visited neighbours of the node being expanded.
    pub(crate) fresh: Vec<u32>,
    /// Candidates sorted ascending: a layer search's results, neighbour selection's input.
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
            beam: Beam::new(),
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
/// from the returned `Vec<Hit>`: the visited set is reset by bumping an epoch, the beam keeps
/// its capacity. One scratch may serve several indexes (it grows to the largest).
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

/// Idle scratches, one mutex-protected stack per CPU: take one (the current CPU's, else any,
/// else a new one), give it back on drop to the stack of the CPU the caller is on then.
///
/// Why per CPU: a search writes its scratch all over (visited tags of ~1 000 nodes, the beam).
/// With one shared stack, consecutive searches on libuv workers that land on different cores
/// hand the same scratch back and forth, and each search first pulls hundreds of its lines from
/// the other core's cache. Keeping a scratch with the CPU that last wrote it avoids that.
/// Without a cheap "which CPU" query (macOS and others; Linux and Windows have one) there is one
/// stack, as before.
pub(crate) struct ScratchPool {
    shards: Box<[Mutex<Vec<HnswScratch>>]>,
    /// Idle scratches kept per shard, so a burst of callers does not pin memory.
    limit: usize,
}

impl ScratchPool {
    pub(crate) fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        let shards = if current_cpu().is_some() { cores } else { 1 };
        ScratchPool {
            shards: (0..shards).map(|_| Mutex::new(Vec::new())).collect(),
            limit: ((2 * cores).max(8)).div_ceil(shards).max(2),
        }
    }

    fn home(&self) -> usize {
        current_cpu().unwrap_or(0) % self.shards.len()
    }

    pub(crate) fn take(&self) -> PooledScratch<'_> {
        let home = self.home();
        let n = self.shards.len();
        // The home shard first; another CPU's idle scratch beats allocating (and zeroing) one.
        let found = (0..n).find_map(|i| self.shards[(home + i) % n].lock().pop());
        PooledScratch { pool: self, scratch: Some(found.unwrap_or_default()) }
    }

    fn give_back(&self, scratch: HnswScratch) {
        let mut idle = self.shards[self.home()].lock();
        if idle.len() < self.limit {
            idle.push(scratch);
        }
    }
}

/// The CPU the calling thread runs on (a hint: the thread may move right after).
#[cfg(target_os = "linux")]
fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu takes no arguments and touches no memory of ours. (glibc answers from
    // the rseq area or the vDSO, with no system call; musl from the vDSO or with one.) A negative
    // result means "unsupported".
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).ok()
}

#[cfg(windows)]
fn current_cpu() -> Option<usize> {
    #[link(name = "kernel32")]
    extern "system" {
        fn GetCurrentProcessorNumber() -> u32;
    }
    // SAFETY: GetCurrentProcessorNumber (kernel32, Windows Vista and later) takes no arguments,
    // touches no memory of ours and cannot fail. With processor groups (> 64 CPUs) the number is
    // within the caller's group: still a fine shard hint.
    Some(unsafe { GetCurrentProcessorNumber() } as usize)
}

/// macOS and the rest: no cheap, stable "which CPU" call; one shared stack.
#[cfg(not(any(target_os = "linux", windows)))]
fn current_cpu() -> Option<usize> {
    None
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
            self.pool.give_back(s);
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

    #[test]
    fn pool_lends_an_idle_scratch_from_any_cpu_before_allocating() {
        let shards = ScratchPool::new().shards.len();
        for shard in 0..shards {
            let pool = ScratchPool::new();
            let mut idle = HnswScratch::new();
            idle.work.visited.reset(100 + shard);
            pool.shards[shard].lock().push(idle);
            assert_eq!(pool.take().work.visited.tags.len(), 100 + shard, "idle scratch of shard {shard}");
        }
    }

    #[test]
    fn pool_keeps_a_bounded_number_of_idle_scratches() {
        let pool = ScratchPool::new();
        let loans: Vec<_> = (0..100).map(|_| pool.take()).collect();
        drop(loans);
        let idle: usize = pool.shards.iter().map(|s| s.lock().len()).sum();
        assert!(idle > 0 && idle <= pool.limit * pool.shards.len(), "{idle} idle");
    }
}
