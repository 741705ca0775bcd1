//! Saving and loading: identical results after a round trip, and every kind of damage
//! (flipped bytes, truncation, foreign files, newer versions, bad paths) is reported.

mod common;

use std::collections::HashSet;

use common::{clustered, TestDir};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vn_index::{
    load_index, read_file_checksum, read_index_kind, FlatIndex, HnswIndex, HnswParams, IndexError, IndexKind, Metric,
    SearchParams, VectorIndex,
};

const D: usize = 12;
const HEADER_LEN: usize = 72;

fn build(kind: IndexKind, metric: Metric, n: usize) -> Box<dyn VectorIndex> {
    let index: Box<dyn VectorIndex> = match kind {
        IndexKind::Flat => Box::new(FlatIndex::new(D, metric).unwrap()),
        IndexKind::Hnsw => Box::new(
            HnswIndex::new(D, metric, HnswParams { m: 8, ef_construction: 64, ef_search: 32, seed: 9 }).unwrap(),
        ),
    };
    if n > 0 {
        let ids: Vec<u64> = (0..n as u64).map(|i| i * 3 + 1).collect();
        index.add(&ids, &clustered(n, D, 8, 1)).unwrap();
        let removed: Vec<u64> = ids.iter().copied().filter(|id| id % 5 == 0).collect();
        if !removed.is_empty() {
            index.remove(&removed).unwrap();
        }
    }
    index
}

fn results(index: &dyn VectorIndex) -> Vec<Vec<vn_index::Hit>> {
    let queries = clustered(30, D, 8, 2);
    let filter: HashSet<u64> = (0..3000).filter(|i| i % 2 == 1).collect();
    let mut out = index.search_batch(&queries, &SearchParams { k: 10, ..Default::default() }).unwrap();
    out.extend(index.search_batch(&queries, &SearchParams { k: 5, ef: Some(20), filter: Some(&filter) }).unwrap());
    out
}

#[test]
fn round_trip_gives_identical_results() {
    let dir = TestDir::new("roundtrip");
    for kind in [IndexKind::Flat, IndexKind::Hnsw] {
        for metric in [Metric::Cosine, Metric::L2, Metric::Dot] {
            for n in [0, 1, 800] {
                let path = dir.path(&format!("{}-{}-{n}.vnidx", kind.as_str(), metric.as_str()));
                let index = build(kind, metric, n);
                index.save(&path).unwrap();
                assert_eq!(read_index_kind(&path).unwrap(), kind);
                let loaded = load_index(&path).unwrap();
                assert_eq!(loaded.kind(), kind);
                assert_eq!(loaded.metric(), metric);
                assert_eq!(loaded.dimensions(), D);
                assert_eq!(loaded.len(), index.len());
                if n > 0 {
                    assert!(loaded.contains(1) && !loaded.contains(10) && !loaded.contains(2));
                    assert_eq!(results(&*loaded), results(&*index), "{kind:?} {metric:?}");
                }
                // Saving the loaded index gives the very same bytes.
                let again = dir.path("again.vnidx");
                loaded.save(&again).unwrap();
                assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&again).unwrap());
            }
        }
    }
    // Nothing but the saved files is left behind (no temporary files).
    assert!(dir.entries().iter().all(|e| e.ends_with(".vnidx") && !e.starts_with('.')), "{:?}", dir.entries());
}

#[test]
fn loaded_hnsw_keeps_growing_like_the_original() {
    let dir = TestDir::new("grow");
    let path = dir.path("h.vnidx");
    let index = HnswIndex::new(D, Metric::L2, HnswParams { seed: 5, ..HnswParams::default() }).unwrap();
    let data = clustered(400, D, 4, 3);
    let ids: Vec<u64> = (0..400).collect();
    index.add(&ids[..300], &data[..300 * D]).unwrap();
    index.remove(&[3, 4, 5]).unwrap();
    index.set_ef_search(50).unwrap();
    index.save(&path).unwrap();
    let loaded = HnswIndex::load(&path).unwrap();
    assert_eq!(loaded.params(), index.params());
    // One at a time (single adds are deterministic): same levels, same links, same answers.
    for i in 300..400 {
        index.add(&ids[i..i + 1], &data[i * D..(i + 1) * D]).unwrap();
        loaded.add(&ids[i..i + 1], &data[i * D..(i + 1) * D]).unwrap();
    }
    let p = SearchParams { k: 10, ef: Some(10), filter: None };
    for q in clustered(40, D, 4, 8).chunks_exact(D) {
        assert_eq!(index.search(q, &p).unwrap(), loaded.search(q, &p).unwrap());
    }
    // The concrete loaders refuse the other kind.
    assert_eq!(FlatIndex::load(&path).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
    let flat_path = dir.path("f.vnidx");
    build(IndexKind::Flat, Metric::L2, 10).save(&flat_path).unwrap();
    assert_eq!(HnswIndex::load(&flat_path).unwrap_err().code(), "ERR_INVALID_ARGUMENT");
    assert!(FlatIndex::load(&flat_path).is_ok());
}

/// (tag, payload start, payload length) of every section of a file.
fn sections(bytes: &[u8]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut pos = HEADER_LEN;
    while pos < bytes.len() - 4 {
        let tag = String::from_utf8_lossy(&bytes[pos..pos + 4]).into_owned();
        let len = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        out.push((tag, pos + 12, len));
        pos += 12 + len;
    }
    assert_eq!(pos, bytes.len() - 4, "sections end at the checksum");
    out
}

fn assert_corrupt(result: vn_index::Result<Box<dyn VectorIndex>>, what: &str) {
    match result {
        Err(e @ IndexError::Corrupt(_)) => assert_eq!(e.code(), "ERR_CORRUPT_INDEX"),
        Err(e) => panic!("{what}: expected Corrupt, got {e:?}"),
        Ok(_) => panic!("{what}: a damaged file loaded"),
    }
}

#[test]
fn damage_anywhere_is_corrupt() {
    let dir = TestDir::new("damage");
    let mut rng = StdRng::seed_from_u64(1);
    for kind in [IndexKind::Flat, IndexKind::Hnsw] {
        let good = dir.path(&format!("{}.vnidx", kind.as_str()));
        build(kind, Metric::Cosine, 300).save(&good).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let secs = sections(&bytes);
        let tags: Vec<&str> = secs.iter().map(|s| s.0.as_str()).collect();
        match kind {
            IndexKind::Flat => assert_eq!(tags, ["IDS ", "VECS", "DELS", "IMAP"]),
            IndexKind::Hnsw => assert_eq!(tags, ["IDS ", "VECS", "DELS", "GRPH", "IMAP"]),
        }
        let bad = dir.path("bad.vnidx");

        // One flipped byte: in the header after the version, in each section's tag, length
        // and payload (first, middle, last byte), and in the checksum.
        let mut offsets: Vec<usize> = (12..HEADER_LEN).collect();
        for &(_, start, len) in &secs {
            offsets.extend([start - 12, start - 8, start - 1]);
            if len > 0 {
                offsets.extend([start, start + len / 2, start + len - 1]);
            }
        }
        offsets.extend(bytes.len() - 4..bytes.len());
        for off in offsets {
            let mut b = bytes.clone();
            b[off] ^= 1 << rng.gen_range(0..8);
            std::fs::write(&bad, &b).unwrap();
            assert_corrupt(load_index(&bad), &format!("{kind:?}: flip at {off}"));
        }
        // A flipped payload byte with every structure intact is caught by the checksum.
        let mut b = bytes.clone();
        b[secs[1].1 + 5] ^= 0x10; // inside a vector
        std::fs::write(&bad, &b).unwrap();
        match load_index(&bad) {
            Err(IndexError::Corrupt(msg)) => assert!(msg.contains("checksum mismatch"), "{msg}"),
            other => panic!("{:?}", other.map(|_| ())),
        }

        // Truncated at every section boundary and at random offsets.
        let mut cuts: Vec<usize> =
            vec![0, 4, 8, 11, 12, 13, HEADER_LEN - 1, HEADER_LEN, bytes.len() - 4, bytes.len() - 1];
        for &(_, start, len) in &secs {
            cuts.extend([start - 12, start - 6, start, start + len]);
        }
        cuts.extend((0..30).map(|_| rng.gen_range(0..bytes.len())));
        for cut in cuts {
            std::fs::write(&bad, &bytes[..cut]).unwrap();
            assert_corrupt(load_index(&bad), &format!("{kind:?}: cut at {cut}"));
        }
        // A byte too many.
        let mut b = bytes.clone();
        b.push(0);
        std::fs::write(&bad, &b).unwrap();
        assert_corrupt(load_index(&bad), "trailing byte");
    }
}

#[test]
fn foreign_files_and_newer_versions() {
    let dir = TestDir::new("foreign");
    let mut rng = StdRng::seed_from_u64(2);
    let random: Vec<u8> = (0..4096).map(|_| rng.gen()).collect();
    let text = "Lorem ipsum dolor sit amet\n".repeat(100).into_bytes();
    let zeros = vec![0u8; 200];
    for (name, content) in
        [("empty", &b""[..]), ("random", &random), ("text", &text), ("zeros", &zeros), ("magic only", b"VNIDX\0\x01\n")]
    {
        let path = dir.path("foreign.bin");
        std::fs::write(&path, content).unwrap();
        let e = load_index(&path).err().unwrap_or_else(|| panic!("{name} loaded"));
        assert!(matches!(e, IndexError::Corrupt(_)), "{name}: {e:?}");
        assert!(e.to_string().contains("not a vector-native index file") || name == "magic only", "{name}: {e}");
        assert_eq!(read_index_kind(&path).unwrap_err().code(), "ERR_CORRUPT_INDEX", "{name}");
        assert_eq!(FlatIndex::load(&path).unwrap_err().code(), "ERR_CORRUPT_INDEX", "{name}");
        assert_eq!(HnswIndex::load(&path).unwrap_err().code(), "ERR_CORRUPT_INDEX", "{name}");
    }

    let path = dir.path("v99.vnidx");
    build(IndexKind::Hnsw, Metric::L2, 50).save(&path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    for e in
        [load_index(&path).err().unwrap(), read_index_kind(&path).unwrap_err(), HnswIndex::load(&path).unwrap_err()]
    {
        assert!(matches!(e, IndexError::UnsupportedVersion { found: 99, supported: 1 }), "{e:?}");
        assert_eq!(e.code(), "ERR_UNSUPPORTED_VERSION");
    }
}

#[test]
fn io_failures_leave_nothing_behind() {
    let dir = TestDir::new("io");
    let index = build(IndexKind::Hnsw, Metric::L2, 100);

    // A directory that does not exist. Every I/O error names the path.
    let e = index.save(&dir.path("missing/sub/index.vnidx")).unwrap_err();
    assert!(matches!(e, IndexError::Io(_)), "{e:?}");
    assert_eq!(e.code(), "ERR_IO");
    assert!(e.to_string().contains(&*dir.path("missing/sub/index.vnidx").to_string_lossy()), "{e}");
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());

    // The target is a (non-empty) directory: the rename fails, the temp file is removed and
    // the old "file" is untouched.
    std::fs::create_dir(dir.path("taken")).unwrap();
    std::fs::write(dir.path("taken/keep"), b"old").unwrap();
    let e = index.save(&dir.path("taken")).unwrap_err();
    assert_eq!(e.code(), "ERR_IO", "{e:?}");
    assert!(e.to_string().contains(&*dir.path("taken").to_string_lossy()), "{e}");
    assert_eq!(dir.entries(), ["taken"]);
    assert_eq!(std::fs::read(dir.path("taken/keep")).unwrap(), b"old");

    // A path that names no file.
    assert_eq!(index.save(std::path::Path::new("/")).unwrap_err().code(), "ERR_IO");

    // Loading what is not there.
    let e = load_index(&dir.path("nope.vnidx")).err().unwrap();
    assert!(matches!(e, IndexError::Io(_)), "{e:?}");
    assert!(e.to_string().contains(&*dir.path("nope.vnidx").to_string_lossy()), "{e}");
    let e = read_index_kind(&dir.path("nope.vnidx")).unwrap_err();
    assert_eq!(e.code(), "ERR_IO");
    assert!(e.to_string().contains("nope.vnidx"), "{e}");

    // Replacing an existing file works and leaves one file.
    let path = dir.path("index.vnidx");
    build(IndexKind::Flat, Metric::L2, 10).save(&path).unwrap();
    index.save(&path).unwrap();
    assert_eq!(read_index_kind(&path).unwrap(), IndexKind::Hnsw);
    assert_eq!(dir.entries(), ["index.vnidx", "taken"]);
}

#[test]
fn the_checksum_of_a_save_identifies_that_file() {
    let dir = TestDir::new("checksum");
    for kind in [IndexKind::Flat, IndexKind::Hnsw] {
        let index = build(kind, Metric::L2, 50);
        let path = dir.path("a.vnidx");
        let saved = index.save_checksummed(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(saved, read_file_checksum(&path).unwrap());
        assert_eq!(saved.len, bytes.len() as u64);
        assert_eq!(saved.crc32, crc32fast::hash(&bytes[..bytes.len() - 4]));
        // Why the trailer and not a CRC of the whole file: that is the same constant (the
        // CRC-32 residue) for every valid file.
        assert_eq!(crc32fast::hash(&bytes), 0x2144_df1c);

        // Another valid file of the same index (one vector fewer): another checksum.
        index.remove(&[1]).unwrap();
        let other = index.save_checksummed(&dir.path("b.vnidx")).unwrap();
        assert_ne!(other.crc32, saved.crc32, "{kind:?}");
    }
    std::fs::write(dir.path("short"), b"ab").unwrap();
    assert_eq!(read_file_checksum(&dir.path("short")).unwrap_err().code(), "ERR_CORRUPT_INDEX");
    assert_eq!(read_file_checksum(&dir.path("missing")).unwrap_err().code(), "ERR_IO");
}

#[test]
fn only_regular_files_are_opened() {
    let dir = TestDir::new("not-regular");
    // A directory.
    let e = load_index(&dir.0).err().unwrap();
    assert_eq!(e.code(), "ERR_INVALID_ARGUMENT", "{e}");
    assert!(e.to_string().contains("a directory"), "{e}");
    // A FIFO: opening it for reading would block until a writer comes, for ever.
    #[cfg(unix)]
    {
        let fifo = dir.path("fifo.vnidx");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let (done, finished) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let results = [load_index(&path).err().unwrap().code(), read_index_kind(&path).unwrap_err().code()];
            let _ = done.send(results);
        });
        let codes = finished.recv_timeout(std::time::Duration::from_secs(10)).expect("loading a FIFO hung");
        assert_eq!(codes, ["ERR_INVALID_ARGUMENT", "ERR_INVALID_ARGUMENT"]);
    }
}
