//! `NativeUnifiedSearchSystem` and `NativeSearchSession`: the JS classes over
//! `vn_hybrid::UnifiedSearchSystem` (text + vector search, fused) and its sessions.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use parking_lot::Mutex;
use vn_hybrid::{
    Document, EmbedderConfig, Fusion, HnswParams, IndexKind, Metric, OpenOptions, Query, SearchMode, Session,
    UnifiedSearchSystem,
};

use crate::args::{count, optional_count, path, string_id, uint32};
use crate::error::{CodedError, EngineResult};
use crate::index::VectorMemoryUsage;
use crate::pool_task::run_pooled;
use crate::task::{spawn, EngineTask};

/// Options of `NativeUnifiedSearchSystem.open`. Numbers are taken as `f64` and checked, never
/// wrapped into `u32`.
#[napi(object)]
pub struct UnifiedOpenOptions {
    /// Paths are read as UTF-16: a lone surrogate is refused, not rewritten to U+FFFD.
    pub text_index_path: Utf16String,
    pub vector_db_path: Utf16String,
    pub dimensions: f64,
    /// `"cosine"` (default), `"l2"` or `"dot"`.
    pub metric: Option<String>,
    /// `"hnsw"` or `"flat"` (exact). Default: the store's kind; `"hnsw"` for a new store.
    pub vector_index: Option<String>,
    pub m: Option<f64>,
    pub ef_construction: Option<f64>,
    pub ef_search: Option<f64>,
    pub seed: Option<f64>,
    /// `"feature-hashing"` (default: lexical, built in) or `"none"` (callers bring vectors).
    pub embedder: Option<String>,
    /// Bytes the text writer buffers before flushing a segment (default 50 MB).
    pub writer_memory: Option<f64>,
}

/// A document to add.
#[napi(object)]
pub struct NativeDocument {
    /// Read as UTF-16 so that an id with a lone surrogate is refused, not rewritten.
    pub id: Utf16String,
    /// Read as UTF-16 too: a lone surrogate is refused, not stored as U+FFFD.
    pub text: Utf16String,
    pub vector: Option<Float32Array>,
    /// A JSON string stored with the document.
    pub metadata: Option<String>,
}

/// A stored document, as `get` returns it.
#[napi(object)]
pub struct StoredDocument {
    pub id: String,
    pub text: String,
    pub vector: Option<Float32Array>,
    pub metadata: Option<String>,
}

/// One search.
#[napi(object)]
pub struct NativeQuery {
    /// Read as UTF-16: a lone surrogate is refused, not searched for as U+FFFD.
    pub text: Option<Utf16String>,
    pub vector: Option<Float32Array>,
    /// `"text"`, `"vector"` or `"hybrid"` (default).
    pub mode: Option<String>,
    /// Default 10.
    pub k: Option<f64>,
    /// `"rrf"` (default) or `"linear"`.
    pub fusion: Option<String>,
    /// RRF damping constant (default 60).
    pub rrf_k: Option<f64>,
    /// Linear fusion: weight of the text leg in [0, 1] (default 0.5).
    pub alpha: Option<f64>,
    /// Hybrid: candidates per leg (default max(k, 50)).
    pub candidates: Option<f64>,
    /// HNSW beam width of the vector leg.
    pub ef: Option<f64>,
}

/// One fused result; each leg's score and 1-based rank when the document came from it.
#[napi(object)]
pub struct HybridHit {
    pub id: String,
    pub score: f64,
    pub text_score: Option<f64>,
    pub text_rank: Option<u32>,
    pub vector_score: Option<f64>,
    pub vector_rank: Option<u32>,
}

#[napi(object)]
pub struct RepairInfo {
    pub vectors_added: u32,
    pub vectors_removed: u32,
    pub rebuilt: bool,
    pub reason: String,
}

/// What `open` found and did.
#[napi(object)]
pub struct OpenReportInfo {
    pub created: bool,
    pub text_generation: f64,
    pub vector_generation: Option<f64>,
    pub repaired: Option<RepairInfo>,
    pub problems: Vec<String>,
}

#[napi(object)]
pub struct UnifiedStats {
    pub doc_count: f64,
    pub vector_count: f64,
    pub pending_adds: u32,
    pub pending_deletes: u32,
    pub generation: f64,
    pub dimensions: u32,
    pub metric: String,
    /// `"hnsw"` or `"flat"`.
    pub vector_index: String,
    pub text_index_bytes: f64,
    /// Bytes of the vector index file on disk.
    pub vector_index_bytes: f64,
    /// Heap bytes of the in-memory vector index (committed vectors only).
    pub vector_memory: VectorMemoryUsage,
}

fn open_options(o: UnifiedOpenOptions) -> EngineResult<OpenOptions> {
    let mut options = OpenOptions::new(
        path("textIndexPath", &o.text_index_path)?,
        path("vectorDbPath", &o.vector_db_path)?,
        count("dimensions", o.dimensions)?,
    );
    if let Some(metric) = o.metric {
        options.metric = metric.parse::<Metric>().map_err(CodedError::from)?;
    }
    if let Some(kind) = o.vector_index {
        options.vector_index = Some(kind.parse::<IndexKind>().map_err(CodedError::from)?);
    }
    let d = HnswParams::default();
    options.hnsw = HnswParams {
        m: optional_count("m", o.m)?.unwrap_or(d.m),
        ef_construction: optional_count("efConstruction", o.ef_construction)?.unwrap_or(d.ef_construction),
        ef_search: optional_count("efSearch", o.ef_search)?.unwrap_or(d.ef_search),
        seed: o.seed.map(|s| uint32("seed", s)).transpose()?.map_or(d.seed, u64::from),
    };
    options.embedder = match o.embedder.as_deref() {
        None | Some("feature-hashing") => EmbedderConfig::FeatureHashing,
        Some("none") => EmbedderConfig::None,
        Some(other) => {
            return Err(CodedError::invalid_argument(format!(
                "unknown embedder {other:?}: expected \"feature-hashing\" or \"none\""
            )))
        }
    };
    if let Some(bytes) = optional_count("writerMemory", o.writer_memory)? {
        options.writer_memory = bytes;
    }
    Ok(options)
}

fn query_from_js(q: NativeQuery) -> EngineResult<Query> {
    let mode = match q.mode.as_deref() {
        None | Some("hybrid") => SearchMode::Hybrid,
        Some("text") => SearchMode::Text,
        Some("vector") => SearchMode::Vector,
        Some(other) => {
            return Err(CodedError::invalid_argument(format!(
                "unknown mode {other:?}: expected \"text\", \"vector\" or \"hybrid\""
            )))
        }
    };
    let fusion = match q.fusion.as_deref() {
        None | Some("rrf") => Fusion::Rrf { k: q.rrf_k.map(|k| uint32("rrfK", k)).transpose()?.unwrap_or(60) },
        Some("linear") => Fusion::Linear { alpha: q.alpha.unwrap_or(0.5) },
        Some(other) => {
            return Err(CodedError::invalid_argument(format!(
                "unknown fusion {other:?}: expected \"rrf\" or \"linear\""
            )))
        }
    };
    Ok(Query {
        text: q.text.as_ref().map(|t| string_id("the query text", t)).transpose()?,
        // The query vector is small: copied here so the caller may reuse its array at once.
        vector: q.vector.map(|v| v.to_vec()),
        mode,
        k: optional_count("k", q.k)?.unwrap_or(10),
        fusion,
        candidates: optional_count("candidates", q.candidates)?,
        ef: optional_count("ef", q.ef)?,
    })
}

fn hits_to_js(_env: &Env, hits: Vec<vn_hybrid::Hit>) -> Result<Vec<HybridHit>> {
    Ok(hits
        .into_iter()
        .map(|h| HybridHit {
            id: h.id,
            score: h.score,
            text_score: h.text_score,
            text_rank: h.text_rank,
            vector_score: h.vector_score,
            vector_rank: h.vector_rank,
        })
        .collect())
}

fn finish_count(_env: &Env, n: usize) -> Result<u32> {
    Ok(n as u32)
}

fn finish_generation(_env: &Env, g: u64) -> Result<f64> {
    Ok(g as f64)
}

fn finish_vectors(_env: &Env, rows: Vec<f32>) -> Result<Float32Array> {
    Ok(Float32Array::new(rows))
}

fn finish_unit(_env: &Env, _: ()) -> Result<()> {
    Ok(())
}

fn finish_system(_env: &Env, system: UnifiedSearchSystem) -> Result<NativeUnifiedSearchSystem> {
    Ok(NativeUnifiedSearchSystem { system: Arc::new(system) })
}

fn finish_document(_env: &Env, doc: Option<Document>) -> Result<Option<StoredDocument>> {
    Ok(doc.map(|d| StoredDocument {
        id: d.id,
        text: d.text,
        vector: d.vector.map(Float32Array::new),
        metadata: d.metadata,
    }))
}

fn finish_stats(_env: &Env, s: vn_hybrid::Stats) -> Result<UnifiedStats> {
    Ok(UnifiedStats {
        doc_count: s.doc_count as f64,
        vector_count: s.vector_count as f64,
        pending_adds: s.pending_adds as u32,
        pending_deletes: s.pending_deletes as u32,
        generation: s.generation as f64,
        dimensions: s.dimensions as u32,
        metric: s.metric.as_str().to_string(),
        vector_index: s.vector_index.as_str().to_string(),
        text_index_bytes: s.text_index_bytes as f64,
        vector_index_bytes: s.vector_index_bytes as f64,
        vector_memory: s.vector_memory.into(),
    })
}

/// Text + vector search over two stores kept crash-consistent (the text index is the source
/// of truth; the vector index is repaired from it on open when they are out of step).
#[napi]
pub struct NativeUnifiedSearchSystem {
    system: Arc<UnifiedSearchSystem>,
}

#[napi]
impl NativeUnifiedSearchSystem {
    /// Opens the stores at the two paths, creating them when absent.
    #[napi(ts_return_type = "Promise<NativeUnifiedSearchSystem>")]
    pub fn open(
        options: UnifiedOpenOptions,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<EngineTask<UnifiedSearchSystem, NativeUnifiedSearchSystem>> {
        let task = EngineTask::new(
            move || {
                let options = open_options(options)?;
                UnifiedSearchSystem::open(options).map_err(CodedError::from)
            },
            finish_system,
        );
        spawn(task, signal)
    }

    /// What `open` found and did (created, generations, repairs, problems).
    #[napi(getter)]
    pub fn open_report(&self) -> OpenReportInfo {
        let r = self.system.open_report();
        OpenReportInfo {
            created: r.created,
            text_generation: r.text_generation as f64,
            vector_generation: r.vector_generation.map(|g| g as f64),
            repaired: r.repaired.as_ref().map(|x| RepairInfo {
                vectors_added: x.vectors_added as u32,
                vectors_removed: x.vectors_removed as u32,
                rebuilt: x.rebuilt,
                reason: x.reason.clone(),
            }),
            problems: r.problems.clone(),
        }
    }

    #[napi(getter)]
    pub fn dimensions(&self) -> u32 {
        self.system.dimensions() as u32
    }

    #[napi(getter)]
    pub fn metric(&self) -> &'static str {
        self.system.metric().as_str()
    }

    /// `"hnsw"` or `"flat"`: the kind the store was created with.
    #[napi(getter)]
    pub fn vector_index(&self) -> &'static str {
        self.system.vector_index().as_str()
    }

    /// The committed generation searches see.
    #[napi(getter)]
    pub fn generation(&self) -> f64 {
        self.system.generation() as f64
    }

    /// Buffers documents (all or nothing); invisible to searches until `commit`.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn add(
        &self,
        env: Env,
        docs: Vec<NativeDocument>,
        signal: Option<AbortSignal>,
        #[napi(ts_arg_type = "NativeStamps")] stamps: Option<Object>,
    ) -> AsyncTask<EngineTask<usize, u32>> {
        let system = self.system.clone();
        // Vectors are copied here, on the main thread, so the caller's arrays are free at once.
        let docs: EngineResult<Vec<Document>> = docs
            .into_iter()
            .map(|d| {
                Ok(Document {
                    id: string_id("document id", &d.id)?,
                    text: string_id("document text", &d.text)?,
                    vector: d.vector.map(|v| v.to_vec()),
                    metadata: d.metadata,
                })
            })
            .collect();
        spawn(
            EngineTask::new(move || system.add(&docs?).map_err(CodedError::from), finish_count).stamped(&env, stamps),
            signal,
        )
    }

    /// Buffers deletions (all or nothing: an unknown id deletes none).
    #[napi(ts_return_type = "Promise<number>")]
    pub fn delete(&self, ids: Vec<Utf16String>, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<usize, u32>> {
        let system = self.system.clone();
        let ids: EngineResult<Vec<String>> = ids.iter().map(|id| string_id("id", id)).collect();
        spawn(EngineTask::new(move || system.delete(&ids?).map_err(CodedError::from), finish_count), signal)
    }

    /// Makes buffered adds and deletes durable and visible. Resolves to the new generation.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn commit(
        &self,
        env: Env,
        signal: Option<AbortSignal>,
        #[napi(ts_arg_type = "NativeStamps")] stamps: Option<Object>,
    ) -> AsyncTask<EngineTask<u64, f64>> {
        let system = self.system.clone();
        spawn(
            EngineTask::new(move || system.commit().map_err(CodedError::from), finish_generation).stamped(&env, stamps),
            signal,
        )
    }

    /// Discards buffered adds and deletes. Resolves to how many operations were dropped.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn rollback(&self, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<usize, u32>> {
        let system = self.system.clone();
        spawn(EngineTask::new(move || system.rollback().map_err(CodedError::from), finish_count), signal)
    }

    /// Searches the committed state.
    #[napi(ts_return_type = "Promise<HybridHit[]>")]
    pub fn search<'env>(
        &self,
        env: &'env Env,
        query: NativeQuery,
        signal: Option<AbortSignal>,
        #[napi(ts_arg_type = "NativeStamps")] stamps: Option<Object>,
    ) -> Result<PromiseRaw<'env, Vec<HybridHit>>> {
        let system = self.system.clone();
        let query = query_from_js(query);
        run_pooled(env, move || system.search(&query?).map_err(CodedError::from), hits_to_js, stamps, signal)
    }

    /// The store's built-in embedder applied to `texts`: `texts.length × dimensions` floats,
    /// row-major; a text without tokens gives a row of zeros. ERR_INVALID_ARGUMENT when the store
    /// was opened without a built-in embedder.
    #[napi(ts_return_type = "Promise<Float32Array>")]
    pub fn embed(
        &self,
        texts: Vec<Utf16String>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<EngineTask<Vec<f32>, Float32Array>> {
        let system = self.system.clone();
        let texts: EngineResult<Vec<String>> = texts.iter().map(|t| string_id("text", t)).collect();
        spawn(
            EngineTask::new(
                move || {
                    let texts = texts?;
                    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                    system.embed(&texts).map_err(CodedError::from)
                },
                finish_vectors,
            ),
            signal,
        )
    }

    /// A committed document by id, or null.
    #[napi(ts_return_type = "Promise<StoredDocument | null>")]
    pub fn get(
        &self,
        id: Utf16String,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<EngineTask<Option<Document>, Option<StoredDocument>>> {
        let system = self.system.clone();
        let id = string_id("id", &id);
        spawn(EngineTask::new(move || system.get(&id?).map_err(CodedError::from), finish_document), signal)
    }

    /// Counts, generation, sizes on disk.
    #[napi(ts_return_type = "Promise<UnifiedStats>")]
    pub fn stats(&self, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<vn_hybrid::Stats, UnifiedStats>> {
        let system = self.system.clone();
        spawn(EngineTask::new(move || system.stats().map_err(CodedError::from), finish_stats), signal)
    }

    /// A session: per-session search scratch (visited set, heaps, a searcher snapshot).
    #[napi]
    pub fn open_session(&self) -> NativeSearchSession {
        NativeSearchSession { session: Arc::new(Mutex::new(Some(self.system.session()))) }
    }

    /// Drops buffered writes, releases the stores' locks; later calls fail with ERR_CLOSED.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self, signal: Option<AbortSignal>) -> AsyncTask<EngineTask<(), ()>> {
        let system = self.system.clone();
        spawn(EngineTask::new(move || system.close().map_err(CodedError::from), finish_unit), signal)
    }
}

/// A search session (what the load harness's connection pool holds). One search at a time;
/// a second concurrent search on the same session waits for the first.
#[napi]
pub struct NativeSearchSession {
    session: Arc<Mutex<Option<Session>>>,
}

fn closed_session() -> CodedError {
    CodedError { code: "ERR_CLOSED", message: "the session is closed".to_string() }
}

#[napi]
impl NativeSearchSession {
    /// Searches like `system.search`, reusing this session's scratch state.
    #[napi(ts_return_type = "Promise<HybridHit[]>")]
    pub fn search<'env>(
        &self,
        env: &'env Env,
        query: NativeQuery,
        signal: Option<AbortSignal>,
        #[napi(ts_arg_type = "NativeStamps")] stamps: Option<Object>,
    ) -> Result<PromiseRaw<'env, Vec<HybridHit>>> {
        let session = self.session.clone();
        let query = query_from_js(query);
        let work = move || {
            let query = query?;
            let mut guard = session.lock();
            let session = guard.as_mut().ok_or_else(closed_session)?;
            session.search(&query).map_err(CodedError::from)
        };
        run_pooled(env, work, hits_to_js, stamps, signal)
    }

    /// The generation the session's last search saw.
    #[napi(getter)]
    pub fn generation(&self, env: Env) -> Result<f64> {
        let guard = self.session.lock();
        match guard.as_ref() {
            Some(s) => Ok(s.generation() as f64),
            None => Err(closed_session().into_napi(&env)),
        }
    }

    /// Frees the session's memory. Closing twice is harmless.
    #[napi]
    pub fn close(&self) {
        self.session.lock().take();
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.session.lock().is_none()
    }
}
