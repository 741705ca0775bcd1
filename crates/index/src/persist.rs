//! The index file format and its crash-safe writing.
//!
//! # Layout (all integers little-endian)
//!
//! ```text
//! offset  size  field
//!      0     8  magic  b"VNIDX\0\x01\n"
//!      8     4  format version (u32) = 1
//!     12     1  kind: 0 = flat, 1 = hnsw
//!     13     1  metric: 0 = cosine, 1 = l2, 2 = dot
//!     14     2  reserved, 0
//!     16     4  dimensions (u32)
//!     20     4  m                (hnsw; 0 for flat)
//!     24     4  ef_construction  (hnsw; 0 for flat)
//!     28     4  ef_search        (hnsw; 0 for flat)
//!     32     8  seed             (hnsw; 0 for flat)
//!     40     8  node count n (hnsw: including deleted nodes)
//!     48     8  live count
//!     56     4  entry point node (u32::MAX = none)
//!     60     4  top level of the entry point
//!     64     8  level generator state (hnsw)
//!     72        sections, each: tag [u8; 4], payload length (u64), payload
//!               "IDS " n × u64          caller id of each node
//!               "VECS" n × d × f32      vectors as stored (normalized under cosine)
//!               "DELS" n × u8           1 = deleted (tombstone)
//!               "GRPH" (hnsw only)      per node: level (u8), then per level 0..=level:
//!                                       count (u32), count × neighbour node (u32)
//!               "IMAP" live × (u64 id, u64 node)   id map, by node ascending
//!    end-4     4  CRC-32 (IEEE, crc32fast) of every byte before it
//! ```
//!
//! Bytes 0..12 (magic and version) are frozen for all future versions: a reader checks them
//! first and reports `UnsupportedVersion` for a newer file without reading further.
//!
//! # Reading
//!
//! Every length is checked against the bytes left in the file before anything is allocated,
//! so a corrupted length can cost at most the file's size. The payloads are read raw, the
//! checksum is verified, and only then are the graph and id map interpreted and checked for
//! consistency (a checksummed but inconsistent file is still `Corrupt`, never a panic).
//!
//! # Writing
//!
//! [`Encoder`] writes through a CRC-32 into [`write_atomically`](crate::write_atomically)'s
//! temporary file, which is renamed over the target only once complete and synced.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::{HnswParams, IndexError, IndexKind, Metric, Result};

/// The newest file format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

pub(crate) const MAGIC: [u8; 8] = *b"VNIDX\0\x01\n";
pub(crate) const NO_ENTRY: u32 = u32::MAX;

pub(crate) const TAG_IDS: [u8; 4] = *b"IDS ";
pub(crate) const TAG_VECS: [u8; 4] = *b"VECS";
pub(crate) const TAG_DELS: [u8; 4] = *b"DELS";
pub(crate) const TAG_GRPH: [u8; 4] = *b"GRPH";
pub(crate) const TAG_IMAP: [u8; 4] = *b"IMAP";

fn corrupt(msg: impl Into<String>) -> IndexError {
    IndexError::Corrupt(msg.into())
}

/// The fixed-size header (everything after magic and version).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    pub(crate) kind: IndexKind,
    pub(crate) metric: Metric,
    pub(crate) dims: usize,
    /// All zero for a flat index.
    pub(crate) params: HnswParams,
    pub(crate) node_count: u64,
    pub(crate) live_count: u64,
    /// `(node, level)` of the HNSW entry point.
    pub(crate) entry: Option<(u32, u32)>,
    pub(crate) rng_state: u64,
}

/// A whole file, read and checksum-verified, payloads still raw where kind-specific.
pub(crate) struct Loaded {
    pub(crate) header: Header,
    pub(crate) ids: Vec<u64>,
    pub(crate) vectors: Vec<f32>,
    pub(crate) deleted: Vec<bool>,
    /// Raw "GRPH" payload (empty for flat), parsed by the HNSW loader.
    pub(crate) graph: Vec<u8>,
}

fn metric_code(m: Metric) -> u8 {
    match m {
        Metric::Cosine => 0,
        Metric::L2 => 1,
        Metric::Dot => 2,
    }
}

fn kind_code(k: IndexKind) -> u8 {
    match k {
        IndexKind::Flat => 0,
        IndexKind::Hnsw => 1,
    }
}

// ---------------------------------------------------------------- writing

/// What identifies one index file: its length and the CRC-32 it ends with (the CRC of every
/// byte before it). Two files with the same checksum are the same file (up to a CRC-32
/// collision); unlike a CRC of the whole file, which is the same constant for every valid
/// file (the CRC-32 residue), it tells one valid file from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileChecksum {
    /// Length of the file in bytes.
    pub len: u64,
    /// The CRC-32 stored in the file's last four bytes.
    pub crc32: u32,
}

/// Writes bytes through a CRC-32 and counts them.
pub(crate) struct Encoder<W: Write> {
    w: W,
    crc: crc32fast::Hasher,
    len: u64,
    section_left: u64,
}

impl<W: Write> Encoder<W> {
    pub(crate) fn new(w: W) -> Self {
        Encoder { w, crc: crc32fast::Hasher::new(), len: 0, section_left: 0 }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc.update(b);
        self.len += b.len() as u64;
        self.section_left = self.section_left.wrapping_sub(b.len() as u64);
        self.w.write_all(b)
    }

    pub(crate) fn u8(&mut self, v: u8) -> io::Result<()> {
        self.bytes(&[v])
    }

    pub(crate) fn u32(&mut self, v: u32) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    /// Little-endian f32s, converted through a small stack buffer.
    pub(crate) fn f32s(&mut self, v: &[f32]) -> io::Result<()> {
        let mut buf = [0u8; 4096];
        for chunk in v.chunks(buf.len() / 4) {
            for (dst, x) in buf.chunks_exact_mut(4).zip(chunk) {
                dst.copy_from_slice(&x.to_le_bytes());
            }
            self.bytes(&buf[..chunk.len() * 4])?;
        }
        Ok(())
    }

    /// Starts a section whose payload will be exactly `len` bytes.
    pub(crate) fn section(&mut self, tag: [u8; 4], len: u64) -> io::Result<()> {
        self.check_section_done()?;
        self.bytes(&tag)?;
        self.u64(len)?;
        self.section_left = len;
        Ok(())
    }

    fn check_section_done(&self) -> io::Result<()> {
        if self.section_left != 0 {
            return Err(io::Error::other("internal error: section length does not match its payload"));
        }
        Ok(())
    }

    pub(crate) fn header(&mut self, h: &Header) -> io::Result<()> {
        self.bytes(&MAGIC)?;
        self.u32(FORMAT_VERSION)?;
        self.u8(kind_code(h.kind))?;
        self.u8(metric_code(h.metric))?;
        self.bytes(&[0, 0])?;
        self.u32(h.dims as u32)?;
        self.u32(h.params.m as u32)?;
        self.u32(h.params.ef_construction as u32)?;
        self.u32(h.params.ef_search as u32)?;
        self.u64(h.params.seed)?;
        self.u64(h.node_count)?;
        self.u64(h.live_count)?;
        let (entry, level) = h.entry.unwrap_or((NO_ENTRY, 0));
        self.u32(entry)?;
        self.u32(level)?;
        self.u64(h.rng_state)?;
        self.section_left = 0;
        Ok(())
    }

    /// Appends the checksum (not itself checksummed); returns the writer and the file's
    /// [`FileChecksum`].
    pub(crate) fn finish(mut self) -> io::Result<(W, FileChecksum)> {
        self.check_section_done()?;
        let crc32 = self.crc.clone().finalize();
        self.w.write_all(&crc32.to_le_bytes())?;
        Ok((self.w, FileChecksum { len: self.len + 4, crc32 }))
    }
}

// ---------------------------------------------------------------- reading

/// Reads through a CRC-32, never past the known end of the input.
pub(crate) struct Decoder<R: Read> {
    r: R,
    remaining: u64,
    crc: crc32fast::Hasher,
}

impl<R: Read> Decoder<R> {
    pub(crate) fn new(r: R, len: u64) -> Self {
        Decoder { r, remaining: len, crc: crc32fast::Hasher::new() }
    }

    fn raw(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        if (buf.len() as u64) > self.remaining {
            return Err(corrupt(format!("truncated file: it ends inside the {what}")));
        }
        self.r.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => corrupt(format!("truncated file: it ends inside the {what}")),
            _ => IndexError::from(e),
        })?;
        self.remaining -= buf.len() as u64;
        Ok(())
    }

    fn exact(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        self.raw(buf, what)?;
        self.crc.update(buf);
        Ok(())
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        let mut b = [0u8; 1];
        self.exact(&mut b, what)?;
        Ok(b[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let mut b = [0u8; 4];
        self.exact(&mut b, what)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        let mut b = [0u8; 8];
        self.exact(&mut b, what)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads a section header, checks its tag and that its payload fits in the file.
    fn section(&mut self, tag: [u8; 4], expected: Option<u64>) -> Result<u64> {
        let name = String::from_utf8_lossy(&tag).trim().to_string();
        let mut found = [0u8; 4];
        self.exact(&mut found, &format!("{name} section header"))?;
        if found != tag {
            return Err(corrupt(format!(
                "expected the {name} section, found tag {:?}",
                String::from_utf8_lossy(&found)
            )));
        }
        let len = self.u64(&format!("{name} section header"))?;
        if let Some(expected) = expected {
            if len != expected {
                return Err(corrupt(format!("the {name} section is {len} bytes but the header implies {expected}")));
            }
        }
        if len > self.remaining {
            return Err(corrupt(format!(
                "truncated file: the {name} section needs {len} bytes, {} are left",
                self.remaining
            )));
        }
        Ok(len)
    }

    /// A payload of `len` bytes (already checked against the file size), read in pieces.
    fn payload(&mut self, len: u64, what: &str) -> Result<Vec<u8>> {
        if len > self.remaining {
            return Err(corrupt(format!("truncated file: it ends inside the {what}")));
        }
        let mut out = Vec::new();
        reserve(&mut out, len, what)?;
        out.resize(len as usize, 0);
        self.exact(&mut out, what)?;
        Ok(out)
    }

    /// Checks the trailing checksum and that nothing follows it.
    fn finish(mut self) -> Result<()> {
        let computed = self.crc.clone().finalize();
        let mut b = [0u8; 4];
        self.raw(&mut b, "checksum")?;
        let stored = u32::from_le_bytes(b);
        if self.remaining != 0 {
            return Err(corrupt(format!("{} unexpected bytes after the checksum", self.remaining)));
        }
        if stored != computed {
            return Err(corrupt(format!("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")));
        }
        Ok(())
    }
}

/// Reads and checks magic and version (the frozen first 12 bytes).
fn read_preamble<R: Read>(d: &mut Decoder<R>) -> Result<()> {
    let mut magic = [0u8; 8];
    if d.remaining < 12 {
        return Err(corrupt(format!("not a vector-native index file (only {} bytes)", d.remaining)));
    }
    d.exact(&mut magic, "magic")?;
    if magic != MAGIC {
        return Err(corrupt("not a vector-native index file (bad magic bytes)"));
    }
    let version = d.u32("version")?;
    if version > FORMAT_VERSION {
        return Err(IndexError::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
    }
    if version == 0 {
        return Err(corrupt("format version 0 does not exist"));
    }
    Ok(())
}

fn read_kind_byte<R: Read>(d: &mut Decoder<R>) -> Result<IndexKind> {
    match d.u8("header")? {
        0 => Ok(IndexKind::Flat),
        1 => Ok(IndexKind::Hnsw),
        other => Err(corrupt(format!("unknown index kind {other}"))),
    }
}

fn read_header<R: Read>(d: &mut Decoder<R>) -> Result<Header> {
    read_preamble(d)?;
    let kind = read_kind_byte(d)?;
    let metric = match d.u8("header")? {
        0 => Metric::Cosine,
        1 => Metric::L2,
        2 => Metric::Dot,
        other => return Err(corrupt(format!("unknown metric {other}"))),
    };
    let mut reserved = [0u8; 2];
    d.exact(&mut reserved, "header")?;
    if reserved != [0, 0] {
        return Err(corrupt("reserved header bytes are not zero"));
    }
    let dims = d.u32("header")? as usize;
    crate::validate::dimensions(dims).map_err(|e| corrupt(format!("bad header: {e}")))?;
    let m = d.u32("header")? as usize;
    let ef_construction = d.u32("header")? as usize;
    let ef_search = d.u32("header")? as usize;
    let seed = d.u64("header")?;
    let params = HnswParams { m, ef_construction, ef_search, seed };
    let node_count = d.u64("header")?;
    let live_count = d.u64("header")?;
    let entry_node = d.u32("header")?;
    let entry_level = d.u32("header")?;
    let rng_state = d.u64("header")?;
    if live_count > node_count {
        return Err(corrupt(format!("{live_count} live of {node_count} nodes")));
    }
    let entry = match (kind, entry_node) {
        (IndexKind::Hnsw, NO_ENTRY) => None,
        (IndexKind::Hnsw, node) => Some((node, entry_level)),
        (IndexKind::Flat, _) => None,
    };
    if kind == IndexKind::Hnsw {
        crate::validate::hnsw_params(&params).map_err(|e| corrupt(format!("bad header: {e}")))?;
        if node_count >= u64::from(NO_ENTRY) {
            return Err(corrupt(format!("{node_count} nodes is more than an HNSW index holds")));
        }
        match entry {
            None if node_count != 0 => return Err(corrupt("a non-empty graph has no entry point")),
            Some((node, _)) if u64::from(node) >= node_count => {
                return Err(corrupt(format!("entry point {node} is not a node")))
            }
            _ => {}
        }
    } else if live_count != node_count {
        return Err(corrupt("a flat index has no deleted rows"));
    }
    Ok(Header { kind, metric, dims, params, node_count, live_count, entry, rng_state })
}

/// Reserves `count` items whose number was read from the file (and checked against its size):
/// a (sparse) file larger than memory is an error, never an abort of the process.
fn reserve<T>(v: &mut Vec<T>, count: u64, what: &str) -> Result<()> {
    usize::try_from(count).ok().and_then(|n| v.try_reserve_exact(n).ok()).ok_or_else(|| {
        IndexError::Io(std::sync::Arc::new(io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!("the {what} holds {count} entries, more than can be allocated"),
        )))
    })
}

fn checked_len(count: u64, size: u64, what: &str) -> Result<u64> {
    count.checked_mul(size).ok_or_else(|| corrupt(format!("the {what} section length overflows")))
}

/// `e` with `path` in its message: an I/O error says which file the OS refused and while doing
/// what, a damaged file which file it is.
pub(crate) fn at_path(e: IndexError, doing: &str, path: &Path) -> IndexError {
    match e {
        IndexError::Io(io) => {
            IndexError::Io(std::sync::Arc::new(io::Error::new(io.kind(), format!("{doing} {}: {io}", path.display()))))
        }
        IndexError::Corrupt(msg) => IndexError::Corrupt(format!("{}: {msg}", path.display())),
        other => other,
    }
}

/// Opens `path` for reading if it is a regular file. Anything else is refused before it is
/// opened: opening a FIFO for reading blocks until a writer appears (a thread of the pool hung
/// for good), and a directory or a device holds no index.
fn open_regular(path: &Path) -> Result<File> {
    let not_regular = |m: &std::fs::Metadata| {
        let what = if m.is_dir() { "a directory" } else { "not a regular file (a FIFO, socket or device)" };
        IndexError::InvalidArgument(format!("{} is {what}: an index is a regular file", path.display()))
    };
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let file = File::open(path)?;
    // Again on the opened file: the path may name something else by now.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok(file)
}

/// Reads a whole index file.
pub(crate) fn read_file(path: &Path) -> Result<Loaded> {
    (|| {
        let file = open_regular(path)?;
        let len = file.metadata()?.len();
        read_from(BufReader::with_capacity(1 << 20, file), len)
    })()
    .map_err(|e| at_path(e, "reading", path))
}

/// Reads only the header's kind.
pub(crate) fn read_kind(path: &Path) -> Result<IndexKind> {
    (|| {
        let file = open_regular(path)?;
        let len = file.metadata()?.len();
        let mut d = Decoder::new(BufReader::new(file), len);
        read_preamble(&mut d)?;
        read_kind_byte(&mut d)
    })()
    .map_err(|e| at_path(e, "reading", path))
}

/// Reads a file's length and trailing CRC-32 (without verifying it: [`read_file`] does).
pub(crate) fn read_checksum(path: &Path) -> Result<FileChecksum> {
    (|| {
        let mut file = open_regular(path)?;
        let len = file.metadata()?.len();
        if len < 4 {
            return Err(corrupt(format!("not a vector-native index file (only {len} bytes)")));
        }
        file.seek(SeekFrom::End(-4))?;
        let mut b = [0u8; 4];
        file.read_exact(&mut b)?;
        Ok(FileChecksum { len, crc32: u32::from_le_bytes(b) })
    })()
    .map_err(|e| at_path(e, "reading", path))
}

/// Reads a whole index from `r`, which holds exactly `len` bytes.
pub(crate) fn read_from<R: Read>(r: R, len: u64) -> Result<Loaded> {
    let mut d = Decoder::new(r, len);
    let header = read_header(&mut d)?;
    let n = header.node_count;

    let ids_len = d.section(TAG_IDS, Some(checked_len(n, 8, "IDS")?))?;
    let ids: Vec<u64> = d
        .payload(ids_len, "IDS section")?
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8-byte chunk")))
        .collect();

    let vec_len = checked_len(n, header.dims as u64 * 4, "VECS")?;
    let vec_len = d.section(TAG_VECS, Some(vec_len))?;
    let mut vectors = Vec::new();
    reserve(&mut vectors, vec_len / 4, "VECS section")?;
    let mut left = vec_len;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        let take = left.min(buf.len() as u64) as usize;
        d.exact(&mut buf[..take], "VECS section")?;
        vectors.extend(buf[..take].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))));
        left -= take as u64;
    }

    let dels_len = d.section(TAG_DELS, Some(n))?;
    let dels = d.payload(dels_len, "DELS section")?;

    let graph = if header.kind == IndexKind::Hnsw {
        let len = d.section(TAG_GRPH, None)?;
        d.payload(len, "GRPH section")?
    } else {
        Vec::new()
    };

    let imap_len = d.section(TAG_IMAP, Some(checked_len(header.live_count, 16, "IMAP")?))?;
    let imap = d.payload(imap_len, "IMAP section")?;

    d.finish()?;

    // The bytes are what was written; now check that what was written is consistent.
    let mut deleted = Vec::with_capacity(dels.len());
    for (i, &b) in dels.iter().enumerate() {
        match b {
            0 => deleted.push(false),
            1 => deleted.push(true),
            other => return Err(corrupt(format!("deleted flag of node {i} is {other}"))),
        }
    }
    let live = deleted.iter().filter(|d| !**d).count() as u64;
    if live != header.live_count {
        return Err(corrupt(format!("{live} live nodes but the header says {}", header.live_count)));
    }
    if let Some(i) = vectors.iter().position(|x| !x.is_finite()) {
        return Err(corrupt(format!("non-finite value in vector {}", i / header.dims)));
    }
    check_id_map(&imap, &ids, &deleted)?;
    Ok(Loaded { header, ids, vectors, deleted, graph })
}

/// The id map must list every live node exactly once, by node ascending, with its id, and
/// live ids must be distinct.
fn check_id_map(imap: &[u8], ids: &[u64], deleted: &[bool]) -> Result<()> {
    let mut seen = crate::idmap::IdMap::<()>::default();
    let mut prev: Option<u64> = None;
    for pair in imap.chunks_exact(16) {
        let id = u64::from_le_bytes(pair[..8].try_into().expect("8 bytes"));
        let node = u64::from_le_bytes(pair[8..].try_into().expect("8 bytes"));
        if prev.is_some_and(|p| node <= p) {
            return Err(corrupt("id map is not sorted by node"));
        }
        prev = Some(node);
        let i = usize::try_from(node).ok().filter(|&i| i < ids.len());
        let Some(i) = i else {
            return Err(corrupt(format!("id map points at node {node}, which does not exist")));
        };
        if deleted[i] || ids[i] != id {
            return Err(corrupt(format!("id map entry {id} → {node} disagrees with the node table")));
        }
        if seen.insert(id, ()).is_some() {
            return Err(corrupt(format!("id {id} is live twice")));
        }
    }
    // Sorted, in range, pointing at live nodes, as many entries as live nodes: all covered.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: IndexKind) -> Vec<u8> {
        let header = Header {
            kind,
            metric: Metric::L2,
            dims: 2,
            params: if kind == IndexKind::Hnsw {
                HnswParams::default()
            } else {
                HnswParams { m: 0, ef_construction: 0, ef_search: 0, seed: 0 }
            },
            node_count: 3,
            live_count: if kind == IndexKind::Hnsw { 2 } else { 3 },
            entry: if kind == IndexKind::Hnsw { Some((0, 0)) } else { None },
            rng_state: 7,
        };
        let mut e = Encoder::new(Vec::new());
        e.header(&header).unwrap();
        e.section(TAG_IDS, 24).unwrap();
        for id in [5u64, 6, 7] {
            e.u64(id).unwrap();
        }
        e.section(TAG_VECS, 24).unwrap();
        e.f32s(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        e.section(TAG_DELS, 3).unwrap();
        let dels: &[u8] = if kind == IndexKind::Hnsw { &[0, 1, 0] } else { &[0, 0, 0] };
        e.bytes(dels).unwrap();
        if kind == IndexKind::Hnsw {
            e.section(TAG_GRPH, 3 * 5).unwrap();
            for _ in 0..3 {
                e.u8(0).unwrap();
                e.u32(0).unwrap();
            }
        }
        let live: Vec<u64> = if kind == IndexKind::Hnsw { vec![0, 2] } else { vec![0, 1, 2] };
        e.section(TAG_IMAP, live.len() as u64 * 16).unwrap();
        for node in live {
            e.u64([5, 6, 7][node as usize]).unwrap();
            e.u64(node).unwrap();
        }
        e.finish().unwrap().0
    }

    fn read(bytes: &[u8]) -> Result<Loaded> {
        read_from(bytes, bytes.len() as u64)
    }

    #[test]
    fn round_trip_and_every_byte_flip_and_truncation() {
        for kind in [IndexKind::Flat, IndexKind::Hnsw] {
            let bytes = sample(kind);
            let l = read(&bytes).unwrap();
            assert_eq!(l.ids, [5, 6, 7]);
            assert_eq!(l.vectors, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
            for i in 0..bytes.len() {
                for bit in [0x01u8, 0x80, 0xff] {
                    let mut b = bytes.clone();
                    b[i] ^= bit;
                    match read(&b) {
                        Err(IndexError::Corrupt(_)) => {}
                        Err(IndexError::UnsupportedVersion { .. }) if (8..12).contains(&i) => {}
                        other => panic!("flip {bit:#x} at {i}: {:?}", other.map(|_| ())),
                    }
                }
            }
            for cut in 0..bytes.len() {
                assert!(matches!(read(&bytes[..cut]), Err(IndexError::Corrupt(_))), "cut at {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(matches!(read(&longer), Err(IndexError::Corrupt(_))));
        }
    }

    #[test]
    fn newer_version_is_reported_before_anything_else() {
        let mut b = sample(IndexKind::Hnsw);
        b[8..12].copy_from_slice(&99u32.to_le_bytes());
        b.truncate(20);
        assert!(matches!(read(&b), Err(IndexError::UnsupportedVersion { found: 99, supported: 1 })));
    }

    #[test]
    fn absurd_lengths_do_not_allocate() {
        let mut b = sample(IndexKind::Flat);
        b[40..48].copy_from_slice(&u64::MAX.to_le_bytes()); // node count
        b[48..56].copy_from_slice(&u64::MAX.to_le_bytes()); // live count
        assert!(matches!(read(&b), Err(IndexError::Corrupt(_))));
        let mut b = sample(IndexKind::Flat);
        b[40..48].copy_from_slice(&(1u64 << 40).to_le_bytes());
        b[48..56].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(matches!(read(&b), Err(IndexError::Corrupt(_))));
    }
}
