//! Graph storage, laid out like hnswlib's `data_level0_memory_`: per node one fixed-size
//! level-0 block (header with the layer-0 neighbour list, then the vector) in segments that
//! grow without moving, plus a cold slot per node for its upper layers and its writer lock.
//!
//! Nodes get dense internal numbers (`u32`) in insertion order. Segment `s` holds
//! `1024 · 2^s` nodes, so 23 segments cover every `u32` and the segment table is a fixed
//! array: growing allocates a new segment once (`OnceLock`) and never moves existing nodes,
//! so readers take no lock to reach a node.
//!
//! # The level-0 block
//!
//! ```text
//! word  0          sequence counter of the layer-0 list (see below)
//! word  1          flags: initialization claimed / done
//! words 2, 3       caller id (low, high)
//! word  4          layer-0 neighbour count
//! words 5 ..5+2M   layer-0 neighbours
//! (padding to a multiple of 16 words)
//! words H ..       the vector, stride(d) floats, 64-byte aligned (see `aligned`)
//! ```
//!
//! A segment's blocks start on a 64-byte boundary of one zeroed allocation, and `H` and the
//! block size are multiples of 16 words, so every vector is 64-byte aligned: a distance depends
//! only on the values, never on addresses. A search that reaches a node reads its links and its vector from
//! the same block, one address computation away (no node slot, no `Arc`, no second pointer).
//! Deletion flags live apart, one bit per node in a per-segment bitset (12.5 KiB per 100 000
//! nodes, so it stays in cache): the search tests every candidate it admits, and a flag in the
//! block header would cost a cache miss each time.
//!
//! The header words are only ever accessed as `AtomicU32`. The vector words are written once,
//! with plain stores, by [`NodeStore::init`] while the node number is known to nobody else, and
//! are only read after [`NodeStore::publish`] has released them (see [`NodeStore::vector`]).
//!
//! # Neighbour lists: a per-node sequence lock
//!
//! Each node has a writer mutex (hnswlib's `link_list_locks_`) and sequence counters (one in
//! the level-0 block, one for the upper layers). A writer takes the mutex, makes the counter
//! odd, stores, makes it even. A reader copies a list between two reads of the counter and
//! retries if it changed or was odd, so it always gets a list exactly as some writer left it
//! (never torn) without any write to shared memory: parallel searches, which all read the hot
//! nodes, do not bounce a lock word between cores.

use std::alloc::{handle_alloc_error, Layout as AllocLayout};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;

use parking_lot::{Mutex, MutexGuard};

use crate::aligned::stride;
use crate::distance::normalize_into;
use crate::MemoryUsage;

/// Highest level a node can get (hnswlib has no cap; the chance of reaching it is ~1e-10).
pub(crate) const MAX_LEVEL: usize = 32;

const BASE_SHIFT: u32 = 10;
const SEGMENTS: usize = 23;

/// Header words of a level-0 block (see the module docs).
const W_SEQ: usize = 0;
const W_FLAGS: usize = 1;
const W_ID: usize = 2;
const W_COUNT: usize = 4;

/// The cold part of a node: its top layer, its writer lock and its upper-layer lists.
pub(crate) struct Node {
    /// Top layer of the node (it has neighbour lists for layers `0..=level`).
    pub(crate) level: u8,
    /// Serializes writers of all the node's lists (and lets one read-modify-write a list).
    write: Mutex<()>,
    /// Sequence counter of the upper-layer lists: even while stable, odd while a writer stores.
    upper_seq: AtomicU32,
    /// Layers `1..=level`, each `[count, M slots]`.
    upper: Box<[AtomicU32]>,
}

/// Where each layer's list lives in the plain `[count, slots...]` representation of all of a
/// node's layers: layer 0 is `[count, 2M slots]`, each upper layer `[count, M slots]`
/// (hnswlib's `linklistsizeint` layout). Used by the file format and to split a node's lists
/// between its level-0 block (layer 0) and its upper slots (the rest, offset by `offset(1)`).
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
    pub(crate) fn offset(&self, level: usize) -> usize {
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
}

/// Copies the list `[count, slots...]` guarded by `seq` into `out`: a list exactly as some
/// writer left it.
#[inline]
fn seq_read(seq: &AtomicU32, list: &[AtomicU32], out: &mut Vec<u32>) {
    struct All;
    impl KeepLinks for All {
        fn keep(&mut self, _: u32) -> bool {
            true
        }
        fn undo(&mut self, _: u32) {}
    }
    seq_read_kept(seq, list, out, &mut All);
}

/// Which items of a list a filtered read keeps (see [`NodeStore::read_links_kept`]).
pub(crate) trait KeepLinks {
    /// Whether to keep `n` (remembering that it was kept).
    fn keep(&mut self, n: u32) -> bool;
    /// Forgets that `n` was kept: its read was torn by a writer and is redone.
    fn undo(&mut self, n: u32);
}

/// [`seq_read`] keeping only the items `filter` keeps, straight from the list (no copy of it
/// first: the search reads every expanded node's list this way). Should a writer overlap the
/// read, the items kept so far are undone and the read starts again.
#[inline]
fn seq_read_kept(seq: &AtomicU32, list: &[AtomicU32], out: &mut Vec<u32>, filter: &mut impl KeepLinks) {
    let cap = list.len() - 1;
    let mut spins = 0u32;
    loop {
        let before = seq.load(Ordering::Acquire);
        if before & 1 == 0 {
            out.clear();
            // `min`: a count read mid-write is discarded below but must not over-index.
            let count = (list[0].load(Ordering::Relaxed) as usize).min(cap);
            for x in &list[1..1 + count] {
                let item = x.load(Ordering::Relaxed);
                if filter.keep(item) {
                    out.push(item);
                }
            }
            fence(Ordering::Acquire);
            if seq.load(Ordering::Relaxed) == before {
                return;
            }
            out.iter().for_each(|&item| filter.undo(item));
        }
        // A store takes nanoseconds; a writer preempted mid-store could take a time slice.
        spins += 1;
        if spins < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// Stores with the sequence counter odd (Boehm's seqlock writer: odd, release fence, relaxed
/// stores, even with release). The caller holds the node's writer mutex.
#[inline]
fn seq_store(seq: &AtomicU32, f: impl FnOnce()) {
    let s = seq.load(Ordering::Relaxed);
    seq.store(s.wrapping_add(1), Ordering::Relaxed);
    fence(Ordering::Release);
    f();
    seq.store(s.wrapping_add(2), Ordering::Release);
}

/// One segment's level-0 blocks: a zeroed allocation that never moves, used from its first
/// 64-byte boundary on.
///
/// On Unix it is its own anonymous memory map (fresh zero pages from the OS, page aligned),
/// returned to the OS by `munmap` when the segment is dropped. Not `malloc`: glibc raises its
/// mmap threshold to the size of each large block it frees (up to 32 MiB), after which blocks of
/// that size come from its heaps, where the segments of graphs dropped by compactions fragment
/// and stay resident: measured on a 20 000 × 64 index under add/remove churn (a compaction
/// every few seconds), RSS grew 174 → 290 MB in 3 minutes with segments from `calloc`, and
/// stayed at 150–180 MB with the threshold pinned (docs/benchmarks/soak.md). Elsewhere it comes
/// from the global allocator, requested with alignment 16, not 64: for an alignment above 16
/// the system allocator zeroes with `memset` (touching every page), while for 16 it calls
/// `calloc`, which gets a large block as fresh zero pages from the OS (Windows' heap serves
/// blocks above 512 KiB straight from `VirtualAlloc` and releases them on free), so the unused
/// tail of the newest segment costs no memory.
struct Blocks {
    /// What was allocated (freed in `drop` by [`free_zeroed`]).
    alloc: NonNull<u8>,
    /// Bytes allocated.
    bytes: usize,
    /// The first 64-byte aligned word inside it.
    base: NonNull<u32>,
}

// SAFETY: `Blocks` owns its allocation (like a `Box<[u32]>`). Other threads only touch it
// through `NodeStore`, which accesses header words exclusively as `AtomicU32` and vector words
// either by the single initializing thread before publication or read-only afterwards (see
// `NodeStore::init` and `NodeStore::vector`), so sharing and sending it is free of data races.
unsafe impl Send for Blocks {}
// SAFETY: see `Send` above.
unsafe impl Sync for Blocks {}

impl Blocks {
    fn new(words: usize) -> Self {
        let bytes = words.checked_mul(4).and_then(|b| b.checked_add(64)).expect("segment size fits usize");
        let alloc = alloc_zeroed_pages(bytes);
        let ptr = alloc.as_ptr();
        // At most 48 bytes in (the allocation is at least 16-byte aligned), so `words` words
        // still fit.
        let skip = ptr.align_offset(64);
        assert!(skip <= 48, "a 16-byte aligned pointer is at most 48 bytes below a 64-byte boundary");
        let base = NonNull::new(ptr.wrapping_add(skip) as *mut u32).expect("inside a non-null allocation");
        advise_huge_pages(ptr, bytes);
        Blocks { alloc, bytes, base }
    }
}

/// `bytes` (> 0) zeroed bytes, at least 16-byte aligned: an anonymous private memory map.
#[cfg(unix)]
fn alloc_zeroed_pages(bytes: usize) -> NonNull<u8> {
    // SAFETY: a new anonymous private mapping overlaps nothing of ours (no address is given);
    // its pages read as zero, are page aligned, and are ours alone until `free_zeroed` unmaps
    // them. A failure is reported as MAP_FAILED, handled below.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        handle_alloc_error(AllocLayout::from_size_align(bytes, 16).expect("segment size fits isize"));
    }
    NonNull::new(ptr as *mut u8).expect("mmap never maps address 0 without MAP_FIXED")
}

/// Releases what [`alloc_zeroed_pages`] returned for `bytes`.
///
/// # Safety
/// `ptr` and `bytes` are one earlier allocation's, not yet released, and nothing uses it after.
#[cfg(unix)]
unsafe fn free_zeroed(ptr: NonNull<u8>, bytes: usize) {
    // SAFETY: by the contract, exactly one live mapping of `bytes` bytes at `ptr`. A failure
    // (impossible for a whole mapping of ours) would only leak it.
    unsafe {
        libc::munmap(ptr.as_ptr() as *mut libc::c_void, bytes);
    }
}

/// `bytes` (> 0) zeroed bytes, 16-byte aligned, from the global allocator (`calloc`).
#[cfg(not(unix))]
fn alloc_zeroed_pages(bytes: usize) -> NonNull<u8> {
    let layout = AllocLayout::from_size_align(bytes, 16).expect("segment size fits isize");
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    NonNull::new(ptr).unwrap_or_else(|| handle_alloc_error(layout))
}

/// Releases what [`alloc_zeroed_pages`] returned for `bytes`.
///
/// # Safety
/// `ptr` and `bytes` are one earlier allocation's, not yet released, and nothing uses it after.
#[cfg(not(unix))]
unsafe fn free_zeroed(ptr: NonNull<u8>, bytes: usize) {
    let layout = AllocLayout::from_size_align(bytes, 16).expect("segment size fits isize");
    // SAFETY: by the contract, allocated by `alloc_zeroed` with exactly this layout, freed once.
    unsafe { std::alloc::dealloc(ptr.as_ptr(), layout) }
}

/// Asks Linux to back the whole 2 MiB pages inside a large segment with transparent huge pages
/// (with THP in "madvise" mode, the default of many distributions, nothing else gets them): a
/// search touches a few random blocks per node it expands, and with 4 KiB pages nearly each one
/// is a TLB miss. Advisory only; ignored where unsupported.
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 2 * HUGE {
        return;
    }
    let start = ptr.wrapping_add(ptr.align_offset(HUGE));
    let len = (bytes - ptr.align_offset(HUGE)) / HUGE * HUGE;
    if len == 0 {
        return;
    }
    // SAFETY: `start..start + len` lies inside our live allocation; MADV_HUGEPAGE changes only
    // how the kernel backs the pages (their contents, zero or written, stay as they are), so no
    // Rust-visible memory changes. A failure (old kernel, THP disabled) is harmless and ignored.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _bytes: usize) {}

impl Drop for Blocks {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` by `alloc_zeroed_pages(self.bytes)`, freed once, here.
        unsafe { free_zeroed(self.alloc, self.bytes) }
    }
}

struct Segment {
    nodes: Box<[OnceLock<Node>]>,
    blocks: Blocks,
    /// One bit per node: deleted (tombstone).
    deleted: Box<[AtomicU64]>,
}

/// All nodes, by internal number.
pub(crate) struct NodeStore {
    segments: [OnceLock<Segment>; SEGMENTS],
    layout: Layout,
    dims: usize,
    /// Words of one level-0 block, and where its vector starts.
    block_words: usize,
    vec_word: usize,
    /// Nodes `0..filled` are initialized; stored with `Release` after their `init`.
    filled: AtomicU32,
    /// Words of all nodes' upper-layer lists (for [`memory`](Self::memory)).
    upper_words: AtomicU64,
}

/// Flags word bits: `init` has started (claims the block) / finished.
const FLAG_CLAIMED: u32 = 2;
const FLAG_READY: u32 = 4;

/// Which cache a prefetched line is pulled into: L1 (and below), or L2 (and below) only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cache {
    L1,
    L2,
}

/// A hint to pull the cache line at `p` into L1, or with `INTO_L2` into L2 only. Never faults,
/// whatever `p` is.
#[inline(always)]
fn prefetch<const INTO_L2: bool>(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0, _MM_HINT_T1};
        // SAFETY: PREFETCHT0/T1 are pure hints: they read no architectural state, never fault
        // (not even on an unmapped or null address) and have no effect on program semantics.
        // SSE is part of the x86_64 baseline, so the instructions always exist.
        unsafe {
            if INTO_L2 {
                _mm_prefetch::<_MM_HINT_T1>(p as *const i8)
            } else {
                _mm_prefetch::<_MM_HINT_T0>(p as *const i8)
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // `core::arch::aarch64::_prefetch` is not stable yet: no-op elsewhere.
        let _ = p;
    }
}

impl NodeStore {
    pub(crate) fn new(layout: Layout, dims: usize) -> Self {
        let header = (W_COUNT + 1 + layout.m0).div_ceil(16) * 16;
        NodeStore {
            segments: std::array::from_fn(|_| OnceLock::new()),
            layout,
            dims,
            block_words: header + stride(dims),
            vec_word: header,
            filled: AtomicU32::new(0),
            upper_words: AtomicU64::new(0),
        }
    }

    /// (segment, index within it) of node `i`.
    #[inline]
    fn locate(i: u32) -> (usize, usize) {
        let block = (u64::from(i) >> BASE_SHIFT) + 1;
        let seg = 63 - block.leading_zeros() as usize;
        let start = ((1u64 << seg) - 1) << BASE_SHIFT;
        (seg, (u64::from(i) - start) as usize)
    }

    /// Nodes initialized and published (tombstones included).
    #[inline]
    pub(crate) fn count(&self) -> usize {
        self.filled.load(Ordering::Acquire) as usize
    }

    /// Word 0 of node `i`'s level-0 block, and its segment; `None` if the segment does not
    /// exist (`i` was never reserved).
    #[inline(always)]
    fn block(&self, i: u32) -> Option<(*mut u32, &Segment)> {
        let (seg, off) = Self::locate(i);
        let s = self.segments[seg].get()?;
        Some((s.blocks.base.as_ptr().wrapping_add(off * self.block_words), s))
    }

    /// The header words of node `i`'s level-0 block.
    #[inline(always)]
    fn header(&self, i: u32) -> &[AtomicU32] {
        let (p, _) = self.block(i).expect("a published node number has an allocated segment");
        // SAFETY: the segment holds `1024 · 2^seg` blocks of `block_words` words and `i`'s offset
        // in it is below that, so the `vec_word` words at `p` lie inside the live allocation
        // (freed only when `self` is dropped, which the returned borrow prevents). `p` is 4-byte
        // aligned (the blocks start 64-byte aligned, offsets are whole words) and the memory
        // was zeroed, so it holds valid `AtomicU32`s (same size as `u32`, alignment 4). Header
        // words are never accessed other than through `AtomicU32`, so this view cannot race.
        unsafe { std::slice::from_raw_parts(p as *const AtomicU32, self.vec_word) }
    }

    /// Node `i`'s vector (`dims` floats, 64-byte aligned, normalized under cosine).
    ///
    /// Panics if `i` is not published (never happens: every node number a reader holds came
    /// from a neighbour list, the entry point or the id map, all written after publication).
    #[inline(always)]
    pub(crate) fn vector(&self, i: u32) -> &[f32] {
        assert!(i < self.filled.load(Ordering::Acquire), "node {i} is not published");
        let (p, _) = self.block(i).expect("a published node has an allocated segment");
        // SAFETY: in bounds of the live segment allocation as in `header` (the vector's
        // `stride(dims) ≥ dims` words end the block); `f32` has `u32`'s size and alignment and
        // every bit pattern is a valid `f32`. These words are written only by `init(i)`, once
        // (the CLAIMED flag admits one initializer), which sets READY with `Release` after
        // writing; `publish` loaded READY with `Acquire` before storing a `filled` above `i` with
        // `Release`, and the `Acquire` load above saw that (or a later) store. So the writes
        // happen before this read and no write follows: no data race, and the memory is not
        // mutated while the returned shared slice lives.
        unsafe { std::slice::from_raw_parts(p.wrapping_add(self.vec_word) as *const f32, self.dims) }
    }

    /// Hints the CPU to fetch node `i`'s vector (a search is about to compute its distance).
    #[inline(always)]
    pub(crate) fn prefetch_vector(&self, i: u32, cache: Cache) {
        if let Some((p, _)) = self.block(i) {
            let v = p.wrapping_add(self.vec_word) as *const u8;
            // The whole vector: measured faster than its first lines only (the kernel reads all
            // of it at once, faster than the hardware prefetcher ramps up).
            let mut off = 0;
            while off < self.dims * 4 {
                let line = v.wrapping_add(off);
                match cache {
                    Cache::L1 => prefetch::<false>(line),
                    Cache::L2 => prefetch::<true>(line),
                }
                off += 64;
            }
        }
    }

    /// Hints the CPU to fetch node `i`'s level-0 header (flags, id, links).
    #[inline(always)]
    pub(crate) fn prefetch_links(&self, i: u32) {
        if let Some((p, _)) = self.block(i) {
            let p = p as *const u8;
            // Up to the last link word (the header is a multiple of 64 bytes).
            let mut off = 0;
            while off < (W_COUNT + 1 + self.layout.m0) * 4 {
                prefetch::<false>(p.wrapping_add(off));
                off += 64;
            }
        }
    }

    /// The caller's id of node `i`.
    #[inline]
    pub(crate) fn id(&self, i: u32) -> u64 {
        let h = self.header(i);
        u64::from(h[W_ID].load(Ordering::Relaxed)) | (u64::from(h[W_ID + 1].load(Ordering::Relaxed)) << 32)
    }

    /// The word and bit of node `i`'s deletion flag.
    #[inline(always)]
    fn deleted_bit(&self, i: u32) -> (&AtomicU64, u64) {
        let (seg, off) = Self::locate(i);
        let s = self.segments[seg].get().expect("a published node number has an allocated segment");
        (&s.deleted[off / 64], 1u64 << (off % 64))
    }

    #[inline]
    pub(crate) fn is_deleted(&self, i: u32) -> bool {
        let (word, bit) = self.deleted_bit(i);
        word.load(Ordering::Acquire) & bit != 0
    }

    pub(crate) fn mark_deleted(&self, i: u32) {
        let (word, bit) = self.deleted_bit(i);
        word.fetch_or(bit, Ordering::Release);
    }

    /// Node `i`'s cold slot, if filled.
    #[inline]
    pub(crate) fn try_get(&self, i: u32) -> Option<&Node> {
        let (seg, off) = Self::locate(i);
        self.segments[seg].get().and_then(|s| s.nodes[off].get())
    }

    /// Node `i`'s cold slot, which must be filled.
    #[inline]
    pub(crate) fn get(&self, i: u32) -> &Node {
        self.try_get(i).expect("a published node number always has a filled slot")
    }

    /// Fills node `i` (its number reserved by the caller, not yet published): id, level,
    /// vector (normalized to unit length when `normalize`; the caller checked it is not zero)
    /// and lists (`lists` in the [`Layout`]'s plain form, or empty). Panics if `i` was filled
    /// before.
    pub(crate) fn init(&self, i: u32, id: u64, level: u8, vector: &[f32], normalize: bool, lists: Option<&[u32]>) {
        assert_eq!(vector.len(), self.dims);
        let (seg, off) = Self::locate(i);
        let count = 1usize << (seg as u32 + BASE_SHIFT);
        let segment = self.segments[seg].get_or_init(|| Segment {
            nodes: (0..count).map(|_| OnceLock::new()).collect(),
            blocks: Blocks::new(count.checked_mul(self.block_words).expect("segment size fits usize")),
            deleted: (0..count.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
        });
        let h = self.header(i);
        let claimed = h[W_FLAGS].fetch_or(FLAG_CLAIMED, Ordering::AcqRel);
        assert!(claimed & FLAG_CLAIMED == 0, "node slot {i} filled twice");
        h[W_ID].store(id as u32, Ordering::Relaxed);
        h[W_ID + 1].store((id >> 32) as u32, Ordering::Relaxed);
        let upper_len = self.layout.offset(level as usize + 1) - self.layout.offset(1);
        let upper: Box<[AtomicU32]> = match lists {
            Some(raw) => {
                let l0 = self.layout.offset(1);
                for (slot, &x) in h[W_COUNT..W_COUNT + l0].iter().zip(&raw[..l0]) {
                    slot.store(x, Ordering::Relaxed);
                }
                raw[l0..l0 + upper_len].iter().map(|&x| AtomicU32::new(x)).collect()
            }
            None => (0..upper_len).map(|_| AtomicU32::new(0)).collect(),
        };
        let p = segment.blocks.base.as_ptr().wrapping_add(off * self.block_words + self.vec_word) as *mut f32;
        // SAFETY: in bounds of the live segment allocation (see `header`), aligned, valid for
        // any bits. Exclusive: the CLAIMED flag (set above by an atomic read-modify-write that
        // found it clear) admits one caller per node, and no reader touches these words before
        // `vector(i)` is allowed, which needs READY (set below, after this borrow ends).
        let dst = unsafe { std::slice::from_raw_parts_mut(p, self.dims) };
        if normalize {
            let ok = normalize_into(vector, dst);
            debug_assert!(ok, "zero vectors are rejected before init");
        } else {
            dst.copy_from_slice(vector);
        }
        self.upper_words.fetch_add(upper_len as u64, Ordering::Relaxed);
        let filled =
            segment.nodes[off].set(Node { level, write: Mutex::new(()), upper_seq: AtomicU32::new(0), upper }).is_ok();
        debug_assert!(filled, "node slot {i} filled twice");
        h[W_FLAGS].fetch_or(FLAG_READY, Ordering::Release);
    }

    /// Bytes of the allocated segments and of the upper-layer lists, by kind (the registry's
    /// map is the index's, not counted here). `O(segments)`, no lock.
    pub(crate) fn memory(&self) -> MemoryUsage {
        const WORD: u64 = std::mem::size_of::<u32>() as u64;
        let mut usage = MemoryUsage::default();
        for (seg, s) in self.segments.iter().enumerate() {
            let Some(s) = s.get() else { continue };
            let count = 1u64 << (seg as u32 + BASE_SHIFT);
            let vector = count * (self.block_words - self.vec_word) as u64 * WORD;
            let ids = count * 2 * WORD;
            let header = count * self.vec_word as u64 * WORD - ids;
            usage.vector_bytes += vector;
            usage.id_bytes += ids;
            usage.graph_bytes += header + (s.nodes.len() * std::mem::size_of::<OnceLock<Node>>()) as u64;
            usage.other_bytes += (s.blocks.bytes as u64).saturating_sub(vector + ids + header)
                + (s.deleted.len() * std::mem::size_of::<AtomicU64>()) as u64;
        }
        usage.graph_bytes += self.upper_words.load(Ordering::Relaxed) * WORD;
        usage
    }

    /// Makes nodes `0..end` visible to readers; every one of them must have been `init`ed.
    pub(crate) fn publish(&self, end: u32) {
        let from = self.filled.load(Ordering::Acquire);
        for i in from..end {
            let ready = self.block(i).is_some() && self.header(i)[W_FLAGS].load(Ordering::Acquire) & FLAG_READY != 0;
            assert!(ready, "node {i} published before it was filled");
        }
        self.filled.fetch_max(end, Ordering::AcqRel);
    }

    /// Copies node `i`'s neighbours on `level` into `out` (an untorn snapshot, see the module
    /// docs). The node must have that layer.
    #[inline]
    pub(crate) fn read_links(&self, i: u32, level: usize, out: &mut Vec<u32>) {
        let (seq, list) = self.links_of(i, level);
        seq_read(seq, list, out);
    }

    /// Node `i`'s neighbours on `level` that `filter` keeps, into `out`, from an untorn
    /// snapshot read in place (no copy of the whole list first).
    #[inline]
    pub(crate) fn read_links_kept(&self, i: u32, level: usize, out: &mut Vec<u32>, filter: &mut impl KeepLinks) {
        let (seq, list) = self.links_of(i, level);
        seq_read_kept(seq, list, out, filter);
    }

    /// The sequence counter and the `[count, slots...]` words of node `i`'s list on `level`.
    #[inline(always)]
    fn links_of(&self, i: u32, level: usize) -> (&AtomicU32, &[AtomicU32]) {
        if level == 0 {
            let h = self.header(i);
            (&h[W_SEQ], &h[W_COUNT..W_COUNT + 1 + self.layout.m0])
        } else {
            let node = self.get(i);
            let o = self.layout.offset(level) - self.layout.offset(1);
            (&node.upper_seq, &node.upper[o..o + 1 + self.layout.m])
        }
    }

    /// Takes node `i`'s writer lock.
    pub(crate) fn lock(&self, i: u32) -> LinksGuard<'_> {
        let node = self.get(i);
        LinksGuard { store: self, node, header: self.header(i), _guard: node.write.lock() }
    }
}

/// Exclusive access to a node's lists (other writers wait; readers go on, and retry a read
/// that overlaps a store).
pub(crate) struct LinksGuard<'a> {
    store: &'a NodeStore,
    node: &'a Node,
    header: &'a [AtomicU32],
    _guard: MutexGuard<'a, ()>,
}

impl<'a> LinksGuard<'a> {
    /// The sequence counter and the `[count, slots...]` words of one layer.
    #[inline]
    fn list(&self, level: usize) -> (&'a AtomicU32, &'a [AtomicU32]) {
        let layout = self.store.layout;
        if level == 0 {
            (&self.header[W_SEQ], &self.header[W_COUNT..W_COUNT + 1 + layout.m0])
        } else {
            let o = layout.offset(level) - layout.offset(1);
            (&self.node.upper_seq, &self.node.upper[o..o + 1 + layout.m])
        }
    }

    /// Copies one layer's list into `out` (no writer can interfere).
    pub(crate) fn read(&self, level: usize, out: &mut Vec<u32>) {
        let (_, list) = self.list(level);
        let count = (list[0].load(Ordering::Relaxed) as usize).min(list.len() - 1);
        out.clear();
        out.extend(list[1..1 + count].iter().map(|x| x.load(Ordering::Relaxed)));
    }

    /// Replaces one layer's list (at most `cap(level)` items).
    pub(crate) fn set(&mut self, level: usize, items: &[u32]) {
        let (seq, list) = self.list(level);
        let count = items.len().min(list.len() - 1);
        seq_store(seq, || {
            for (slot, &id) in list[1..1 + count].iter().zip(items) {
                slot.store(id, Ordering::Relaxed);
            }
            list[0].store(count as u32, Ordering::Relaxed);
        });
    }

    /// Appends to a layer's list that has room.
    pub(crate) fn push(&mut self, level: usize, id: u32) {
        let (seq, list) = self.list(level);
        let count = list[0].load(Ordering::Relaxed) as usize;
        debug_assert!(count < list.len() - 1);
        if count < list.len() - 1 {
            seq_store(seq, || {
                list[1 + count].store(id, Ordering::Relaxed);
                list[0].store(count as u32 + 1, Ordering::Relaxed);
            });
        }
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
    use std::sync::atomic::AtomicBool;

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
        l.set(&mut links, 0, [1, 2, 3, 4].into_iter());
        l.set(&mut links, 2, [9].into_iter());
        assert_eq!(l.list(&links, 0), [1, 2, 3, 4]);
        assert_eq!(l.list(&links, 1), [] as [u32; 0]);
        assert_eq!(l.list(&links, 2), [9]);
    }

    #[test]
    fn blocks_hold_aligned_vectors_ids_and_lists() {
        for (m, d) in [(2usize, 1usize), (16, 128), (5, 17), (64, 3)] {
            let layout = Layout::new(m);
            let store = NodeStore::new(layout, d);
            let n = 2100u32; // spans two segments
            for i in 0..n {
                let v: Vec<f32> = (0..d).map(|j| (i as usize * d + j) as f32).collect();
                let mut raw = layout.empty(1);
                layout.set(&mut raw, 0, [i, i + 1].into_iter());
                layout.set(&mut raw, 1, [i + 2].into_iter());
                store.init(i, u64::MAX - u64::from(i), 1, &v, false, Some(&raw));
            }
            store.publish(n);
            assert_eq!(store.count(), n as usize);
            let mut out = Vec::new();
            for i in 0..n {
                let v = store.vector(i);
                assert!((v.as_ptr() as usize).is_multiple_of(64), "m {m} d {d} node {i}");
                assert_eq!(v[0], (i as usize * d) as f32);
                assert_eq!(v[d - 1], (i as usize * d + d - 1) as f32);
                assert_eq!(store.id(i), u64::MAX - u64::from(i));
                store.read_links(i, 0, &mut out);
                assert_eq!(out, [i, i + 1]);
                store.read_links(i, 1, &mut out);
                assert_eq!(out, [i + 2]);
                assert!(!store.is_deleted(i));
            }
            store.mark_deleted(7);
            assert!(store.is_deleted(7) && !store.is_deleted(8));
        }
    }

    #[test]
    #[should_panic(expected = "not published")]
    fn unpublished_vectors_are_refused() {
        let store = NodeStore::new(Layout::new(2), 4);
        store.init(0, 1, 0, &[1.0; 4], false, None);
        let _ = store.vector(0);
    }

    /// Keeps odd items, remembering them (as the visited set marks nodes).
    #[derive(Default)]
    struct OddMarks {
        marked: std::collections::HashSet<u32>,
    }

    impl KeepLinks for OddMarks {
        fn keep(&mut self, n: u32) -> bool {
            n % 2 == 1 && self.marked.insert(n)
        }
        fn undo(&mut self, n: u32) {
            assert!(self.marked.remove(&n), "undo of {n}, which was not kept");
        }
    }

    #[test]
    fn links_read_what_was_written_even_under_concurrent_writes() {
        let layout = Layout::new(4);
        let store = NodeStore::new(layout, 2);
        store.init(0, 0, 1, &[0.0, 0.0], false, None);
        store.publish(1);
        let writer_lists: Vec<Vec<u32>> = (0..9u32).map(|n| (0..n).map(|i| n * 100 + i).collect()).collect();
        let stop = AtomicBool::new(false);
        for level in [0, 1] {
            let cap = layout.cap(level);
            std::thread::scope(|s| {
                s.spawn(|| {
                    for round in 0..20_000usize {
                        let list = &writer_lists[round % (cap + 1)];
                        store.lock(0).set(level, list);
                    }
                    stop.store(true, Ordering::Release);
                });
                let mut out = Vec::new();
                let mut odd = OddMarks::default();
                while !stop.load(Ordering::Acquire) {
                    store.read_links(0, level, &mut out);
                    assert!(writer_lists.contains(&out), "torn read {out:?}");
                    // In place and filtered: what is kept, and only that, stays marked.
                    odd.marked.clear();
                    store.read_links_kept(0, level, &mut out, &mut odd);
                    let want = |l: &Vec<u32>| l.iter().copied().filter(|x| x % 2 == 1).collect::<Vec<u32>>();
                    assert!(writer_lists.iter().any(|l| want(l) == out), "torn filtered read {out:?}");
                    let mut marked: Vec<u32> = odd.marked.iter().copied().collect();
                    marked.sort_unstable();
                    assert_eq!(marked, out, "marks of a torn read were not undone");
                }
            });
            stop.store(false, Ordering::Release);
        }
        let mut g = store.lock(0);
        g.set(1, &[1, 2]);
        g.push(1, 3);
        let mut out = Vec::new();
        g.read(1, &mut out);
        assert_eq!(out, [1, 2, 3]);
        drop(g);
        store.read_links(0, 1, &mut out);
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn entry_point_packs() {
        let e = EntryPoint::new(None);
        assert_eq!(e.load(), None);
        e.store(u32::MAX - 1, 31);
        assert_eq!(e.load(), Some((u32::MAX - 1, 31)));
    }
}
