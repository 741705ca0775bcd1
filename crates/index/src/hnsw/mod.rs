//! [`HnswIndex`]: a Hierarchical Navigable Small World graph, after hnswlib's `hnswalg.h`.
//!
//! * Levels: `floor(-ln(u) · 1/ln(M))` from a seeded generator, in insertion order, so the
//!   same seed and order give the same levels.
//! * Reproducible: a batch add links its nodes in rounds (see `insert::link_rounds`), so the
//!   same data, parameters, seed and sequence of `add`, `remove` and `compact` calls give the
//!   same graph, byte for byte in the saved file, on any number of threads (not when several
//!   writes run at once).
//! * Layer 0 keeps up to `2·M` neighbours, upper layers `M`; neighbours are chosen with the
//!   paper's heuristic (hnswlib's `getNeighborsByHeuristic2`), also when a full list is pruned.
//! * Deletion leaves a tombstone: the node still routes searches but is never returned. When
//!   tombstones reach `max(live, COMPACT_MIN_TOMBSTONES)`, the graph is compacted: rebuilt from
//!   the live nodes (same order, same levels, linked in rounds, so reproducible too) and
//!   swapped in whole, which keeps nodes, and memory, within a bounded multiple of the live
//!   data under any churn.
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
//!
//! # Compaction without stopping searches
//!
//! Overwriting a tombstone's block in place (hnswlib's `replace_deleted`) would race with the
//! searches that may be reading it at any time (a distance against a half-written vector, or
//! the new id with the old vector's distance). Instead the whole graph state (node store,
//! entry point, registry, live count: [`Graph`]) sits behind one `ArcSwap`: a compaction takes
//! the `writers` lock exclusively, builds a new `Graph` from the live nodes, and stores it. A
//! search loads the current graph once (one atomic load, no lock) and runs on it to the end;
//! the old graph is freed when its last search drops it. Nothing is ever written to a graph
//! a search may be reading except through the seqlocked lists and the deletion bits, as before.

mod beam;
mod graph;
mod insert;
mod prefetch;
mod search;
mod visited;

use std::any::Any;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
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

/// Fewest tombstones that make a remove compact the graph. A remove compacts when the
/// tombstones reach `max(live, COMPACT_MIN_TOMBSTONES)`, so
///
/// * nodes stay below `2 · live + COMPACT_MIN_TOMBSTONES` after every call (memory bounded by
///   a multiple of the live data, whatever the churn);
/// * a rebuild, which links the `live` nodes afresh, follows at least `live` removes since the
///   last one: amortized, at most one insert's work per remove;
/// * small indexes are not rebuilt over and over: below 1 024 tombstones (one segment of
///   nodes, a few hundred KB at d = 128) the rebuild would save little and cost a pause each
///   time.
pub const COMPACT_MIN_TOMBSTONES: usize = 1024;

/// Whether a graph of `nodes` nodes of which `live` are live should be compacted.
fn needs_compaction(nodes: usize, live: usize) -> bool {
    let tombstones = nodes.saturating_sub(live);
    tombstones > 0 && tombstones >= live.max(COMPACT_MIN_TOMBSTONES)
}

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

/// One generation of the graph: nodes, entry point, id registry and live count. A compaction
/// builds a new `Graph` from the live nodes of the current one and swaps it in whole; searches
/// that started on the old one finish on it, and it is freed when the last of them drops it.
pub(crate) struct Graph {
    dims: usize,
    metric: Metric,
    /// `m` and `ef_construction` (its `ef_search` is not read: that is the index's).
    params: HnswParams,
    layout: Layout,
    /// Nodes `0..nodes.count()` are filled and published.
    nodes: NodeStore,
    entry: EntryPoint,
    /// Held by an insert that raises the top level, for its whole insertion.
    global: Mutex<()>,
    registry: RwLock<Registry>,
    live: AtomicUsize,
}

impl Graph {
    fn new(dims: usize, metric: Metric, params: HnswParams, rng: u64) -> Self {
        let layout = Layout::new(params.m);
        Graph {
            dims,
            metric,
            params,
            layout,
            nodes: NodeStore::new(layout, dims),
            entry: EntryPoint::new(None),
            global: Mutex::new(()),
            registry: RwLock::new(Registry { map: IdMap::default(), next: 0, rng }),
            live: AtomicUsize::new(0),
        }
    }

    /// Nodes, tombstones included.
    #[inline]
    pub(super) fn node_count(&self) -> usize {
        self.nodes.count()
    }

    /// Live vectors.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }
}

/// An approximate nearest-neighbour index (HNSW graph, after hnswlib).
///
/// * **Parameters**: see [`HnswParams`]; `ef_search` can be changed at any time with
///   [`set_ef_search`](Self::set_ef_search) or per query with [`SearchParams::ef`]. A search
///   uses a beam of `max(ef, k)`.
/// * **Deletion** leaves a tombstone: the node keeps routing searches but is never returned,
///   and its id may be added again (as a new node). When the tombstones reach
///   `max(live, COMPACT_MIN_TOMBSTONES)` ([`COMPACT_MIN_TOMBSTONES`]), the remove that got them
///   there **compacts** the graph: it rebuilds it from the live vectors and swaps it in (see
///   [`compact`](Self::compact), which forces one). So [`node_count`](Self::node_count) stays
///   below `2 · len + COMPACT_MIN_TOMBSTONES`, and memory with it, under any add/remove churn.
///   Tombstones not yet compacted are kept in saved files too.
/// * **Filters**: a filter with `|filter|² ≤ 8 · max(ef, k) · node_count` is answered by an
///   exact scan of the filter's ids (cheaper than a graph walk that must skip most nodes, and
///   exact); a larger one by the graph walk, which skips filtered-out and deleted nodes when
///   collecting results but still walks through them.
/// * **k results**: whenever at least `k` live (and allowed) vectors exist, `k` come back; if
///   the walk reaches fewer (mass deletion, nodes the pruned graph no longer reaches), an exact
///   scan answers instead.
/// * **Threads**: all methods take `&self`. Searches run in parallel with each other and with
///   adds, removes and compactions; a batch `add` (and a compaction) links its vectors in
///   parallel on rayon's global pool, in rounds that make the graph independent of the thread
///   count and scheduling; `save` and compaction wait for running adds and removes and hold
///   new ones off while they run.
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
    level_mult: f64,
    /// The current graph; replaced whole by a compaction (under `writers`, exclusively).
    graph: ArcSwap<Graph>,
    /// Shared by adds and removes (for their whole run, linking included), exclusive for
    /// `save` and compaction, so a file never holds a half-linked node and a compaction never
    /// misses a change.
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
            .field("nodes", &self.node_count())
            .finish()
    }
}

impl HnswIndex {
    /// An empty index. Errors: `InvalidArgument` for dimensions outside 1 ..= 65 536,
    /// `m` outside 2 ..= 256, or `ef_construction` / `ef_search` outside 1 ..= 1 000 000.
    pub fn new(dimensions: usize, metric: Metric, params: HnswParams) -> Result<Self> {
        validate::dimensions(dimensions)?;
        validate::hnsw_params(&params)?;
        Ok(Self::with_graph(Graph::new(dimensions, metric, params, params.seed)))
    }

    fn with_graph(graph: Graph) -> Self {
        let params = graph.params;
        HnswIndex {
            dims: graph.dims,
            metric: graph.metric,
            params,
            ef_search: AtomicUsize::new(params.ef_search),
            level_mult: 1.0 / (params.m as f64).ln(),
            graph: ArcSwap::from_pointee(graph),
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

    /// Nodes in the graph, deleted ones (tombstones) not yet compacted included.
    pub fn node_count(&self) -> usize {
        self.graph.load().node_count()
    }

    /// Rebuilds the graph from the live vectors now, whatever the number of tombstones, and
    /// returns how many tombstones it reclaimed (0, with nothing done, if there were none).
    ///
    /// Removes compact on their own when the tombstones reach `max(live,`
    /// [`COMPACT_MIN_TOMBSTONES`]`)`; this forces it earlier (before a save, say). The new
    /// graph holds the live vectors in their old order, with their levels, linked in rounds as
    /// a batch [`add`](VectorIndex::add) would, so it is reproducible. It costs about as much as
    /// adding the live vectors again; searches go on meanwhile on the old graph, adds, removes
    /// and saves wait.
    ///
    /// Do not call it from inside a rayon task while an `add` on the same index is running (it
    /// waits for that add, which may wait for the task).
    pub fn compact(&self) -> usize {
        let _writers = self.writers.write();
        self.compact_locked(true)
    }

    /// Compacts if [`needs_compaction`]; the caller holds `writers` exclusively.
    fn compact_locked(&self, force: bool) -> usize {
        let old = self.graph.load_full();
        let (nodes, live) = {
            let reg = old.registry.read();
            (reg.next as usize, reg.map.len())
        };
        if nodes == live || (!force && !needs_compaction(nodes, live)) {
            return 0;
        }
        let new = self.rebuild(&old);
        self.graph.store(Arc::new(new));
        nodes - live
    }

    /// A new graph of `old`'s live nodes, in their order, with their levels, linked in rounds.
    /// Writers are excluded (the caller holds `writers`), so `old` does not change meanwhile.
    fn rebuild(&self, old: &Graph) -> Graph {
        let reg = old.registry.read();
        let graph = Graph::new(self.dims, self.metric, self.params, reg.rng);
        let mut live: Vec<u32> = reg.map.values().copied().collect();
        live.sort_unstable();
        let mut map = IdMap::default();
        map.reserve(live.len());
        for (i, &from) in live.iter().enumerate() {
            let node = i as u32;
            let id = old.nodes.id(from);
            // Already normalized under cosine: copied as is, bit for bit.
            graph.nodes.init(node, id, old.nodes.get(from).level, old.nodes.vector(from), false, None);
            map.insert(id, node);
        }
        drop(reg);
        let n = live.len() as u32;
        graph.nodes.publish(n);
        {
            let mut reg = graph.registry.write();
            reg.map = map;
            reg.next = n;
        }
        graph.live.store(live.len(), Ordering::Release);
        if n > 0 {
            graph.link_rounds(0, n, &self.pool);
        }
        graph
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
        let graph = Graph::new(h.dims, h.metric, h.params, h.rng_state);
        let n = h.node_count as usize;
        let lists = insert::parse_graph(&data.graph, n, graph.layout)?;
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
            graph.nodes.init(node, data.ids[i], level, row, false, Some(&links));
            if data.deleted[i] {
                graph.nodes.mark_deleted(node);
            } else {
                map.insert(data.ids[i], node);
            }
        }
        graph.nodes.publish(n as u32);
        {
            let mut reg = graph.registry.write();
            reg.map = map;
            reg.next = n as u32;
        }
        graph.live.store(h.live_count as usize, Ordering::Release);
        if let Some((node, level)) = h.entry {
            graph.entry.store(node, level as usize);
        }
        Ok(Self::with_graph(graph))
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
        let graph = self.graph.load();
        Ok(graph.search_prepared(q, params, self.ef_search.load(Ordering::Relaxed), work))
    }

    fn save_to(&self, path: &Path) -> Result<FileChecksum> {
        crate::write_atomically(path, |w| self.encode(w))
    }

    /// Writes the index file's bytes to `w`.
    pub(crate) fn encode<W: std::io::Write>(&self, w: W) -> Result<FileChecksum> {
        // Writers (and compactions) wait while the snapshot is serialized; searches go on.
        let _writers = self.writers.write();
        let graph = self.graph.load_full();
        let nodes = &graph.nodes;
        let reg = graph.registry.read();
        let n = reg.next;
        let header = Header {
            kind: IndexKind::Hnsw,
            metric: self.metric,
            dims: self.dims,
            params: self.params(),
            node_count: u64::from(n),
            live_count: reg.map.len() as u64,
            entry: graph.entry.load().map(|(node, level)| (node, level as u32)),
            rng_state: reg.rng,
        };
        let mut e = Encoder::new(w);
        e.header(&header)?;
        e.section(persist::TAG_IDS, u64::from(n) * 8)?;
        for i in 0..n {
            e.u64(nodes.id(i))?;
        }
        e.section(persist::TAG_VECS, u64::from(n) * self.dims as u64 * 4)?;
        for i in 0..n {
            e.f32s(nodes.vector(i))?;
        }
        e.section(persist::TAG_DELS, u64::from(n))?;
        for i in 0..n {
            e.u8(nodes.is_deleted(i) as u8)?;
        }
        insert::write_graph(&mut e, nodes, n)?;
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
        self.graph.load().len()
    }

    fn contains(&self, id: u64) -> bool {
        self.graph.load().registry.read().map.contains_key(&id)
    }

    fn add(&self, ids: &[u64], vectors: &[f32]) -> Result<()> {
        // Checked in place; each vector is then copied once, straight into its node's block
        // (normalized on the way under cosine).
        validate::check_add(self.metric, self.dims, ids, vectors)?;
        let normalize = self.metric == Metric::Cosine;
        // Recursive: an add called from inside a rayon task may, while its own batch runs,
        // steal another task that adds; a plain read would deadlock there behind a waiting save.
        let _writers = self.writers.read_recursive();
        // Not swapped while `writers` is held.
        let graph = self.graph.load_full();
        let start = {
            let mut reg = graph.registry.write();
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
                graph.nodes.init(node, id, level, row, normalize, None);
                reg.map.insert(id, node);
            }
            reg.next = start + ids.len() as u32;
            graph.nodes.publish(reg.next);
            graph.live.fetch_add(ids.len(), Ordering::AcqRel);
            start
        };
        let end = start + ids.len() as u32;
        if ids.len() == 1 {
            let mut scratch = self.pool.take();
            graph.insert(start, &mut scratch.work);
        } else {
            graph.link_rounds(start, end, &self.pool);
        }
        Ok(())
    }

    fn remove(&self, ids: &[u64]) -> Result<usize> {
        let ids = validate::remove_ids(ids)?;
        let compact = {
            let _writers = self.writers.read_recursive();
            let graph = self.graph.load();
            let mut reg = graph.registry.write();
            if let Some(&id) = ids.iter().find(|id| !reg.map.contains_key(id)) {
                return Err(IndexError::UnknownId(id));
            }
            for id in &ids {
                if let Some(node) = reg.map.remove(id) {
                    graph.nodes.mark_deleted(node);
                }
            }
            graph.live.fetch_sub(ids.len(), Ordering::AcqRel);
            needs_compaction(reg.next as usize, reg.map.len())
        };
        if compact {
            // On a rayon worker this remove may have been stolen by an add's batch on the same
            // index, whose shared `writers` guard would then never be released while we wait:
            // there, compact only if nobody holds `writers` (else the next remove will).
            let writers = if rayon::current_thread_index().is_some() {
                self.writers.try_write()
            } else {
                Some(self.writers.write())
            };
            if let Some(_writers) = writers {
                self.compact_locked(false);
            }
        }
        Ok(ids.len())
    }

    fn memory(&self) -> MemoryUsage {
        let graph = self.graph.load();
        let mut usage = graph.nodes.memory();
        usage.id_bytes += map_bytes(&graph.registry.read().map);
        usage
    }

    fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<Hit>> {
        let mut scratch = self.pool.take();
        self.search_with(query, params, &mut scratch)
    }

    fn search_batch(&self, queries: &[f32], params: &SearchParams) -> Result<Vec<Vec<Hit>>> {
        validate::search_params(params)?;
        validate::query_batch(self.dims, queries)?;
        let graph = self.graph.load_full();
        let ef = self.ef_search.load(Ordering::Relaxed);
        queries
            .par_chunks(self.dims)
            .enumerate()
            .map_init(
                || self.pool.take(),
                |scratch, (row, q)| {
                    let HnswScratch { query: buf, work } = &mut **scratch;
                    let q = validate::prepare_query(self.metric, self.dims, q, row, buf)?;
                    Ok(graph.search_prepared(q, params, ef, work))
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
