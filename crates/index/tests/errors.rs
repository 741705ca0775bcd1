//! Every error variant is produced, with its stable code, by both kinds of index.

mod common;

use std::collections::BTreeSet;

use common::TestDir;
use vn_index::{load_index, FlatIndex, HnswIndex, HnswParams, IndexError, Metric, SearchParams, VectorIndex};

fn indexes(d: usize, metric: Metric) -> Vec<Box<dyn VectorIndex>> {
    vec![
        Box::new(FlatIndex::new(d, metric).unwrap()),
        Box::new(HnswIndex::new(d, metric, HnswParams::default()).unwrap()),
    ]
}

fn variant(e: &IndexError) -> &'static str {
    match e {
        IndexError::DimensionMismatch { .. } => "DimensionMismatch",
        IndexError::NonFinite { .. } => "NonFinite",
        IndexError::InvalidArgument(_) => "InvalidArgument",
        IndexError::DuplicateId(_) => "DuplicateId",
        IndexError::UnknownId(_) => "UnknownId",
        IndexError::Corrupt(_) => "Corrupt",
        IndexError::UnsupportedVersion { .. } => "UnsupportedVersion",
        IndexError::Io(_) => "Io",
    }
}

struct Seen(BTreeSet<&'static str>);

impl Seen {
    /// Checks that `r` failed with `code` (and, if given, a message containing `text`).
    fn expect<T: std::fmt::Debug>(&mut self, r: vn_index::Result<T>, code: &str, text: &str) -> IndexError {
        let e = r.expect_err("expected an error");
        assert_eq!(e.code(), code, "{e:?}");
        assert!(e.to_string().contains(text), "{e} lacks {text:?}");
        self.0.insert(variant(&e));
        e
    }
}

#[test]
fn every_variant_has_its_code() {
    let mut seen = Seen(BTreeSet::new());
    let p = |k| SearchParams { k, ..Default::default() };

    // Construction.
    seen.expect(FlatIndex::new(0, Metric::L2), "ERR_INVALID_ARGUMENT", "dimensions");
    seen.expect(HnswIndex::new(65_537, Metric::L2, HnswParams::default()), "ERR_INVALID_ARGUMENT", "dimensions");
    for bad in [
        HnswParams { m: 1, ..HnswParams::default() },
        HnswParams { m: 257, ..HnswParams::default() },
        HnswParams { ef_construction: 0, ..HnswParams::default() },
        HnswParams { ef_search: 0, ..HnswParams::default() },
    ] {
        seen.expect(HnswIndex::new(4, Metric::L2, bad), "ERR_INVALID_ARGUMENT", "between");
    }
    seen.expect("manhattan".parse::<Metric>(), "ERR_INVALID_ARGUMENT", "unknown metric");

    for index in indexes(3, Metric::Cosine).into_iter().chain(indexes(3, Metric::Dot)) {
        index.add(&[1, 2], &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]).unwrap();

        // Dimensions.
        let e = seen.expect(index.search(&[1.0, 0.0], &p(1)), "ERR_DIMENSION_MISMATCH", "3 dimensions");
        assert!(matches!(e, IndexError::DimensionMismatch { expected: 3, got: 2 }));
        seen.expect(index.add(&[3], &[1.0; 4]), "ERR_DIMENSION_MISMATCH", "got 4");
        seen.expect(index.search_batch(&[1.0; 7], &p(1)), "ERR_DIMENSION_MISMATCH", "got 7");
        seen.expect(index.add(&[3, 4], &[1.0; 9]), "ERR_INVALID_ARGUMENT", "2 ids but 3 vectors");

        // Non-finite values, with their row and position.
        let e =
            seen.expect(index.add(&[3, 4], &[1.0, 1.0, 1.0, 1.0, 1.0, f32::INFINITY]), "ERR_INVALID_ARGUMENT", "inf");
        assert!(matches!(e, IndexError::NonFinite { row: 1, position: 2, .. }), "{e:?}");
        let e = seen.expect(index.search(&[f32::NAN, 0.0, 0.0], &p(1)), "ERR_INVALID_ARGUMENT", "NaN");
        assert!(matches!(e, IndexError::NonFinite { row: 0, position: 0, .. }), "{e:?}");
        let e = seen.expect(
            index.search_batch(&[1.0, 1.0, 1.0, 1.0, f32::NEG_INFINITY, 1.0], &p(1)),
            "ERR_INVALID_ARGUMENT",
            "-inf",
        );
        assert!(matches!(e, IndexError::NonFinite { row: 1, position: 1, .. }), "{e:?}");

        // k, ef, empty batches.
        seen.expect(index.search(&[1.0; 3], &p(0)), "ERR_INVALID_ARGUMENT", "k must be");
        seen.expect(index.search(&[1.0; 3], &p(100_001)), "ERR_INVALID_ARGUMENT", "k must be");
        seen.expect(index.search_batch(&[1.0; 3], &p(0)), "ERR_INVALID_ARGUMENT", "k must be");
        for ef in [0, 1_000_001] {
            seen.expect(
                index.search(&[1.0; 3], &SearchParams { k: 1, ef: Some(ef), filter: None }),
                "ERR_INVALID_ARGUMENT",
                "ef",
            );
        }
        seen.expect(index.add(&[], &[]), "ERR_INVALID_ARGUMENT", "empty batch");
        seen.expect(index.search_batch(&[], &p(1)), "ERR_INVALID_ARGUMENT", "empty batch");
        seen.expect(index.remove(&[]), "ERR_INVALID_ARGUMENT", "empty batch");
        assert_eq!(index.search(&[1.0; 3], &p(100_000)).unwrap().len(), 2, "k up to 100 000 is fine");

        // Ids.
        seen.expect(index.add(&[2], &[1.0; 3]), "ERR_DUPLICATE_ID", "id 2");
        seen.expect(index.add(&[7, 7], &[1.0; 6]), "ERR_DUPLICATE_ID", "id 7");
        seen.expect(index.remove(&[1, 8]), "ERR_UNKNOWN_ID", "id 8");
        assert_eq!(index.len(), 2);

        // Zero vectors have no direction under cosine (fine under dot).
        if index.metric() == Metric::Cosine {
            seen.expect(index.add(&[5], &[0.0; 3]), "ERR_INVALID_ARGUMENT", "zero vector has no direction");
            seen.expect(index.search(&[0.0; 3], &p(1)), "ERR_INVALID_ARGUMENT", "zero vector has no direction");
            assert!(!index.contains(5));
        } else {
            index.add(&[5], &[0.0; 3]).unwrap();
            assert_eq!(index.search(&[0.0; 3], &p(5)).unwrap().len(), 3);
        }
    }

    // Files.
    let dir = TestDir::new("errors");
    seen.expect(load_index(&dir.path("absent")), "ERR_IO", "I/O error");
    std::fs::write(dir.path("text"), "not an index").unwrap();
    seen.expect(load_index(&dir.path("text")), "ERR_CORRUPT_INDEX", "not a vector-native index file");
    let mut header = b"VNIDX\0\x01\n".to_vec();
    header.extend(99u32.to_le_bytes());
    header.extend([0u8; 100]);
    std::fs::write(dir.path("v99"), &header).unwrap();
    seen.expect(load_index(&dir.path("v99")), "ERR_UNSUPPORTED_VERSION", "version 99");

    let all: BTreeSet<&str> = [
        "DimensionMismatch",
        "NonFinite",
        "InvalidArgument",
        "DuplicateId",
        "UnknownId",
        "Corrupt",
        "UnsupportedVersion",
        "Io",
    ]
    .into();
    assert_eq!(seen.0, all);
}
