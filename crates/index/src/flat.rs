//! [`FlatIndex`]: exact search by scanning every live vector.

use std::any::Any;
use std::collections::HashSet;
use std::path::Path;

use parking_lot::RwLock;
use rayon::prelude::*;

use crate::aligned::AlignedRows;
use crate::distance::{distance, distances_to_many};
use crate::idmap::{map_bytes, IdMap};
use crate::persist::{self, Encoder, FileChecksum, Header, Loaded};
use crate::select::TopK;
use crate::validate;
use crate::{Hit, HnswParams, IndexError, IndexKind, MemoryUsage, Metric, Result, SearchParams, VectorIndex};

/// The rows, densely packed: removal moves the last row into the hole.
struct Rows {
    ids: Vec<u64>,
    vectors: AlignedRows,
    by_id: IdMap<usize>,
    /// Bumped by every add and remove: a batch scan split over threads checks that every part
    /// saw the same rows.
    generation: u64,
}

/// Bytes of queries compared with each row while it is in L1 (one tile of a batch).
const QUERY_TILE_BYTES: usize = 32 * 1024;
/// Bytes of rows that stay in L2 while every query tile of a batch is compared with them.
const ROW_BLOCK_BYTES: usize = 1024 * 1024;
/// Fewest rows worth a thread of their own in a batch scan.
const MIN_ROWS_PER_TASK: usize = 16 * 1024;

/// An exact index: every search compares the query with every live vector.
///
/// Searches hold a read lock (any number run in parallel); adds and removes hold the write lock
/// only to check ids and append or move rows. Results are exact; ties break by id. Rows are
/// stored 64-byte aligned (padded to a multiple of 16 floats), so results do not depend on where
/// a query sits in memory.
pub struct FlatIndex {
    dims: usize,
    metric: Metric,
    rows: RwLock<Rows>,
}

impl std::fmt::Debug for FlatIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlatIndex")
            .field("dimensions", &self.dims)
            .field("metric", &self.metric)
            .field("len", &self.len())
            .finish()
    }
}

impl FlatIndex {
    /// An empty index. `InvalidArgument` for dimensions outside 1 ..= 65 536.
    pub fn new(dimensions: usize, metric: Metric) -> Result<Self> {
        validate::dimensions(dimensions)?;
        let rows =
            Rows { ids: Vec::new(), vectors: AlignedRows::new(dimensions), by_id: IdMap::default(), generation: 0 };
        Ok(FlatIndex { dims: dimensions, metric, rows: RwLock::new(rows) })
    }

    /// Opens a file written by [`VectorIndex::save`] of a `FlatIndex`.
    ///
    /// Errors: `Io`, `Corrupt`, `UnsupportedVersion`, and `InvalidArgument` when the file holds
    /// an HNSW index (use [`load_index`](crate::load_index) to open either kind).
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_loaded(persist::read_file(path)?)
    }

    pub(crate) fn from_loaded(data: Loaded) -> Result<Self> {
        let h = &data.header;
        if h.kind != IndexKind::Flat {
            return Err(IndexError::InvalidArgument(format!(
                "the file holds a {} index, not a flat one",
                h.kind.as_str()
            )));
        }
        // The reader checked: no deleted rows, distinct ids, lengths that match.
        let mut by_id = IdMap::default();
        by_id.reserve(data.ids.len());
        for (row, &id) in data.ids.iter().enumerate() {
            by_id.insert(id, row);
        }
        let mut vectors = AlignedRows::new(h.dims);
        vectors
            .extend(&data.vectors)
            .map_err(|_| IndexError::InvalidArgument("not enough memory to load the index".into()))?;
        let rows = Rows { ids: data.ids, vectors, by_id, generation: 0 };
        Ok(FlatIndex { dims: h.dims, metric: h.metric, rows: RwLock::new(rows) })
    }

    /// Exact top-k of a prepared query.
    fn scan(&self, rows: &Rows, q: &[f32], k: usize, filter: Option<&HashSet<u64>>) -> Vec<Hit> {
        let mut top = TopK::new(k);
        match filter {
            // Few allowed ids: look them up instead of scanning everything.
            Some(f) if f.len() < rows.ids.len() => {
                for id in f {
                    if let Some(&row) = rows.by_id.get(id) {
                        top.push(distance(self.metric, q, rows.vectors.row(row)), *id);
                    }
                }
            }
            Some(f) => {
                for (v, &id) in rows.vectors.iter().zip(&rows.ids) {
                    if f.contains(&id) {
                        top.push(distance(self.metric, q, v), id);
                    }
                }
            }
            None => {
                for (v, &id) in rows.vectors.iter().zip(&rows.ids) {
                    top.push(distance(self.metric, q, v), id);
                }
            }
        }
        top.into_hits()
    }

    /// Exact top-k of every query in `queries` (prepared, one aligned row each) among the rows
    /// `range`, scanned in blocks: a block of rows stays in L2 while each tile of queries
    /// (in L1) is compared with it, and each row is compared with a whole tile at once
    /// ([`distances_to_many`]), so a batch reads each row from memory once instead of once per
    /// query. Distances are bit for bit those of [`Self::scan`], so a batch returns what
    /// one-at-a-time searches return.
    fn scan_blocked(
        &self,
        rows: &Rows,
        range: std::ops::Range<usize>,
        queries: &AlignedRows,
        nq: usize,
        k: usize,
        filter: Option<&HashSet<u64>>,
    ) -> Vec<Vec<Hit>> {
        let qstride = queries.stride();
        let mut tile = (QUERY_TILE_BYTES / (4 * qstride)).max(1);
        if tile >= 4 {
            tile -= tile % 4;
        }
        let block = (ROW_BLOCK_BYTES / (4 * rows.vectors.stride())).max(1);
        let mut tops: Vec<TopK> = (0..nq).map(|_| TopK::new(k)).collect();
        // Each query's entry bound, kept beside the distances so the common case (the row is
        // farther than every kept hit of every query) is a compare per query and no heap access.
        let mut bounds = vec![f32::INFINITY; nq];
        let mut dist = vec![0.0f32; tile.min(nq)];
        let mut b0 = range.start;
        while b0 < range.end {
            let b1 = (b0 + block).min(range.end);
            let mut q0 = 0;
            while q0 < nq {
                let q1 = (q0 + tile).min(nq);
                let qs = queries.rows_from(q0, q1 - q0);
                let out = &mut dist[..q1 - q0];
                let tops = &mut tops[q0..q1];
                let bounds = &mut bounds[q0..q1];
                for (v, &id) in (b0..b1).map(|r| rows.vectors.row(r)).zip(&rows.ids[b0..b1]) {
                    if filter.is_some_and(|f| !f.contains(&id)) {
                        continue;
                    }
                    distances_to_many(self.metric, v, qs, qstride, out);
                    if out.iter().zip(bounds.iter()).all(|(d, b)| d > b) {
                        continue;
                    }
                    for ((top, bound), &d) in tops.iter_mut().zip(bounds.iter_mut()).zip(out.iter()) {
                        if d.partial_cmp(bound) != Some(std::cmp::Ordering::Greater) {
                            top.push(d, id);
                            *bound = top.bound();
                        }
                    }
                }
                q0 = q1;
            }
            b0 = b1;
        }
        tops.into_iter().map(TopK::into_hits).collect()
    }
}

impl VectorIndex for FlatIndex {
    fn kind(&self) -> IndexKind {
        IndexKind::Flat
    }

    fn dimensions(&self) -> usize {
        self.dims
    }

    fn metric(&self) -> Metric {
        self.metric
    }

    fn len(&self) -> usize {
        self.rows.read().ids.len()
    }

    fn contains(&self, id: u64) -> bool {
        self.rows.read().by_id.contains_key(&id)
    }

    fn add(&self, ids: &[u64], vectors: &[f32]) -> Result<()> {
        let data = validate::prepare_add(self.metric, self.dims, ids, vectors)?;
        let mut rows = self.rows.write();
        if let Some(&id) = ids.iter().find(|id| rows.by_id.contains_key(id)) {
            return Err(IndexError::DuplicateId(id));
        }
        rows.vectors.extend(&data).map_err(|_| {
            IndexError::InvalidArgument(format!("cannot allocate memory for {} more vectors", ids.len()))
        })?;
        let first = rows.ids.len();
        rows.generation += 1;
        rows.ids.extend_from_slice(ids);
        for (i, &id) in ids.iter().enumerate() {
            rows.by_id.insert(id, first + i);
        }
        Ok(())
    }

    fn remove(&self, ids: &[u64]) -> Result<usize> {
        let ids = validate::remove_ids(ids)?;
        let mut guard = self.rows.write();
        let rows = &mut *guard;
        if let Some(&id) = ids.iter().find(|id| !rows.by_id.contains_key(id)) {
            return Err(IndexError::UnknownId(id));
        }
        rows.generation += 1;
        for id in &ids {
            let row = rows.by_id.remove(id).expect("checked above");
            rows.ids.swap_remove(row);
            rows.vectors.swap_remove(row);
            if row < rows.ids.len() {
                rows.by_id.insert(rows.ids[row], row);
            }
        }
        Ok(ids.len())
    }

    fn memory(&self) -> MemoryUsage {
        let rows = self.rows.read();
        MemoryUsage {
            vector_bytes: rows.vectors.allocated_bytes(),
            id_bytes: (rows.ids.capacity() * std::mem::size_of::<u64>()) as u64 + map_bytes(&rows.by_id),
            graph_bytes: 0,
            other_bytes: 0,
        }
    }

    fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<Hit>> {
        validate::search_params(params)?;
        let mut buf = Vec::new();
        let q = validate::prepare_query(self.metric, self.dims, query, 0, &mut buf)?;
        let rows = self.rows.read();
        Ok(self.scan(&rows, q, params.k, params.filter))
    }

    fn search_batch(&self, queries: &[f32], params: &SearchParams) -> Result<Vec<Vec<Hit>>> {
        validate::search_params(params)?;
        validate::query_batch(self.dims, queries)?;
        // Every query checked (and normalized under cosine) into one aligned table.
        let nq = queries.len() / self.dims;
        let mut prepared = Vec::with_capacity(queries.len());
        let mut buf = Vec::new();
        for (row, q) in queries.chunks_exact(self.dims).enumerate() {
            prepared.extend_from_slice(validate::prepare_query(self.metric, self.dims, q, row, &mut buf)?);
        }
        let mut table = AlignedRows::new(self.dims);
        table.extend(&prepared).map_err(|_| IndexError::InvalidArgument("not enough memory for the queries".into()))?;
        drop(prepared);

        let (n, generation) = {
            let rows = self.rows.read();
            (rows.ids.len(), rows.generation)
        };
        if let Some(f) = params.filter {
            if f.len().saturating_mul(4) < n {
                // Few allowed ids: each query looks them up (random reads of a few rows beat
                // streaming them all, even shared by a batch).
                return Ok((0..nq)
                    .into_par_iter()
                    .map(|q| self.scan(&self.rows.read(), table.row(q), params.k, params.filter))
                    .collect());
            }
        }
        let tasks = (n / MIN_ROWS_PER_TASK).clamp(1, rayon::current_num_threads());
        if tasks > 1 {
            // Each part takes the read lock for its own rows only (a lock held across rayon's
            // join would let a waiting thread steal a job that wants the write lock). Parts
            // that saw different rows (an add or remove in between) are thrown away below.
            let parts: Vec<Option<Vec<Vec<Hit>>>> = (0..tasks)
                .into_par_iter()
                .map(|t| {
                    let rows = self.rows.read();
                    (rows.generation == generation).then(|| {
                        let range = t * n / tasks..(t + 1) * n / tasks;
                        self.scan_blocked(&rows, range, &table, nq, params.k, params.filter)
                    })
                })
                .collect();
            if let Some(parts) = parts.into_iter().collect::<Option<Vec<_>>>() {
                return Ok((0..nq)
                    .map(|q| {
                        let mut top = TopK::new(params.k);
                        for hit in parts.iter().flat_map(|p| &p[q]) {
                            top.push(hit.distance, hit.id);
                        }
                        top.into_hits()
                    })
                    .collect());
            }
        }
        // One part, or the rows changed while the parts ran: one pass under one read lock.
        let rows = self.rows.read();
        Ok(self.scan_blocked(&rows, 0..rows.ids.len(), &table, nq, params.k, params.filter))
    }

    fn save_checksummed(&self, path: &Path) -> Result<FileChecksum> {
        self.save_to(path).map_err(|e| persist::at_path(e, "writing", path))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FlatIndex {
    fn save_to(&self, path: &Path) -> Result<FileChecksum> {
        crate::write_atomically(path, |w| self.encode(w))
    }

    /// Writes the index file's bytes to `w`.
    pub(crate) fn encode<W: std::io::Write>(&self, w: W) -> Result<FileChecksum> {
        {
            let rows = self.rows.read();
            let n = rows.ids.len() as u64;
            let header = Header {
                kind: IndexKind::Flat,
                metric: self.metric,
                dims: self.dims,
                params: HnswParams { m: 0, ef_construction: 0, ef_search: 0, seed: 0 },
                node_count: n,
                live_count: n,
                entry: None,
                rng_state: 0,
            };
            let mut e = Encoder::new(w);
            e.header(&header)?;
            e.section(persist::TAG_IDS, n * 8)?;
            for &id in &rows.ids {
                e.u64(id)?;
            }
            e.section(persist::TAG_VECS, n * self.dims as u64 * 4)?;
            for v in rows.vectors.iter() {
                e.f32s(v)?;
            }
            e.section(persist::TAG_DELS, n)?;
            let zeros = [0u8; 4096];
            let mut left = n as usize;
            while left > 0 {
                let take = left.min(zeros.len());
                e.bytes(&zeros[..take])?;
                left -= take;
            }
            e.section(persist::TAG_IMAP, n * 16)?;
            for (row, &id) in rows.ids.iter().enumerate() {
                e.u64(id)?;
                e.u64(row as u64)?;
            }
            Ok(e.finish()?.1)
        }
    }
}
