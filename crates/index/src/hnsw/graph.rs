//! Graph storage: nodes in segments that grow without moving, neighbour lists behind per-node
//! locks, and the entry point.
//!
//! Nodes get dense internal numbers (`u32`) in insertion order. Segment `s` holds
//! `1024 · 2^s` node slots, so 23 segments cover every `u32` and the segment table is a fixed
//! array: growing allocates a new segment once (`OnceLock`) and never moves existing nodes,
//! so readers take no lock to reach a node. A node slot is filled once, before the node is
//! reachable from anywhere (id map, neighbour lists, entry point), and then only its
//! `deleted` flag and its neighbour lists change; the lists only under the node's mutex
//! (hnswlib's `link_list_locks_`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

/// Highest level a node can get (hnswlib has no cap; the chance of reaching it is ~1e-10).
pub(crate) const MAX_LEVEL: usize = 32;

const BASE_SHIFT: u32 = 10;
const SEGMENTS: usize = 23;

/// One graph node.
pub(crate) struct Node {
    /// The caller's id.
    pub(crate) id: u64,
    /// Top layer of the node (it has neighbour lists for layers `0..=level`).
    pub(crate) level: u8,
    deleted: AtomicBool,
    /// The vectors of the node's insertion batch (or of the loaded file); this node's row starts
    /// at `start`. One contiguous buffer per batch, shared by reference counting.
    vectors: Arc<[f32]>,
    start: usize,
    /// Neighbour lists of all the node's layers, in the [`Layout`].
    pub(crate) links: Mutex<Box<[u32]>>,
}

impl Node {
    pub(crate) fn new(id: u64, level: u8, vectors: Arc<[f32]>, start: usize, links: Box<[u32]>) -> Self {
        Node { id, level, deleted: AtomicBool::new(false), vectors, start, links: Mutex::new(links) }
    }

    #[inline]
    pub(crate) fn vector(&self, dims: usize) -> &[f32] {
        &self.vectors[self.start..self.start + dims]
    }

    #[inline]
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    pub(crate) fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::Release)
    }
}

/// Where each layer's list lives in a node's `links`: layer 0 is `[count, 2M slots]`, each
/// upper layer `[count, M slots]` (hnswlib's `linklistsizeint` layout, in one allocation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    pub(crate) m: usize,
    pub(crate) m0: usize,
}

impl Layout {
    pub(crate) fn new(m: usize) -> Self {
        Layout { m, m0: 2 * m }
    }

    /// Capacity of a layer's list.
    #[inline]
    pub(crate) fn cap(&self, level: usize) -> usize {
        if level == 0 {
            self.m0
        } else {
            self.m
        }
    }

    #[inline]
    fn offset(&self, level: usize) -> usize {
        if level == 0 {
            0
        } else {
            (1 + self.m0) + (level - 1) * (1 + self.m)
        }
    }

    /// Empty lists for a node of top layer `level`.
    pub(crate) fn empty(&self, level: usize) -> Box<[u32]> {
        vec![0u32; self.offset(level + 1)].into_boxed_slice()
    }

    /// The neighbours of one layer (the node must have that layer).
    #[inline]
    pub(crate) fn list<'a>(&self, links: &'a [u32], level: usize) -> &'a [u32] {
        let o = self.offset(level);
        let count = links[o] as usize;
        &links[o + 1..o + 1 + count]
    }

    /// Replaces one layer's list (at most `cap(level)` items).
    pub(crate) fn set(&self, links: &mut [u32], level: usize, items: impl ExactSizeIterator<Item = u32>) {
        let o = self.offset(level);
        debug_assert!(items.len() <= self.cap(level));
        let count = items.len().min(self.cap(level));
        for (slot, id) in links[o + 1..o + 1 + count].iter_mut().zip(items) {
            *slot = id;
        }
        links[o] = count as u32;
    }

    /// Appends to a layer's list that has room.
    pub(crate) fn push(&self, links: &mut [u32], level: usize, id: u32) {
        let o = self.offset(level);
        let count = links[o] as usize;
        debug_assert!(count < self.cap(level));
        links[o + 1 + count] = id;
        links[o] = count as u32 + 1;
    }
}

type Segment = Box<[OnceLock<Node>]>;

/// All nodes, by internal number.
pub(crate) struct NodeStore {
    segments: [OnceLock<Segment>; SEGMENTS],
}

impl NodeStore {
    pub(crate) fn new() -> Self {
        NodeStore { segments: std::array::from_fn(|_| OnceLock::new()) }
    }

    /// (segment, index within it) of node `i`.
    #[inline]
    fn locate(i: u32) -> (usize, usize) {
        let block = (u64::from(i) >> BASE_SHIFT) + 1;
        let seg = 63 - block.leading_zeros() as usize;
        let start = ((1u64 << seg) - 1) << BASE_SHIFT;
        (seg, (u64::from(i) - start) as usize)
    }

    /// Node `i`, if its slot is filled.
    #[inline]
    pub(crate) fn try_get(&self, i: u32) -> Option<&Node> {
        let (seg, off) = Self::locate(i);
        self.segments[seg].get().and_then(|s| s[off].get())
    }

    /// Node `i`, which must be filled: every number that reaches a reader (from a neighbour
    /// list, the entry point or the id map) was filled before it was published there.
    #[inline]
    pub(crate) fn get(&self, i: u32) -> &Node {
        self.try_get(i).expect("a published node number always has a filled slot")
    }

    /// Fills slot `i` (each slot is filled exactly once, by whoever reserved the number).
    pub(crate) fn init(&self, i: u32, node: Node) {
        let (seg, off) = Self::locate(i);
        let segment = self.segments[seg]
            .get_or_init(|| (0..(1usize << (seg as u32 + BASE_SHIFT))).map(|_| OnceLock::new()).collect());
        let filled = segment[off].set(node).is_ok();
        debug_assert!(filled, "node slot {i} filled twice");
    }
}

/// The entry point `(node, top level)` packed in one atomic, so a reader sees a consistent pair.
pub(crate) struct EntryPoint(AtomicU64);

impl EntryPoint {
    const NONE: u64 = u64::MAX;

    pub(crate) fn new(entry: Option<(u32, usize)>) -> Self {
        let e = EntryPoint(AtomicU64::new(Self::NONE));
        if let Some((node, level)) = entry {
            e.store(node, level);
        }
        e
    }

    #[inline]
    pub(crate) fn load(&self) -> Option<(u32, usize)> {
        match self.0.load(Ordering::Acquire) {
            Self::NONE => None,
            v => Some(((v >> 32) as u32, (v & 0xffff_ffff) as usize)),
        }
    }

    pub(crate) fn store(&self, node: u32, level: usize) {
        self.0.store((u64::from(node) << 32) | level as u64, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_u32_contiguously() {
        let mut expected = (0usize, 0usize);
        for i in 0..50_000u32 {
            let got = NodeStore::locate(i);
            if got.0 != expected.0 {
                assert_eq!(got, (expected.0 + 1, 0), "node {i}");
            } else {
                assert_eq!(got, expected, "node {i}");
            }
            assert!(got.1 < 1 << (got.0 as u32 + BASE_SHIFT));
            expected = (got.0, got.1 + 1);
        }
        let (seg, off) = NodeStore::locate(u32::MAX);
        assert!(seg < SEGMENTS && off < 1 << (seg as u32 + BASE_SHIFT));
    }

    #[test]
    fn layout_lists() {
        let l = Layout::new(2);
        let mut links = l.empty(2);
        assert_eq!(links.len(), 5 + 3 + 3);
        l.set(&mut links, 0, [1, 2, 3].into_iter());
        l.push(&mut links, 0, 4);
        l.set(&mut links, 2, [9].into_iter());
        assert_eq!(l.list(&links, 0), [1, 2, 3, 4]);
        assert_eq!(l.list(&links, 1), [] as [u32; 0]);
        assert_eq!(l.list(&links, 2), [9]);
    }

    #[test]
    fn entry_point_packs() {
        let e = EntryPoint::new(None);
        assert_eq!(e.load(), None);
        e.store(u32::MAX - 1, 31);
        assert_eq!(e.load(), Some((u32::MAX - 1, 31)));
    }
}
