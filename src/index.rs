//! `NativeVectorIndex`: the JS class over `vn_index::FlatIndex` and `vn_index::HnswIndex`.
//!
//! Thin by design: convert arguments, move the work onto libuv's thread pool, convert results.
//! Every check of the values themselves (dimension, NaN, k, ids) happens in the engine.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use vn_index::{FlatIndex, Hit, HnswIndex, HnswParams, MemoryUsage, Metric, SearchParams, VectorIndex};

use crate::args::{count, optional_count, path as checked_path, uint32};
use crate::cputime::thread_cpu_time_ns;
use crate::error::{to_js, CodedError, EngineResult};
use crate::pool_task::run_pooled;
use crate::task::{run_sync, spawn, EngineTask};
use crate::timing::clock_ns;

/// Largest integer a JS number holds exactly: ids above it would silently change.
const MAX_SAFE_ID: f64 = 9_007_199_254_740_991.0;

/// Which algorithm backs an index.
#[derive(Clone)]
pub enum Engine {
    Flat(Arc<FlatIndex>),
    Hnsw(Arc<HnswIndex>),
}

impl Engine {
    fn as_dyn(&self) -> &dyn VectorIndex {
        match self {
            Engine::Flat(index) => index.as_ref(),
            Engine::Hnsw(index) => index.as_ref(),
        }
    }
}

/// HNSW construction options (all optional; defaults as in hnswlib). Numbers are taken as
/// `f64` and checked, never wrapped into `u32`.
#[napi(object)]
pub struct HnswOptions {
    /// Links per node on upper layers (layer 0 has 2·M). Default 16.
    pub m: Option<f64>,
    /// Beam width while inserting. Default 200.
    pub ef_construction: Option<f64>,
    /// Default beam width while searching. Default 100.
    pub ef_search: Option<f64>,
    /// Seed of the level generator (0 … 2^32 − 1): the same seed and insertion order give the same graph. Default 100.
    pub seed: Option<f64>,
}

/// Per-query options.
#[napi(object)]
pub struct SearchOptions {
    /// HNSW beam width for this query (ignored by flat indexes).
    pub ef: Option<f64>,
    /// Only these ids may be returned.
    pub filter: Option<Float64Array>,
}

/// The hits of one search, crossing to JS as one `Float64Array` of length `2n`, closest first:
/// `ids` in `[0, n)`, then their distances in `[n, 2n)` (f32 → f64 is exact).
///
/// One JS-heap `ArrayBuffer` filled by copy: measured cheaper than one napi object per hit and
/// than two typed arrays over Rust-owned (external) buffers, whose finalizers cost a global
/// handle and a malloc/free pair each (see docs/benchmarks/result-format.md). The TypeScript
/// wrapper builds `{ id, distance }` objects from it in JS.
pub struct PackedHits(Vec<Hit>);

impl TypeName for PackedHits {
    fn type_name() -> &'static str {
        "Float64Array"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for PackedHits {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let hits = val.0;
        let mut packed = Vec::with_capacity(2 * hits.len());
        packed.extend(hits.iter().map(|h| h.id as f64));
        packed.extend(hits.iter().map(|h| f64::from(h.distance)));
        let array = Float64ArraySlice::copy_from(&Env::from_raw(env), packed)?;
        // SAFETY: `env` is the live environment napi handed to this conversion (we are on the
        // JS thread, inside the call or the task completion that is converting its result).
        unsafe { Float64ArraySlice::to_napi_value(env, array) }
    }
}

/// Results of a batch: the hits of query `q` are `ids[offsets[q] .. offsets[q + 1]]`.
#[napi(object)]
pub struct BatchSearchResult {
    pub offsets: Uint32Array,
    pub ids: Float64Array,
    pub distances: Float32Array,
}

/// A query of a `searchMany` call that failed: its hits are empty and this says why.
#[napi(object)]
pub struct SearchFailure {
    /// Position of the query in the call.
    pub index: u32,
    /// The engine's error code (`ERR_…`).
    pub code: String,
    pub message: String,
}

/// Results of `searchMany`: the hits of query `q` are `ids[offsets[q] .. offsets[q + 1]]`;
/// a failed query has no hits and an entry in `failures`.
#[napi(object)]
pub struct ManySearchResult {
    pub offsets: Uint32Array,
    pub ids: Float64Array,
    pub distances: Float32Array,
    pub failures: Vec<SearchFailure>,
    /// Only when the call passed a stamps object: query `q` started at `timings[3q]` and
    /// finished at `timings[3q + 1]` (ns on `nativeClockNs()`'s clock), taking `timings[3q + 2]`
    /// ns of the worker's CPU time. Queries of a blocked flat scan share the scan's start and
    /// finish and split its CPU time evenly.
    pub timings: Option<Float64Array>,
}

/// What a `searchMany` task returns to the main thread: each query's outcome, and its timing
/// (`[started, finished, cpu]` ns per query) when asked for.
pub struct ManyOutcome {
    results: Vec<EngineResult<Vec<Hit>>>,
    timings: Option<Vec<f64>>,
}

/// Stamps a stretch of work on the worker: wall clock on the shared base, and thread CPU time.
struct Stopwatch {
    started: Instant,
    cpu_ns: u64,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch { started: Instant::now(), cpu_ns: thread_cpu_time_ns().unwrap_or(0) }
    }

    /// Appends `[started, finished, cpu / shares]` `shares` times to `out`.
    fn stop_into(self, out: &mut Vec<f64>, shares: usize) {
        let finished = clock_ns(Instant::now());
        let cpu = thread_cpu_time_ns().map_or(0, |now| now.saturating_sub(self.cpu_ns)) as f64;
        let started = clock_ns(self.started);
        for _ in 0..shares {
            out.extend_from_slice(&[started, finished, cpu / shares as f64]);
        }
    }
}

/// Several independent searches, each with its own `k` and `ef`, answered separately: one
/// query's error does not fail the others.
fn search_many_now(
    engine: &Engine,
    queries: &[f32],
    ks: &[u32],
    efs: Option<&[u32]>,
    timed: bool,
) -> EngineResult<ManyOutcome> {
    let index = engine.as_dyn();
    let d = index.dimensions();
    if queries.len() != ks.len() * d || efs.is_some_and(|e| e.len() != ks.len()) {
        return Err(CodedError::invalid_argument(format!(
            "searchMany: {} values for {} queries of {d} dimensions ({} ef values)",
            queries.len(),
            ks.len(),
            efs.map_or(0, <[u32]>::len)
        )));
    }
    let ef_of = |i: usize| efs.map(|e| e[i] as usize).filter(|&ef| ef > 0);
    let mut timings = timed.then(|| Vec::with_capacity(3 * ks.len()));
    // One query alone, timed on its own when asked.
    let one = |i: usize| {
        let watch = timings.is_some().then(Stopwatch::start);
        let params = SearchParams { k: ks[i] as usize, ef: ef_of(i), filter: None };
        let result = index.search(&queries[i * d..(i + 1) * d], &params).map_err(CodedError::from);
        if let (Some(watch), Some(out)) = (watch, timings.as_mut()) {
            watch.stop_into(out, 1);
        }
        result
    };
    let results = match engine {
        // Exact: one blocked scan for the whole batch at the largest k, each query's list cut
        // to its own k (a prefix of an exact top-k is the exact top of that length). If any
        // query is invalid, every query runs alone so that only that one fails.
        Engine::Flat(flat) => {
            let k_max = ks.iter().copied().max().unwrap_or(1).max(1) as usize;
            let watch = timed.then(Stopwatch::start);
            match flat.search_batch(queries, &SearchParams { k: k_max, ef: None, filter: None }) {
                Ok(all) if ks.iter().all(|&k| k > 0) => {
                    if let (Some(watch), Some(out)) = (watch, timings.as_mut()) {
                        watch.stop_into(out, ks.len());
                    }
                    all.into_iter()
                        .zip(ks)
                        .map(|(mut hits, &k)| {
                            hits.truncate(k as usize);
                            Ok(hits)
                        })
                        .collect()
                }
                _ => (0..ks.len()).map(one).collect(),
            }
        }
        // Graph: back to back on this (warm) worker. Not shared with rayon's pool: its idle
        // threads spin while they look for work, which on 2 cores took more CPU per search
        // than it saved (async.bench --many-only); the wrapper keeps up to two of these tasks
        // running, one per core.
        Engine::Hnsw(_) => (0..ks.len()).map(one).collect(),
    };
    Ok(ManyOutcome { results, timings })
}

fn finish_many(_env: &Env, outcome: ManyOutcome) -> Result<ManySearchResult> {
    let ManyOutcome { results, timings } = outcome;
    let total: usize = results.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    let mut offsets = Vec::with_capacity(results.len() + 1);
    let mut ids = Vec::with_capacity(total);
    let mut distances = Vec::with_capacity(total);
    let mut failures = Vec::new();
    offsets.push(0u32);
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(hits) => {
                for h in hits {
                    ids.push(h.id as f64);
                    distances.push(h.distance);
                }
            }
            Err(e) => failures.push(SearchFailure { index: i as u32, code: e.code.to_string(), message: e.message }),
        }
        offsets.push(ids.len() as u32);
    }
    Ok(ManySearchResult {
        offsets: Uint32Array::new(offsets),
        ids: Float64Array::new(ids),
        distances: Float32Array::new(distances),
        failures,
        timings: timings.map(Float64Array::new),
    })
}

/// Heap bytes a vector index holds, by kind: counted from what is allocated (table, segment
/// and map capacities, so growth headroom included), not estimated from size × dimensions.
/// Allocated is not resident: untouched pages of the newest HNSW segment take no RAM.
/// Search scratch buffers and allocator overhead are not counted.
#[napi(object)]
pub struct VectorMemoryUsage {
    /// The vectors: rows padded to a multiple of 16 floats, for every allocated row/node slot.
    pub vector_bytes: f64,
    /// Caller ids and the id → row/node map.
    pub id_bytes: f64,
    /// HNSW graph: layer-0 neighbour lists and block headers, upper-layer lists, node slots
    /// (writer locks). 0 for a flat index.
    pub graph_bytes: f64,
    /// HNSW deletion bitsets and alignment slack; 0 for a flat index.
    pub other_bytes: f64,
    /// The sum of the four.
    pub total_bytes: f64,
}

impl From<MemoryUsage> for VectorMemoryUsage {
    fn from(m: MemoryUsage) -> Self {
        VectorMemoryUsage {
            vector_bytes: m.vector_bytes as f64,
            id_bytes: m.id_bytes as f64,
            graph_bytes: m.graph_bytes as f64,
            other_bytes: m.other_bytes as f64,
            total_bytes: m.total() as f64,
        }
    }
}

fn parse_metric(metric: &str) -> EngineResult<Metric> {
    metric.parse::<Metric>().map_err(CodedError::from)
}

/// Checks and converts JS ids (non-negative safe integers) to u64.
fn ids_from_js(ids: &[f64]) -> EngineResult<Vec<u64>> {
    ids.iter()
        .enumerate()
        .map(|(i, &id)| {
            if (0.0..=MAX_SAFE_ID).contains(&id) && id.fract() == 0.0 {
                Ok(id as u64)
            } else {
                Err(CodedError::invalid_argument(format!(
                    "id at position {i} is {id}: ids must be integers from 0 to 2^53 - 1"
                )))
            }
        })
        .collect()
}

/// Owned per-query parameters, built on the worker thread.
struct QueryPlan {
    k: usize,
    ef: Option<usize>,
    filter: Option<HashSet<u64>>,
}

impl QueryPlan {
    fn new(k: f64, ef: Option<f64>, filter: Option<&[f64]>) -> EngineResult<Self> {
        let filter = match filter {
            Some(ids) => Some(ids_from_js(ids)?.into_iter().collect()),
            None => None,
        };
        Ok(QueryPlan { k: count("k", k)?, ef: optional_count("ef", ef)?, filter })
    }

    fn params(&self) -> SearchParams<'_> {
        SearchParams { k: self.k, ef: self.ef, filter: self.filter.as_ref() }
    }
}

/// `ef` and a copy of the filter: the copy is taken on the main thread, before the task is
/// queued, so the caller may transfer the filter's buffer at once.
fn split_options(options: Option<SearchOptions>) -> (Option<f64>, Option<Vec<f64>>) {
    match options {
        Some(o) => (o.ef, o.filter.map(|f| f.to_vec())),
        None => (None, None),
    }
}

fn finish_unit(_env: &Env, _: ()) -> Result<()> {
    Ok(())
}

fn finish_count(_env: &Env, n: usize) -> Result<u32> {
    Ok(n as u32)
}

fn finish_hits(_env: &Env, hits: Vec<Hit>) -> Result<PackedHits> {
    Ok(PackedHits(hits))
}

fn finish_batch(_env: &Env, batch: Vec<Vec<Hit>>) -> Result<BatchSearchResult> {
    let total: usize = batch.iter().map(Vec::len).sum();
    let mut offsets = Vec::with_capacity(batch.len() + 1);
    let mut ids = Vec::with_capacity(total);
    let mut distances = Vec::with_capacity(total);
    offsets.push(0u32);
    for hits in batch {
        for h in hits {
            ids.push(h.id as f64);
            distances.push(h.distance);
        }
        offsets.push(ids.len() as u32);
    }
    Ok(BatchSearchResult {
        offsets: Uint32Array::new(offsets),
        ids: Float64Array::new(ids),
        distances: Float32Array::new(distances),
    })
}

fn finish_index(_env: &Env, engine: Engine) -> Result<NativeVectorIndex> {
    Ok(NativeVectorIndex { engine })
}

/// A vector index: exact (`createFlat`) or HNSW (`createHnsw`), or loaded from a file.
#[napi]
pub struct NativeVectorIndex {
    engine: Engine,
}

#[napi]
impl NativeVectorIndex {
    /// An exact index: every search compares against every live vector.
    #[napi(factory)]
    pub fn create_flat(env: Env, dimensions: f64, metric: String) -> Result<Self> {
        to_js(
            &env,
            (|| {
                let metric = parse_metric(&metric)?;
                Ok(Engine::Flat(Arc::new(FlatIndex::new(count("dimensions", dimensions)?, metric)?)))
            })(),
        )
        .map(|engine| NativeVectorIndex { engine })
    }

    /// An HNSW graph index (approximate, fast).
    #[napi(factory)]
    pub fn create_hnsw(env: Env, dimensions: f64, metric: String, options: Option<HnswOptions>) -> Result<Self> {
        to_js(
            &env,
            (|| {
                let metric = parse_metric(&metric)?;
                let defaults = HnswParams::default();
                let params = match options {
                    Some(o) => HnswParams {
                        m: optional_count("m", o.m)?.unwrap_or(defaults.m),
                        ef_construction: optional_count("efConstruction", o.ef_construction)?
                            .unwrap_or(defaults.ef_construction),
                        ef_search: optional_count("efSearch", o.ef_search)?.unwrap_or(defaults.ef_search),
                        seed: o.seed.map(|s| uint32("seed", s)).transpose()?.map_or(defaults.seed, u64::from),
                    },
                    None => defaults,
                };
                Ok(Engine::Hnsw(Arc::new(HnswIndex::new(count("dimensions", dimensions)?, metric, params)?)))
            })(),
        )
        .map(|engine| NativeVectorIndex { engine })
    }

    /// Opens an index file written by `save` (flat or HNSW, read from its header).
    #[napi(ts_return_type = "Promise<NativeVectorIndex>")]
    pub fn load(path: Utf16String, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<Engine, NativeVectorIndex>> {
        // Read as UTF-16 and checked now: a lone surrogate is refused, not rewritten to U+FFFD.
        let path = checked_path("path", &path);
        let task = EngineTask::new(
            move || {
                let path = path?;
                Ok(match vn_index::read_index_kind(&path)? {
                    vn_index::IndexKind::Flat => Engine::Flat(Arc::new(FlatIndex::load(&path)?)),
                    vn_index::IndexKind::Hnsw => Engine::Hnsw(Arc::new(HnswIndex::load(&path)?)),
                })
            },
            finish_index,
        );
        spawn(task, signal)
    }

    /// `"flat"` or `"hnsw"`.
    #[napi(getter)]
    pub fn kind(&self) -> &'static str {
        match self.engine {
            Engine::Flat(_) => "flat",
            Engine::Hnsw(_) => "hnsw",
        }
    }

    #[napi(getter)]
    pub fn dimensions(&self) -> u32 {
        self.engine.as_dyn().dimensions() as u32
    }

    /// `"cosine"`, `"l2"` or `"dot"`.
    #[napi(getter)]
    pub fn metric(&self) -> &'static str {
        self.engine.as_dyn().metric().as_str()
    }

    /// Number of live (not deleted) vectors.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.engine.as_dyn().len() as u32
    }

    /// Heap bytes the index holds (see `VectorMemoryUsage`). Synchronous: it reads capacities
    /// only (`O(segments)`, a few microseconds), never the vectors.
    #[napi]
    pub fn memory_usage(&self) -> VectorMemoryUsage {
        self.engine.as_dyn().memory().into()
    }

    /// HNSW parameters, or null for a flat index.
    #[napi(getter)]
    pub fn hnsw_params(&self) -> Option<HnswOptions> {
        match &self.engine {
            Engine::Flat(_) => None,
            Engine::Hnsw(index) => {
                let p = index.params();
                Some(HnswOptions {
                    m: Some(p.m as f64),
                    ef_construction: Some(p.ef_construction as f64),
                    ef_search: Some(p.ef_search as f64),
                    seed: Some(p.seed as f64),
                })
            }
        }
    }

    /// Sets the default search beam width of an HNSW index.
    #[napi]
    pub fn set_ef_search(&self, env: Env, ef: f64) -> Result<()> {
        match &self.engine {
            Engine::Flat(_) => {
                Err(CodedError::invalid_argument("efSearch applies to HNSW indexes only").into_napi(&env))
            }
            Engine::Hnsw(index) => {
                to_js(&env, count("efSearch", ef).and_then(|ef| index.set_ef_search(ef).map_err(CodedError::from)))
            }
        }
    }

    /// Whether `id` is live in the index; ERR_INVALID_ARGUMENT for a number that is not an id.
    #[napi]
    pub fn has(&self, env: Env, id: f64) -> Result<bool> {
        let ids = to_js(&env, ids_from_js(&[id]))?;
        Ok(self.engine.as_dyn().contains(ids[0]))
    }

    /// Adds `ids.length` vectors stored row-major in `vectors` (all or nothing).
    /// Both arrays are copied before this returns: the caller may reuse, modify or transfer them
    /// at once.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn add(
        &self,
        env: Env,
        ids: Float64ArraySlice,
        vectors: Float32ArraySlice,
        signal: Option<AbortSignal>,
        #[napi(ts_arg_type = "NativeStamps")] stamps: Option<Object>,
    ) -> AsyncTask<EngineTask<(), ()>> {
        let engine = self.engine.clone();
        // Copied here, on the main thread: a reference to the JS array would keep the object
        // alive but not its memory, which a transfer (`postMessage`, `structuredClone`) moves
        // away while the task waits in the queue.
        let ids = ids_from_js(&ids);
        let vectors = vectors.to_vec();
        let task = EngineTask::new(move || engine.as_dyn().add(&ids?, &vectors).map_err(CodedError::from), finish_unit);
        spawn(task.stamped(&env, stamps), signal)
    }

    /// `add` on the calling thread: for small batches only (it blocks the event loop).
    #[napi]
    pub fn add_sync(&self, env: Env, ids: Float64ArraySlice, vectors: Float32ArraySlice) -> Result<()> {
        run_sync(&env, || {
            let ids = ids_from_js(&ids)?;
            self.engine.as_dyn().add(&ids, &vectors).map_err(CodedError::from)
        })
    }

    /// Deletes ids (all or nothing: an unknown id deletes none). Resolves to the number deleted.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn remove(&self, ids: Float64ArraySlice, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<usize, u32>> {
        let engine = self.engine.clone();
        // Converted (copied) now: the caller may transfer the array while the task is queued.
        let ids = ids_from_js(&ids);
        let task = EngineTask::new(move || engine.as_dyn().remove(&ids?).map_err(CodedError::from), finish_count);
        spawn(task, signal)
    }

    /// Rebuilds an HNSW graph from its live vectors, reclaiming the deleted nodes (removes do
    /// it on their own past a threshold). Resolves to the number of deleted nodes reclaimed;
    /// ERR_INVALID_ARGUMENT on a flat index, whose removes free their rows at once.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn compact(&self, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<usize, u32>> {
        let engine = self.engine.clone();
        let task = EngineTask::new(
            move || match &engine {
                Engine::Flat(_) => Err(CodedError::invalid_argument("compact applies to HNSW indexes only")),
                Engine::Hnsw(index) => Ok(index.compact()),
            },
            finish_count,
        );
        spawn(task, signal)
    }

    /// `remove` on the calling thread.
    #[napi]
    pub fn remove_sync(&self, env: Env, ids: Float64ArraySlice) -> Result<u32> {
        run_sync(&env, || {
            let ids = ids_from_js(&ids)?;
            self.engine.as_dyn().remove(&ids).map(|n| n as u32).map_err(CodedError::from)
        })
    }

    /// The k nearest live vectors to `query`, closest first, packed: for `n` hits, ids in
    /// `[0, n)` and their distances in `[n, 2n)`.
    #[napi(ts_return_type = "Promise<Float64Array>")]
    pub fn search<'env>(
        &self,
        env: &'env Env,
        query: Float32ArraySlice,
        k: f64,
        options: Option<SearchOptions>,
        signal: Option<AbortSignal>,
        #[napi(ts_arg_type = "NativeStamps")] stamps: Option<Object>,
    ) -> Result<PromiseRaw<'env, PackedHits>> {
        let engine = self.engine.clone();
        // Query and filter are copied now, so the caller may reuse or transfer its arrays at once.
        let query: Vec<f32> = query.to_vec();
        let (ef, filter) = split_options(options);
        let work = move || {
            let plan = QueryPlan::new(k, ef, filter.as_deref())?;
            engine.as_dyn().search(&query, &plan.params()).map_err(CodedError::from)
        };
        run_pooled(env, work, finish_hits, stamps, signal)
    }

    /// `search` on the calling thread: blocks the event loop for the search's duration.
    #[napi(ts_return_type = "Float64Array")]
    pub fn search_sync(
        &self,
        env: Env,
        query: Float32ArraySlice,
        k: f64,
        options: Option<SearchOptions>,
    ) -> Result<PackedHits> {
        let (ef, filter) = split_options(options);
        run_sync(&env, || {
            let plan = QueryPlan::new(k, ef, filter.as_deref())?;
            self.engine.as_dyn().search(&query, &plan.params()).map_err(CodedError::from)
        })
        .map(PackedHits)
    }

    /// Searches many queries (row-major in `queries`) in parallel on the engine's threads.
    #[napi(ts_return_type = "Promise<BatchSearchResult>")]
    pub fn search_batch(
        &self,
        queries: Float32ArraySlice,
        k: f64,
        options: Option<SearchOptions>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<EngineTask<Vec<Vec<Hit>>, BatchSearchResult>> {
        let engine = self.engine.clone();
        // Copied now, like `add`'s vectors: the caller may transfer the array while the task waits.
        let queries = queries.to_vec();
        let (ef, filter) = split_options(options);
        let task = EngineTask::new(
            move || {
                let plan = QueryPlan::new(k, ef, filter.as_deref())?;
                engine.as_dyn().search_batch(&queries, &plan.params()).map_err(CodedError::from)
            },
            finish_batch,
        );
        spawn(task, signal)
    }

    /// Independent searches in one task (the engine wrapper coalesces concurrent `search`
    /// calls into these): query `i` is row `i` of `queries`, with `ks[i]` and `efs[i]` (0: the
    /// index's default). Each query succeeds or fails on its own (`failures`). A flat index
    /// scans its rows once for the whole batch; an HNSW index runs the queries back to back on
    /// the worker. With `stamps`, the task is timed like `search` and each query's own timing
    /// comes back in `timings`.
    #[napi(ts_return_type = "Promise<ManySearchResult>")]
    pub fn search_many<'env>(
        &self,
        env: &'env Env,
        queries: Float32ArraySlice,
        ks: Uint32ArraySlice,
        efs: Option<Uint32ArraySlice>,
        #[napi(ts_arg_type = "NativeStamps")] stamps: Option<Object>,
    ) -> Result<PromiseRaw<'env, ManySearchResult>> {
        let engine = self.engine.clone();
        // Copied now: the caller may reuse or transfer its arrays at once.
        let queries = queries.to_vec();
        let ks = ks.to_vec();
        let efs = efs.map(|e| e.to_vec());
        let timed = stamps.is_some();
        let work = move || search_many_now(&engine, &queries, &ks, efs.as_deref(), timed);
        run_pooled(env, work, finish_many, stamps, None)
    }

    /// Writes the index to `path` atomically (temporary file, flush, rename).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn save(&self, path: Utf16String, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<(), ()>> {
        let engine = self.engine.clone();
        let path = checked_path("path", &path);
        let task = EngineTask::new(move || engine.as_dyn().save(&path?).map_err(CodedError::from), finish_unit);
        spawn(task, signal)
    }
}
