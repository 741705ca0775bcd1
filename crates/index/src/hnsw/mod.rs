//! [`HnswIndex`]: a Hierarchical Navigable Small World graph, after hnswlib's `hnswalg.h`.
//!
//! * Levels: `floor(-ln(u) · 1/ln(M))` from a seeded generator, in insertion order, so the
//!   same seed and order give the same levels.
//! * Reproducible: a batch add links its nodes in rounds (see `insert::link_rounds`), so the
//!   same data, parameters, seed and sequence of `add` calls give the same graph, byte for
//!   byte in the saved file, on any number of threads (not when several adds run at once).
//! * Layer 0 keeps up to `2·M` neighbours, upper layers `M`; neighbours are chosen with the
//!   paper's heuristic (hnswlib's `getNeighborsByHeuristic2`), also when a full list is pruned.
//! * Deletion leaves a tombstone: the node still routes searches but is never returned.
//!
//! # Concurrency
//!
//! Searches take no index-wide lock and write no shared memory: neighbour lists are written
//! under a per-node mutex and read under a per-node sequence lock (see `graph`); an insert first computes and stores the new node's own lists on every layer and only
//! then adds the back-links that make it reachable, so a search sees a node either fully
//! linked or not at all. An insert that raises the top level holds a global mutex for its
//! whole insertion and publishes the new entry point last. Node storage grows in segments
//! that never move, with each node's layer-0 list and vector in one block (see `graph`). Adds and removes share a "writers" lock that `save` takes
//! exclusively, so a file is a consistent snapshot; searches go on during a save.

mod graph;
mod insert;
mod search;
mod visited;

use std::any::Any;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::{Mutex, RwLock};
use rayon::prelude::*;

use crate::idmap::{map_bytes, IdMap};
use crate::persist::{self, Encoder, FileChecksum, Header, Loaded};
use crate::validate;
use crate::{Hit, HnswParams, IndexError, IndexKind, MemoryUsage, Metric, Result, SearchParams, VectorIndex};
use graph::{EntryPoint, Layout, NodeStore, MAX_LEVEL};
pub use visited::HnswScratch;
use visited::ScratchPool;

/// Node numbers are `u32`; `u32::MAX` is reserved.
const MAX_NODES: u64 = u32::MAX as u64 - 1;

/// Who is where: caller id → node of the live vector with that id, plus the number of the
/// next node and the level generator, all changed together under one lock.
struct Registry {
    map: IdMap<u32>,
    next: u32,
    rng: u64,
}

/// splitmix64: a tiny, well-mixed, reproducible generator for node levels.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An approximate nearest-neighbour index (HNSW graph, after hnswlib).
///
/// * **Parameters**: see [`HnswParams`]; `ef_search` can be changed at any time with
///   [`set_ef_search`](Self::set_ef_search) or per query with [`SearchParams::ef`]. A search
///   uses a beam of `max(ef, k)`.
/// * **Deletion** leaves a tombstone: the node keeps routing searches but is never returned,
///   and its id may be added again (as a new node). Tombstones are kept in saved files too
///   ([`node_count`](Self::node_count) counts them); there is no compaction yet.
/// * **Filters**: a filter with `|filter|² ≤ 8 · max(ef, k) · node_count` is answered by an
///   exact scan of the filter's ids (cheaper than a graph walk that must skip most nodes, and
///   exact); a larger one by the graph walk, which skips filtered-out and deleted nodes when
///   collecting results but still walks through them.
/// * **k results**: whenever at least `k` live (and allowed) vectors exist, `k` come back; if
///   the walk reaches fewer (mass deletion, nodes the pruned graph no longer reaches), an exact
///   scan answers instead.
/// * **Threads**: all methods take `&self`. Searches run in parallel with each other and with
///   adds and removes; a batch `add` links its vectors in parallel on rayon's global pool,
///   in rounds that make the graph independent of the thread count and scheduling;
///   `save` waits for running adds and removes and holds new ones off while it writes.
/// * **Scratch**: [`search`](VectorIndex::search) borrows working memory from an internal
///   pool; [`search_with`](Self::search_with) takes the caller's [`HnswScratch`].
///
/// Vectors are stored 64-byte aligned with rows padded to a multiple of 16 floats, so results
/// do not depend on where a query sits in memory and are identical after a save/load round trip.
pub struct HnswIndex {
    dims: usize,
    metric: Metric,
    params: HnswParams,
    ef_search: AtomicUsize,
    layout: Layout,
    level_mult: f64,
    /// Nodes `0..nodes.count()` are filled and published.
    nodes: NodeStore,
    entry: EntryPoint,
    /// Held by an insert that raises the top level, for its whole insertion.
    global: Mutex<()>,
    registry: RwLock<Registry>,
    live: AtomicUsize,
    /// Shared by adds and removes (for their whole run, linking included), exclusive for
    /// `save`, so a file never holds a half-linked node.
    writers: RwLock<()>,
    pool: ScratchPool,
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("dimensions", &self.dims)
            .field("metric", &self.metric)
            .field("params", &self.params())
            .field("len", &self.len())
            .field("nodes", &self.nodes.count())
            .finish()
    }
}

impl HnswIndex {
    /// An empty index. Errors: `InvalidArgument` for dimensions outside 1 ..= 65 536,
    /// `m` outside 2 ..= 256, or `ef_construction` / `ef_search` outside 1 ..= 1 000 000.
    pub fn new(dimensions: usize, metric: Metric, params: HnswParams) -> Result<Self> {
        validate::dimensions(dimensions)?;
        validate::hnsw_params(&params)?;
        Ok(Self::empty(dimensions, metric, params, params.seed))
    }

    fn empty(dims: usize, metric: Metric, params: HnswParams, rng: u64) -> Self {
        let layout = Layout::new(params.m);
        HnswIndex {
            dims,
            metric,
            params,
            ef_search: AtomicUsize::new(params.ef_search),
            layout,
            level_mult: 1.0 / (params.m as f64).ln(),
            nodes: NodeStore::new(layout, dims),
            entry: EntryPoint::new(None),
            global: Mutex::new(()),
            registry: RwLock::new(Registry { map: IdMap::default(), next: 0, rng }),
            live: AtomicUsize::new(0),
            writers: RwLock::new(()),
            pool: ScratchPool::new(),
        }
    }

    /// The parameters, with the current `ef_search`.
    pub fn params(&self) -> HnswParams {
        HnswParams { ef_search: self.ef_search.load(Ordering::Relaxed), ..self.params }
    }

    /// Sets the default beam width of later searches (1 ..= 1 000 000).
    pub fn set_ef_search(&self, ef: usize) -> Result<()> {
        validate::ef_value("ef_search", ef)?;
        self.ef_search.store(ef, Ordering::Relaxed);
        Ok(())
    }

    /// Nodes in the graph, deleted ones (tombstones) included.
    pub fn node_count(&self) -> usize {
        self.nodes.count()
    }

    /// Opens a file written by [`VectorIndex::save`] of an `HnswIndex`.
    ///
    /// Errors: `Io`, `Corrupt`, `UnsupportedVersion`, and `InvalidArgument` when the file holds
    /// a flat index (use [`load_index`](crate::load_index) to open either kind).
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_loaded(persist::read_file(path)?)
    }

    pub(crate) fn from_loaded(data: Loaded) -> Result<Self> {
        let h = &data.header;
        if h.kind != IndexKind::Hnsw {
            return Err(IndexError::InvalidArgument(format!(
                "the file holds a {} index, not an hnsw one",
                h.kind.as_str()
            )));
        }
        let index = Self::empty(h.dims, h.metric, h.params, h.rng_state);
        let n = h.node_count as usize;
        let lists = insert::parse_graph(&data.graph, n, index.layout)?;
        // The entry point is a node on the top layer (hnswlib's invariant).
        let top = lists.iter().map(|(level, _)| *level as usize).max();
        match (h.entry, top) {
            (None, None) => {}
            (Some((node, level)), Some(top)) if level as usize == top && lists[node as usize].0 as usize == top => {}
            _ => return Err(IndexError::Corrupt("the entry point is not on the top layer".into())),
        }
        let mut map = IdMap::default();
        map.reserve(h.live_count as usize);
        for (i, ((level, links), row)) in lists.into_iter().zip(data.vectors.chunks_exact(h.dims)).enumerate() {
            let node = i as u32;
            index.nodes.init(node, data.ids[i], level, row, false, Some(&links));
            if data.deleted[i] {
                index.nodes.mark_deleted(node);
            } else {
                map.insert(data.ids[i], node);
            }
        }
        index.nodes.publish(n as u32);
        {
            let mut reg = index.registry.write();
            reg.map = map;
            reg.next = n as u32;
        }
        index.live.store(h.live_count as usize, Ordering::Release);
        if let Some((node, level)) = h.entry {
            index.entry.store(node, level as usize);
        }
        Ok(index)
    }

    fn random_level(&self, rng: &mut u64) -> u8 {
        // Uniform in (0, 1]: never ln(0).
        let u = ((next_random(rng) >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let level = (-u.ln() * self.level_mult) as usize;
        level.min(MAX_LEVEL) as u8
    }

    /// Searches with caller-owned working memory (no allocation besides the result).
    ///
    /// Same results and errors as [`VectorIndex::search`].
    pub fn search_with(&self, query: &[f32], params: &SearchParams, scratch: &mut HnswScratch) -> Result<Vec<Hit>> {
        validate::search_params(params)?;
        let HnswScratch { query: buf, work } = scratch;
        let q = validate::prepare_query(self.metric, self.dims, query, 0, buf)?;
        Ok(self.search_prepared(q, params, work))
    }

    fn save_to(&self, path: &Path) -> Result<FileChecksum> {
        crate::write_atomically(path, |w| self.encode(w))
    }

    /// Writes the index file's bytes to `w`.
    pub(crate) fn encode<W: std::io::Write>(&self, w: W) -> Result<FileChecksum> {
        {
            // Writers wait while the snapshot is serialized; searches go on.
            let _writers = self.writers.write();
            let reg = self.registry.read();
            let n = reg.next;
            let header = Header {
                kind: IndexKind::Hnsw,
                metric: self.metric,
                dims: self.dims,
                params: self.params(),
                node_count: u64::from(n),
                live_count: reg.map.len() as u64,
                entry: self.entry.load().map(|(node, level)| (node, level as u32)),
                rng_state: reg.rng,
            };
            let mut e = Encoder::new(w);
            e.header(&header)?;
            e.section(persist::TAG_IDS, u64::from(n) * 8)?;
            for i in 0..n {
                e.u64(self.nodes.id(i))?;
            }
            e.section(persist::TAG_VECS, u64::from(n) * self.dims as u64 * 4)?;
            for i in 0..n {
                e.f32s(self.nodes.vector(i))?;
            }
            e.section(persist::TAG_DELS, u64::from(n))?;
            for i in 0..n {
                e.u8(self.nodes.is_deleted(i) as u8)?;
            }
            insert::write_graph(&mut e, &self.nodes, n)?;
            let mut live: Vec<(u64, u32)> = reg.map.iter().map(|(&id, &node)| (id, node)).collect();
            live.sort_unstable_by_key(|&(_, node)| node);
            e.section(persist::TAG_IMAP, live.len() as u64 * 16)?;
            for (id, node) in live {
                e.u64(id)?;
                e.u64(u64::from(node))?;
            }
            Ok(e.finish()?.1)
        }
    }
}

impl VectorIndex for HnswIndex {
    fn kind(&self) -> IndexKind {
        IndexKind::Hnsw
    }

    fn dimensions(&self) -> usize {
        self.dims
    }

    fn metric(&self) -> Metric {
        self.metric
    }

    fn len(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    fn contains(&self, id: u64) -> bool {
        self.registry.read().map.contains_key(&id)
    }

    fn add(&self, ids: &[u64], vectors: &[f32]) -> Result<()> {
        // Checked in place; each vector is then copied once, straight into its node's block
        // (normalized on the way under cosine).
        validate::check_add(self.metric, self.dims, ids, vectors)?;
        let normalize = self.metric == Metric::Cosine;
        // Recursive: an add called from inside a rayon task may, while its own batch runs,
        // steal another task that adds; a plain read would deadlock there behind a waiting save.
        let _writers = self.writers.read_recursive();
        let start = {
            let mut reg = self.registry.write();
            if let Some(&id) = ids.iter().find(|id| reg.map.contains_key(id)) {
                return Err(IndexError::DuplicateId(id));
            }
            let start = reg.next;
            if u64::from(start) + ids.len() as u64 > MAX_NODES {
                return Err(IndexError::InvalidArgument(format!(
                    "the index is full: it holds at most {MAX_NODES} nodes, deleted ones included"
                )));
            }
            for (i, (&id, row)) in ids.iter().zip(vectors.chunks_exact(self.dims)).enumerate() {
                let level = self.random_level(&mut reg.rng);
                let node = start + i as u32;
                self.nodes.init(node, id, level, row, normalize, None);
                reg.map.insert(id, node);
            }
            reg.next = start + ids.len() as u32;
            self.nodes.publish(reg.next);
            self.live.fetch_add(ids.len(), Ordering::AcqRel);
            start
        };
        let end = start + ids.len() as u32;
        if ids.len() == 1 {
            let mut scratch = self.pool.take();
            self.insert(start, &mut scratch.work);
        } else {
            self.link_rounds(start, end);
        }
        Ok(())
    }

    fn remove(&self, ids: &[u64]) -> Result<usize> {
        let ids = validate::remove_ids(ids)?;
        let _writers = self.writers.read_recursive();
        let mut reg = self.registry.write();
        if let Some(&id) = ids.iter().find(|id| !reg.map.contains_key(id)) {
            return Err(IndexError::UnknownId(id));
        }
        for id in &ids {
            if let Some(node) = reg.map.remove(id) {
                self.nodes.mark_deleted(node);
            }
        }
        self.live.fetch_sub(ids.len(), Ordering::AcqRel);
        Ok(ids.len())
    }

    fn memory(&self) -> MemoryUsage {
        let mut usage = self.nodes.memory();
        usage.id_bytes += map_bytes(&self.registry.read().map);
        usage
    }

    fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<Hit>> {
        let mut scratch = self.pool.take();
        self.search_with(query, params, &mut scratch)
    }

    fn search_batch(&self, queries: &[f32], params: &SearchParams) -> Result<Vec<Vec<Hit>>> {
        validate::search_params(params)?;
        validate::query_batch(self.dims, queries)?;
        queries
            .par_chunks(self.dims)
            .enumerate()
            .map_init(
                || self.pool.take(),
                |scratch, (row, q)| {
                    let HnswScratch { query: buf, work } = &mut **scratch;
                    let q = validate::prepare_query(self.metric, self.dims, q, row, buf)?;
                    Ok(self.search_prepared(q, params, work))
                },
            )
            .collect()
    }

    fn save_checksummed(&self, path: &Path) -> Result<FileChecksum> {
        self.save_to(path).map_err(|e| persist::at_path(e, "writing", path))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
