//! Entry points for the fuzz targets (`fuzz/`) and their stable replay test; compiled only
//! with the `fuzzing` feature, never part of the public API.

use crate::persist;
use crate::{FlatIndex, HnswIndex, IndexError, IndexKind, Result, SearchParams, VectorIndex};

/// What [`load_index`](crate::load_index) does with a file holding `bytes`, without the file.
pub fn load_bytes(bytes: &[u8]) -> Result<Box<dyn VectorIndex>> {
    let data = persist::read_from(bytes, bytes.len() as u64)?;
    Ok(match data.header.kind {
        IndexKind::Flat => Box::new(FlatIndex::from_loaded(data)?),
        IndexKind::Hnsw => Box::new(HnswIndex::from_loaded(data)?),
    })
}

/// The bytes [`VectorIndex::save`] would write for `index`.
pub fn encode(index: &dyn VectorIndex) -> Result<Vec<u8>> {
    let any = index.as_any();
    let mut out = Vec::new();
    if let Some(flat) = any.downcast_ref::<FlatIndex>() {
        flat.encode(&mut out)?;
    } else if let Some(hnsw) = any.downcast_ref::<HnswIndex>() {
        hnsw.encode(&mut out)?;
    } else {
        return Err(IndexError::InvalidArgument("not an index of this crate".into()));
    }
    Ok(out)
}

/// Sets the trailing CRC-32 of `bytes` to the CRC of the bytes before it, so that a mutation
/// reaches the checks made after the checksum (a file that passed its checksum but is still
/// inconsistent must be `Corrupt` too, never a panic).
pub fn fix_checksum(bytes: &mut [u8]) {
    if bytes.len() >= 4 {
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
    }
}

/// The body of the `vector_file` fuzz target. The first byte chooses whether the trailing
/// checksum is fixed up (odd) or left as mutated (even); the rest is the file.
///
/// Panics (a finding) when loading panics, when a damaged file gets another error than
/// `Corrupt` or `UnsupportedVersion`, or when a file that loads cannot be used: searched,
/// written, modified, and written again to bytes that load to the same index.
pub fn vector_file(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut bytes = rest.to_vec();
    if mode & 1 == 1 {
        fix_checksum(&mut bytes);
    }
    let index = match load_bytes(&bytes) {
        Ok(index) => index,
        Err(IndexError::Corrupt(_) | IndexError::UnsupportedVersion { .. }) => return,
        // Only an allocation the machine cannot make (bounded by the input's size).
        Err(IndexError::Io(e)) if e.kind() == std::io::ErrorKind::OutOfMemory => return,
        Err(e) => panic!("a damaged file got {} ({e}), not ERR_CORRUPT_INDEX", e.code()),
    };
    exercise(&*index);
}

/// Uses a loaded index the way a caller would; every call must succeed.
fn exercise(index: &dyn VectorIndex) {
    let dims = index.dimensions();
    let n = index.len();
    let query: Vec<f32> = (0..dims).map(|i| 1.0 + i as f32 * 0.25).collect();
    let hits = index.search(&query, &SearchParams { k: 10, ..Default::default() }).expect("search a loaded index");
    // Exact search finds min(k, n); HNSW on a graph that passed its checks may be sparser.
    let found = hits.len();
    match index.kind() {
        IndexKind::Flat => assert_eq!(found, n.min(10), "a flat search found {found} of {n} vectors"),
        IndexKind::Hnsw => assert!(found <= n.min(10), "an HNSW search found {found} of {n} vectors"),
    }
    for h in &hits {
        assert!(index.contains(h.id), "a search returned id {}, which the index does not hold", h.id);
    }
    let first = encode(index).expect("encode a loaded index");
    let again = load_bytes(&first).unwrap_or_else(|e| panic!("a written index does not load: {e}"));
    assert_eq!((again.len(), again.dimensions(), again.kind()), (n, dims, index.kind()));
    assert_eq!(encode(&*again).expect("encode again"), first, "writing a loaded index is not stable");
    // Modify it: remove a found id, add a fresh one (an HNSW insert walks the loaded graph).
    let removed = match hits.first() {
        Some(h) => again.remove(&[h.id]).expect("remove a live id"),
        None => 0,
    };
    let fresh = (0..=u64::MAX).find(|id| !again.contains(*id)).expect("a free id");
    again.add(&[fresh], &query).unwrap_or_else(|e| panic!("adding to a loaded index failed: {e}"));
    assert!(again.contains(fresh) && again.len() == n - removed + 1, "add or remove lost count");
    again.search(&query, &SearchParams { k: 3, ..Default::default() }).expect("search after add");
    encode(&*again).expect("encode after add");
}
