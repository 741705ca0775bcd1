//! BM25 full-text index on [tantivy], the durable document store of the hybrid engine.
//!
//! Every document has the caller's string `id`, its `text`, optionally a `vector` (stored as
//! `f32` little-endian bytes, so the vector index can always be rebuilt from here) and a
//! `metadata` JSON string, plus the engine's `u64` `internal_id` (the vector index's key).
//!
//! ```
//! use vn_text::{TextDoc, TextIndex};
//!
//! let dir = std::env::temp_dir().join(format!("vn-text-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let (index, created) = TextIndex::open_or_create(&dir)?;
//! assert!(created);
//! let mut writer = index.writer(50_000_000)?;
//! writer.add(&TextDoc { id: "a", internal_id: 0, text: "Solar panel subsidies", vector: None, metadata: None })?;
//! writer.add(&TextDoc { id: "b", internal_id: 1, text: "Wind farms at sea", vector: Some(&[1.0, 0.0]), metadata: None })?;
//! assert_eq!(index.snapshot()?.num_docs(), 0); // nothing is visible before a commit ...
//! writer.commit("generation 1")?;
//! index.reload()?; // ... and a reader sees a commit once reloaded
//!
//! let snapshot = index.snapshot()?;
//! let hits = snapshot.search("SOLAR subsidies!", 10)?;
//! assert_eq!(hits[0].id, "a");
//! assert_eq!(snapshot.get("b")?.unwrap().vector, Some(vec![1.0, 0.0]));
//! assert_eq!(index.committed_payload()?.as_deref(), Some("generation 1"));
//! # drop(writer); std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Architecture
//!
//! 1. [`schema`](crate::build_schema): the fields and the vector encoding.
//! 2. [`analyzer`]: `SimpleTokenizer → RemoveLongFilter → LowerCaser`, registered as
//!    [`TOKENIZER_NAME`]; [`tokens`] exposes it so an embedder tokenizes the same way.
//! 3. [`TextIndex`] opens an `MmapDirectory` with a manually reloaded reader; one
//!    [`TextWriter`] buffers adds and deletes and commits them with a payload string;
//!    a [`TextSnapshot`] is one committed state, searched and read consistently.
//!
//! [tantivy]: https://docs.rs/tantivy
#![warn(missing_docs)]

mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod index;
mod schema;
mod tokenizer;

pub use error::{Result, TextError};
pub use index::{
    DocKey, ScoredDoc, StoredDoc, TextDoc, TextHit, TextIndex, TextSnapshot, TextWriter, MIN_WRITER_MEMORY,
};
pub use schema::{build_schema, decode_vector, encode_vector, fields_of, Fields};
pub use tokenizer::{analyzer, for_each_token, tokens, MAX_TOKEN_BYTES, TOKENIZER_NAME};

/// Field names of the schema.
pub mod field {
    pub use crate::schema::{HAS_VECTOR, ID, INTERNAL_ID, METADATA, TEXT, VECTOR};
}
