//! Argument checks shared by both indexes. The JS layer checks too, but nothing here trusts it.

use std::collections::HashSet;

use crate::distance::{has_direction, normalize_into};
use crate::idmap::IdHasher;
use crate::{HnswParams, IndexError, Metric, Result, SearchParams};

/// Largest accepted dimension count.
pub(crate) const MAX_DIMENSIONS: usize = 65_536;
/// Largest accepted `k`.
pub const MAX_K: usize = 100_000;
/// Largest accepted beam width (`ef`, `ef_search`, `ef_construction`).
pub(crate) const MAX_EF: usize = 1_000_000;
/// Accepted range of HNSW's `M`.
pub(crate) const MIN_M: usize = 2;
/// Accepted range of HNSW's `M`.
pub(crate) const MAX_M: usize = 256;

fn invalid(msg: String) -> IndexError {
    IndexError::InvalidArgument(msg)
}

pub(crate) fn dimensions(d: usize) -> Result<()> {
    if d == 0 || d > MAX_DIMENSIONS {
        return Err(invalid(format!("dimensions must be between 1 and {MAX_DIMENSIONS}, got {d}")));
    }
    Ok(())
}

pub(crate) fn ef_value(name: &str, ef: usize) -> Result<()> {
    if ef == 0 || ef > MAX_EF {
        return Err(invalid(format!("{name} must be between 1 and {MAX_EF}, got {ef}")));
    }
    Ok(())
}

pub(crate) fn hnsw_params(p: &HnswParams) -> Result<()> {
    if p.m < MIN_M || p.m > MAX_M {
        return Err(invalid(format!("m must be between {MIN_M} and {MAX_M}, got {}", p.m)));
    }
    ef_value("ef_construction", p.ef_construction)?;
    ef_value("ef_search", p.ef_search)
}

/// Checks `k` and `ef` (the filter needs no check).
pub(crate) fn search_params(p: &SearchParams) -> Result<()> {
    if p.k == 0 || p.k > MAX_K {
        return Err(invalid(format!("k must be between 1 and {MAX_K}, got {}", p.k)));
    }
    if let Some(ef) = p.ef {
        ef_value("ef", ef)?;
    }
    Ok(())
}

/// Checks that every component of the row-major `vectors` is finite.
pub(crate) fn finite(vectors: &[f32], d: usize) -> Result<()> {
    // Fast path: one pass with no branch per element.
    if vectors.iter().all(|x| x.is_finite()) {
        return Ok(());
    }
    let i = vectors.iter().position(|x| !x.is_finite()).unwrap_or(0);
    Err(IndexError::NonFinite { row: i / d, position: i % d, value: vectors[i] })
}

fn zero_vector(what: &str, row: usize) -> IndexError {
    invalid(format!("{what} {row} is a zero vector: a zero vector has no direction under the cosine metric"))
}

/// Checks a batch of ids and row-major vectors for `add` without copying anything: lengths,
/// finite components, distinct ids within the batch, and (under `Cosine`) no zero vector.
pub(crate) fn check_add(metric: Metric, d: usize, ids: &[u64], vectors: &[f32]) -> Result<()> {
    if ids.is_empty() {
        return Err(invalid("empty batch: add needs at least one id".to_string()));
    }
    let n = ids.len();
    if vectors.len() != n.saturating_mul(d) {
        if vectors.len().is_multiple_of(n) || !vectors.len().is_multiple_of(d) {
            // Each row would have `len / n` components (or the length fits no whole row).
            let got = if vectors.len().is_multiple_of(n) { vectors.len() / n } else { vectors.len() };
            return Err(IndexError::DimensionMismatch { expected: d, got });
        }
        return Err(invalid(format!("{n} ids but {} vectors of {d} dimensions: one id per vector", vectors.len() / d)));
    }
    finite(vectors, d)?;
    distinct_ids(ids)?;
    if metric == Metric::Cosine {
        if let Some(row) = vectors.chunks_exact(d).position(|v| !has_direction(v)) {
            return Err(zero_vector("vector", row));
        }
    }
    Ok(())
}

/// [`check_add`], then the vectors as stored: normalized under `Cosine`, copied as-is otherwise.
pub(crate) fn prepare_add(metric: Metric, d: usize, ids: &[u64], vectors: &[f32]) -> Result<Vec<f32>> {
    check_add(metric, d, ids, vectors)?;
    match metric {
        Metric::Cosine => {
            let mut out = vec![0.0f32; vectors.len()];
            for (src, dst) in vectors.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
                let ok = normalize_into(src, dst);
                debug_assert!(ok, "checked above");
            }
            Ok(out)
        }
        Metric::L2 | Metric::Dot => Ok(vectors.to_vec()),
    }
}

/// `DuplicateId` for the first id that appears twice in `ids`.
pub(crate) fn distinct_ids(ids: &[u64]) -> Result<()> {
    if ids.len() < 2 {
        return Ok(());
    }
    let mut seen: HashSet<u64, std::hash::BuildHasherDefault<IdHasher>> =
        HashSet::with_capacity_and_hasher(ids.len(), Default::default());
    for &id in ids {
        if !seen.insert(id) {
            return Err(IndexError::DuplicateId(id));
        }
    }
    Ok(())
}

/// Checks the length of a batch of queries; returns the number of rows.
pub(crate) fn query_batch(d: usize, queries: &[f32]) -> Result<usize> {
    if queries.is_empty() {
        return Err(invalid("empty batch: search_batch needs at least one query".to_string()));
    }
    if !queries.len().is_multiple_of(d) {
        return Err(IndexError::DimensionMismatch { expected: d, got: queries.len() });
    }
    finite(queries, d)?;
    Ok(queries.len() / d)
}

/// Checks one query (row `row` of a batch, or 0) and returns it as the kernels want it:
/// normalized into `buf` under `Cosine`, borrowed as-is otherwise.
pub(crate) fn prepare_query<'a>(
    metric: Metric,
    d: usize,
    query: &'a [f32],
    row: usize,
    buf: &'a mut Vec<f32>,
) -> Result<&'a [f32]> {
    if query.len() != d {
        return Err(IndexError::DimensionMismatch { expected: d, got: query.len() });
    }
    if let Err(IndexError::NonFinite { position, value, .. }) = finite(query, d) {
        return Err(IndexError::NonFinite { row, position, value });
    }
    match metric {
        Metric::Cosine => {
            buf.clear();
            buf.resize(d, 0.0);
            if !normalize_into(query, buf) {
                return Err(zero_vector("query", row));
            }
            Ok(buf.as_slice())
        }
        Metric::L2 | Metric::Dot => Ok(query),
    }
}

/// Ids of a `remove` call, deduplicated in order; `InvalidArgument` when empty.
pub(crate) fn remove_ids(ids: &[u64]) -> Result<Vec<u64>> {
    if ids.is_empty() {
        return Err(invalid("empty batch: remove needs at least one id".to_string()));
    }
    let mut seen: HashSet<u64, std::hash::BuildHasherDefault<IdHasher>> =
        HashSet::with_capacity_and_hasher(ids.len(), Default::default());
    Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_lengths() {
        let e = prepare_add(Metric::L2, 4, &[1, 2], &[0.0; 12]).unwrap_err();
        assert!(matches!(e, IndexError::DimensionMismatch { expected: 4, got: 6 }), "{e:?}");
        let e = prepare_add(Metric::L2, 4, &[1, 2], &[0.0; 7]).unwrap_err();
        assert!(matches!(e, IndexError::DimensionMismatch { expected: 4, got: 7 }), "{e:?}");
        let e = prepare_add(Metric::L2, 4, &[1, 2, 3], &[0.0; 8]).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_ARGUMENT", "{e:?}");
        let e = prepare_add(Metric::L2, 2, &[1, 2], &[0.0, 1.0, f32::NAN, 0.0]).unwrap_err();
        assert!(matches!(e, IndexError::NonFinite { row: 1, position: 0, .. }), "{e:?}");
        let e = prepare_add(Metric::L2, 1, &[1, 1], &[0.0, 1.0]).unwrap_err();
        assert!(matches!(e, IndexError::DuplicateId(1)), "{e:?}");
        let e = prepare_add(Metric::Cosine, 2, &[1, 2], &[1.0, 1.0, 0.0, 0.0]).unwrap_err();
        assert!(e.to_string().contains("zero vector has no direction"), "{e}");
        let v = prepare_add(Metric::Cosine, 2, &[1], &[3.0, 4.0]).unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn query_checks() {
        let mut buf = Vec::new();
        let e = prepare_query(Metric::L2, 3, &[1.0, 2.0], 0, &mut buf).unwrap_err();
        assert!(matches!(e, IndexError::DimensionMismatch { expected: 3, got: 2 }));
        let e = prepare_query(Metric::L2, 2, &[1.0, f32::INFINITY], 5, &mut buf).unwrap_err();
        assert!(matches!(e, IndexError::NonFinite { row: 5, position: 1, .. }), "{e:?}");
        assert!(query_batch(3, &[0.0; 7]).is_err());
        assert!(query_batch(3, &[]).is_err());
        assert_eq!(query_batch(3, &[0.0; 6]).unwrap(), 2);
    }

    #[test]
    fn params() {
        assert!(dimensions(0).is_err() && dimensions(65_537).is_err() && dimensions(65_536).is_ok());
        let p = HnswParams::default();
        assert!(hnsw_params(&p).is_ok());
        assert!(hnsw_params(&HnswParams { m: 1, ..p }).is_err());
        assert!(hnsw_params(&HnswParams { m: 257, ..p }).is_err());
        assert!(hnsw_params(&HnswParams { ef_construction: 0, ..p }).is_err());
        let k = |k| SearchParams { k, ..Default::default() };
        assert!(search_params(&k(0)).unwrap_err().to_string().contains('k'));
        assert!(search_params(&k(100_001)).is_err());
        assert!(search_params(&SearchParams { k: 1, ef: Some(0), filter: None }).is_err());
        assert!(search_params(&SearchParams { k: 1, ef: Some(1_000_001), filter: None }).is_err());
    }
}
