//! Hybrid search: BM25 full text ([`vn_text`], on tantivy) and vectors ([`vn_index`]: HNSW
//! by default, or an exact flat index), fused, over a pair of stores kept crash-consistent.
//!
//! ```
//! use vn_hybrid::{Document, OpenOptions, Query, SearchMode, UnifiedSearchSystem};
//!
//! let root = std::env::temp_dir().join(format!("vn-hybrid-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&root);
//! let system = UnifiedSearchSystem::open(OpenOptions::new(root.join("text"), root.join("vectors"), 64))?;
//! assert!(system.open_report().created);
//!
//! system.add(&[
//!     Document::new("doc-1", "Solar panel subsidies for homeowners"),
//!     Document::new("doc-2", "Offshore wind farms and the grid"),
//!     Document::new("doc-3", "A history of medieval castles").with_metadata(r#"{"year":1999}"#),
//! ])?; // no vectors given: the built-in (lexical) embedder makes them
//! assert!(system.search(&Query::text("solar"))?.is_empty()); // invisible until committed
//! system.commit()?;
//!
//! let hits = system.search(&Query { k: 2, ..Query::text("solar panel subsidies") })?;
//! assert_eq!(hits[0].id, "doc-1");
//! assert_eq!((hits[0].text_rank, hits[0].vector_rank), (Some(1), Some(1)));
//!
//! let text_only = system.search(&Query { mode: SearchMode::Text, ..Query::text("castles") })?;
//! assert_eq!(text_only[0].id, "doc-3");
//! system.close()?;
//!
//! // Reopening finds the same documents.
//! let system = UnifiedSearchSystem::open(OpenOptions::new(root.join("text"), root.join("vectors"), 64))?;
//! assert!(!system.open_report().created && system.open_report().repaired.is_none());
//! assert_eq!(system.search(&Query::text("wind"))?[0].id, "doc-2");
//! # system.close()?; std::fs::remove_dir_all(&root)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Architecture
//!
//! 1. [`UnifiedSearchSystem::open`] opens (or creates) the text index — the source of truth,
//!    storing every document's vector — and the vector index, and repairs the latter from the
//!    former when they are out of step ([`consistency`]).
//! 2. [`add`](UnifiedSearchSystem::add) / [`delete`](UnifiedSearchSystem::delete) buffer;
//!    [`commit`](UnifiedSearchSystem::commit) saves the vector index with a manifest at the
//!    next generation, then commits the text index with that generation, then publishes a new
//!    snapshot for searches.
//! 3. [`search`](UnifiedSearchSystem::search) (or a [`Session`]'s) runs the legs a [`Query`]
//!    asks for on one snapshot and fuses them ([`fusion`]: RRF or linear).
//! 4. [`embed`](FeatureHashingEmbedder) supplies vectors for documents and queries that carry
//!    none: a lexical feature-hashing embedder by default, or the caller's [`Embedder`].
//!
//! # Threads
//!
//! Every method of [`UnifiedSearchSystem`] takes `&self`; it is `Send + Sync`. Searches run
//! concurrently with each other and with writes and commits, and never wait for the writer
//! except for the brief swap of a snapshot. Writes are serialized by a mutex. The crate has no
//! `unsafe` code.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

// Bottom to top: each module uses only modules listed before it (the graph is a DAG);
// `system` is the façade on top.
mod commit;
pub mod consistency;
mod document;
mod embed;
mod error;
pub mod fusion;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod lock;
mod open;
mod options;
mod query;
mod search;
mod session;
mod snapshot;
mod state;
mod system;
mod write;
mod writer;

#[cfg(any(test, feature = "fault-injection"))]
pub use commit::Fault;
pub use consistency::{OpenReport, RepairReport};
pub use document::{Document, MAX_ID_BYTES};
pub use embed::{Embedder, EmbedderConfig, FeatureHashingEmbedder};
pub use error::{HybridError, Result};
pub use lock::LOCK_FILE;
pub use options::{OpenOptions, DEFAULT_WRITER_MEMORY, MAX_DIMENSIONS};
pub use query::{Fusion, Hit, Query, SearchMode, DEFAULT_CANDIDATES, MAX_K};
pub use session::Session;
pub use system::{Stats, UnifiedSearchSystem};
pub use vn_index::{HnswParams, IndexKind, MemoryUsage, Metric};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn thread_safety_of_the_public_types() {
        assert_send_sync::<UnifiedSearchSystem>();
        assert_send::<Session>();
        assert_send_sync::<HybridError>();
    }
}
