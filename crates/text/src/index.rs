//! [`TextIndex`] (open, reload, snapshot), [`TextWriter`] (buffered writes, commit with a
//! payload) and [`TextSnapshot`] (BM25 search and document reads on one committed state).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::columnar::{Column, StrColumn};
use tantivy::directory::error::OpenReadError;
use tantivy::index::SegmentComponent;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::Directory;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, TantivyError, Term,
};

use crate::schema::{self, Fields};
use crate::tokenizer::{analyzer, for_each_token, TOKENIZER_NAME};
use crate::{Result, TextError};

/// Indexing memory below which tantivy refuses to create a writer (per indexing thread).
pub const MIN_WRITER_MEMORY: usize = 15_000_000;

/// Files tantivy leaves in a directory before (or without) `meta.json`: a directory holding
/// only these is treated as empty, so a creation interrupted before its first commit is redone.
const TANTIVY_BOOKKEEPING: [&str; 3] = [".tantivy-meta.lock", ".tantivy-writer.lock", ".managed.json"];

/// A document as it is written.
#[derive(Debug, Clone, Copy)]
pub struct TextDoc<'a> {
    /// The caller's id (must be unique; the index does not check).
    pub id: &'a str,
    /// The engine's id, the key of the vector index (must be unique; not checked here).
    pub internal_id: u64,
    /// The searchable text.
    pub text: &'a str,
    /// The document's vector, stored verbatim (`f32` little-endian).
    pub vector: Option<&'a [f32]>,
    /// A JSON string, stored verbatim.
    pub metadata: Option<&'a str>,
}

/// A document as it is read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDoc {
    /// The caller's id.
    pub id: String,
    /// The engine's id.
    pub internal_id: u64,
    /// The text.
    pub text: String,
    /// The stored vector, if the document has one.
    pub vector: Option<Vec<f32>>,
    /// The stored metadata, if any.
    pub metadata: Option<String>,
}

/// One BM25 result.
#[derive(Debug, Clone, PartialEq)]
pub struct TextHit {
    /// The caller's id.
    pub id: String,
    /// The engine's id.
    pub internal_id: u64,
    /// tantivy's BM25 score (k1 = 1.2, b = 0.75), larger is better.
    pub score: f32,
}

/// A BM25 hit before the caller's id is read: the engine id, the score, and where the document
/// sits in its snapshot (for [`TextSnapshot::ids_of`]). Reading caller ids from the id
/// dictionary decodes a dictionary block per hit, so a caller that can map engine ids itself
/// (the hybrid store keeps that map in memory) skips it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredDoc {
    /// The engine's id.
    pub internal_id: u64,
    /// tantivy's BM25 score (k1 = 1.2, b = 0.75), larger is better.
    pub score: f32,
    address: DocAddress,
}

/// The keys of one live document, read from fast fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocKey {
    /// The caller's id.
    pub id: String,
    /// The engine's id.
    pub internal_id: u64,
    /// Whether the document stores a vector.
    pub has_vector: bool,
}

/// A tantivy index with this crate's schema and analyzer.
///
/// The reader reloads only when told ([`reload`](Self::reload), `ReloadPolicy::Manual`): a
/// [`TextSnapshot`] keeps seeing the commit it was taken on, and uncommitted writes are never
/// visible. Searches never wait for the writer.
#[derive(Clone)]
pub struct TextIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex").field("path", &self.path).finish_non_exhaustive()
    }
}

impl TextIndex {
    /// Opens the index in directory `path`, or creates it (and the directory) when absent.
    /// Returns the index and whether it was created.
    ///
    /// Errors: `InvalidArgument` when `path` is a file, or a non-empty directory without a
    /// tantivy index (nothing is written into it); `Corrupt` for a damaged index or a tantivy
    /// index with another schema; `Io` when the directory cannot be created or read.
    pub fn open_or_create(path: &Path) -> Result<(TextIndex, bool)> {
        let create = match std::fs::metadata(path) {
            Ok(m) if !m.is_dir() => {
                return Err(TextError::InvalidArgument(format!(
                    "the text index path {} is a file, not a directory",
                    path.display()
                )))
            }
            Ok(_) => {
                if path.join("meta.json").exists() {
                    false
                } else {
                    ensure_no_foreign_files(path)?;
                    true
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(path)
                    .map_err(|e| TextError::io(format!("creating the text index directory {}", path.display()), e))?;
                true
            }
            Err(e) => return Err(TextError::io(format!("reading {}", path.display()), e)),
        };
        if create {
            let index =
                Index::create_in_dir(path, schema::build_schema().0).map_err(|e| TextError::from(e).at(Some(path)))?;
            return Ok((Self::from_index(index, Some(path.to_path_buf()))?, true));
        }
        if let Ok(meta) = std::fs::read(path.join("meta.json")) {
            check_meta_json(&meta, path)?;
        }
        let index = Index::open_in_dir(path).map_err(|e| TextError::from(e).at(Some(path)))?;
        Ok((Self::open_checked(index, path, Some(path.to_path_buf()))?, false))
    }

    /// Opens an existing index after checking its files (`shown` names its directory in errors).
    pub(crate) fn open_checked(index: Index, shown: &Path, path: Option<PathBuf>) -> Result<TextIndex> {
        // Before any segment is opened: tantivy trusts its files (a damaged length becomes a
        // huge allocation, a damaged offset a panic), so damage must be found first.
        verify_segment_files(&index, shown)?;
        let text = Self::from_index(index, path)?;
        text.verify_segment_counts()?;
        Ok(text)
    }

    /// A new index in memory (for tests and throw-away use).
    pub fn create_in_ram() -> Result<TextIndex> {
        Self::from_index(Index::create_in_ram(schema::build_schema().0), None)
    }

    fn from_index(index: Index, path: Option<PathBuf>) -> Result<TextIndex> {
        let fields = schema::fields_of(&index.schema())?;
        index.tokenizers().register(TOKENIZER_NAME, analyzer());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(TextIndex { index, reader, fields, path })
    }

    /// The resolved schema fields.
    pub fn fields(&self) -> Fields {
        self.fields
    }

    /// The directory, or `None` for an in-memory index.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A writer with one indexing thread and `memory_budget` bytes of indexing memory (at
    /// least [`MIN_WRITER_MEMORY`]); when the budget fills, a segment is flushed to disk but
    /// stays invisible until [`TextWriter::commit`]. Only one writer may exist per index
    /// (across processes too): a second one fails with `Locked`.
    pub fn writer(&self, memory_budget: usize) -> Result<TextWriter> {
        if memory_budget < MIN_WRITER_MEMORY {
            return Err(TextError::InvalidArgument(format!(
                "the writer's memory budget must be at least {MIN_WRITER_MEMORY} bytes, got {memory_budget}"
            )));
        }
        let writer = self.index.writer_with_num_threads(1, memory_budget).map_err(|e| self.err(e))?;
        Ok(TextWriter { writer, fields: self.fields, path: self.path.clone() })
    }

    /// Checks the document counts meta.json records against the segments' own files (meta.json
    /// has no checksum): the fast-field columns and the field norms hold one row per document,
    /// the alive bitset one bit, and meta.json's deleted count must match the bitset.
    fn verify_segment_counts(&self) -> Result<()> {
        let metas = self.index.searchable_segment_metas()?;
        let searcher = self.reader.searcher();
        for seg in searcher.segment_readers() {
            let id = seg.segment_id().uuid_string();
            let max_doc = seg.max_doc();
            let mismatch = |what: &str, found: u32| {
                TextError::Corrupt(format!(
                    "segment {id}: meta.json records {max_doc} documents (max_doc), its {what} holds {found}"
                ))
            };
            let ff = seg.fast_fields();
            let columns = [
                ("internal_id column (.fast)", ff.u64(schema::INTERNAL_ID)?.num_docs()),
                ("has_vector column (.fast)", ff.bool(schema::HAS_VECTOR)?.num_docs()),
                (
                    "id column (.fast)",
                    ff.str(schema::ID)?
                        .ok_or_else(|| TextError::Corrupt(format!("segment {id} has no id column")))?
                        .ords()
                        .num_docs(),
                ),
                ("text field norms (.fieldnorm)", seg.get_fieldnorms_reader(self.fields.text)?.num_docs()),
            ];
            for (what, found) in columns {
                if found != max_doc {
                    return Err(mismatch(what, found));
                }
            }
            let meta = metas
                .iter()
                .find(|m| m.id() == seg.segment_id())
                .ok_or_else(|| TextError::Corrupt(format!("segment {id} is not in meta.json")))?;
            if let Some(alive) = seg.alive_bitset() {
                if alive.bitset().max_value() != max_doc {
                    return Err(mismatch("alive bitset (.del)", alive.bitset().max_value()));
                }
                let deleted = max_doc - seg.num_docs();
                if meta.num_deleted_docs() != deleted {
                    return Err(TextError::Corrupt(format!(
                        "segment {id}: meta.json records {} deleted documents, its alive bitset (.del) {deleted}",
                        meta.num_deleted_docs()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The payload of the last commit, read from disk (`None` before the first commit with one).
    pub fn committed_payload(&self) -> Result<Option<String>> {
        Ok(self.index.load_metas().map_err(|e| self.err(e))?.payload)
    }

    /// Makes later snapshots see the last commit.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload().map_err(|e| self.err(e))
    }

    /// A tantivy error of this index, with its directory named.
    fn err(&self, e: TantivyError) -> TextError {
        TextError::from(e).at(self.path.as_deref())
    }

    /// The committed state the reader currently holds.
    pub fn snapshot(&self) -> Result<TextSnapshot> {
        TextSnapshot::new(self.reader.searcher(), self.fields)
    }

    /// Bytes of the files in the index directory (0 in memory). Files that vanish while they
    /// are listed (a merge's garbage collection) are skipped.
    pub fn size_on_disk(&self) -> Result<u64> {
        let Some(path) = &self.path else { return Ok(0) };
        let mut total = 0;
        let entries = std::fs::read_dir(path).map_err(|e| TextError::io(format!("listing {}", path.display()), e))?;
        for entry in entries.flatten() {
            if let Ok(m) = entry.metadata() {
                if m.is_file() {
                    total += m.len();
                }
            }
        }
        Ok(total)
    }
}

/// Checks what in meta.json (which has no checksum) tantivy would panic on instead of
/// returning an error: a schema that names a field twice (tantivy's schema builder asserts;
/// found by the `store_open` fuzz target). Bytes that are not JSON are refused here too:
/// tantivy parses meta.json as a stream and would meet (and panic on) a duplicate field before
/// it noticed that the rest is not JSON.
pub(crate) fn check_meta_json(bytes: &[u8], dir: &Path) -> Result<()> {
    let meta = serde_json::from_slice::<serde_json::Value>(bytes)
        .map_err(|e| TextError::Corrupt(format!("{}: meta.json is not JSON ({e})", dir.join("meta.json").display())))?;
    let mut seen = HashSet::new();
    for field in meta.get("schema").and_then(|s| s.as_array()).into_iter().flatten() {
        if let Some(name) = field.get("name").and_then(|n| n.as_str()) {
            if !seen.insert(name) {
                return Err(TextError::Corrupt(format!(
                    "{}: meta.json names the field {name:?} twice in its schema",
                    dir.join("meta.json").display()
                )));
            }
        }
    }
    Ok(())
}

/// The files of every segment. Each ends with tantivy's footer, which holds a CRC-32 of the rest.
const SEGMENT_FILES: [SegmentComponent; 6] = [
    SegmentComponent::Postings,
    SegmentComponent::Positions,
    SegmentComponent::Terms,
    SegmentComponent::FieldNorms,
    SegmentComponent::FastFields,
    SegmentComponent::Store,
];

/// Checks every file of every committed segment against the CRC-32 in its footer (a missing
/// file, a damaged footer or other bytes than were written are `Corrupt`, naming the file).
/// Reads each file once (mmap): the cost is proportional to the index's size.
fn verify_segment_files(index: &Index, path: &Path) -> Result<()> {
    let directory = index.directory();
    for meta in index.searchable_segment_metas()? {
        let mut files: Vec<PathBuf> = SEGMENT_FILES.iter().map(|c| meta.relative_path(c.clone())).collect();
        if meta.has_deletes() {
            files.push(meta.relative_path(SegmentComponent::Delete));
        }
        for file in files {
            let shown = path.join(&file);
            let problem = match directory.validate_checksum(&file).and_then(|ok| {
                // The footer's format version is not under the checksum.
                directory.open_read(&file)?;
                Ok(ok)
            }) {
                Ok(true) => continue,
                Err(OpenReadError::IncompatibleIndex(i)) => format!("its footer names another format: {i:?}"),
                Ok(false) => "its content does not match the checksum in its footer".to_string(),
                Err(OpenReadError::FileDoesNotExist(_)) => "it is missing".to_string(),
                Err(OpenReadError::IoError { io_error, .. }) if is_damage(io_error.kind()) => {
                    format!("its footer is damaged ({io_error})")
                }
                Err(other) => return Err(TextError::from(TantivyError::from(other))),
            };
            return Err(TextError::Corrupt(format!("segment file {}: {problem}", shown.display())));
        }
    }
    Ok(())
}

fn ensure_no_foreign_files(path: &Path) -> Result<()> {
    let entries = std::fs::read_dir(path).map_err(|e| TextError::io(format!("listing {}", path.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| TextError::io(format!("listing {}", path.display()), e))?;
        let name = entry.file_name();
        if !TANTIVY_BOOKKEEPING.iter().any(|b| name == *b) {
            return Err(TextError::InvalidArgument(format!(
                "the text index path {} is a non-empty directory without a tantivy index (it holds {:?}); \
                 choose an empty or new directory",
                path.display(),
                name
            )));
        }
    }
    Ok(())
}

/// The single writer of a [`TextIndex`]. Adds and deletes are buffered; [`commit`](Self::commit)
/// makes them durable (readers see them after [`TextIndex::reload`]); [`rollback`](Self::rollback)
/// discards them.
pub struct TextWriter {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
    /// The index's directory, named in errors (`None` in memory).
    path: Option<PathBuf>,
}

impl std::fmt::Debug for TextWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextWriter").finish_non_exhaustive()
    }
}

impl TextWriter {
    /// Removes the temporary files that writers killed during a commit left in the index
    /// directory, and returns how many. tantivy writes `meta.json` and `.managed.json` through
    /// a temporary file (`.tmp` and six letters or digits, the `tempfile` crate's name) renamed
    /// into place; a kill before the rename leaves it, and nothing else ever removes it. Only
    /// the writer writes such files, and this one holds the writer lock (across processes):
    /// every one found is an orphan.
    pub fn remove_stale_temp_files(&self) -> Result<usize> {
        let Some(path) = &self.path else { return Ok(0) };
        let listing = |e| TextError::io(format!("listing {}", path.display()), e);
        let mut removed = 0;
        for entry in std::fs::read_dir(path).map_err(listing)? {
            let entry = entry.map_err(listing)?;
            if !is_tantivy_temp_file(&entry.file_name()) || !entry.file_type().map_err(listing)?.is_file() {
                continue;
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(TextError::io(format!("removing {}", entry.path().display()), e)),
            }
        }
        Ok(removed)
    }

    /// Deletes the files of the index directory that no commit references and tantivy created
    /// (recorded in `.managed.json`): the segment and delete files of commits a kill
    /// interrupted. They are not only waste: a delete file is named by its segment and the
    /// commit's opstamp, which the next commit reuses, so a left-over one made that commit fail
    /// ("File already exists"). Returns how many files were deleted.
    pub fn remove_orphan_files(&self) -> Result<usize> {
        let result = self.writer.garbage_collect_files().wait().map_err(|e| self.err(e))?;
        Ok(result.deleted_files.len())
    }

    /// Buffers one document.
    pub fn add(&mut self, doc: &TextDoc<'_>) -> Result<()> {
        let f = &self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.id, doc.id);
        d.add_text(f.text, doc.text);
        d.add_u64(f.internal_id, doc.internal_id);
        d.add_bool(f.has_vector, doc.vector.is_some());
        if let Some(v) = doc.vector {
            d.add_bytes(f.vector, &schema::encode_vector(v));
        }
        if let Some(m) = doc.metadata {
            d.add_text(f.metadata, m);
        }
        self.writer.add_document(d).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Buffers the deletion of the document with this engine id (committed, or added earlier
    /// through this writer; a later add with the same id is not affected).
    pub fn delete(&mut self, internal_id: u64) {
        self.writer.delete_term(Term::from_field_u64(self.fields.internal_id, internal_id));
    }

    /// Makes every buffered change durable, atomically, with `payload` recorded in the commit
    /// (read it back with [`TextIndex::committed_payload`]).
    pub fn commit(&mut self, payload: &str) -> Result<()> {
        let path = self.path.clone();
        let mut prepared = self.writer.prepare_commit().map_err(|e| TextError::from(e).at(path.as_deref()))?;
        prepared.set_payload(payload);
        prepared.commit().map_err(|e| TextError::from(e).at(path.as_deref()))?;
        Ok(())
    }

    /// Discards every buffered change.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback().map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Waits for background merges and releases the writer lock.
    pub fn finish(self) -> Result<()> {
        let path = self.path;
        self.writer.wait_merging_threads().map_err(|e| TextError::from(e).at(path.as_deref()))
    }

    /// A tantivy error of this writer's index, with its directory named.
    fn err(&self, e: TantivyError) -> TextError {
        TextError::from(e).at(self.path.as_deref())
    }
}

/// Fast-field columns of one segment, opened once per snapshot.
struct SegmentColumns {
    internal_id: Column<u64>,
    id: StrColumn,
    has_vector: Column<bool>,
}

/// One committed state of the index: BM25 search and reads that all agree with each other.
/// Cheap to clone (reference counted).
#[derive(Clone)]
pub struct TextSnapshot {
    searcher: Searcher,
    columns: Arc<[SegmentColumns]>,
    fields: Fields,
}

impl std::fmt::Debug for TextSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextSnapshot").field("num_docs", &self.num_docs()).finish_non_exhaustive()
    }
}

impl TextSnapshot {
    fn new(searcher: Searcher, fields: Fields) -> Result<TextSnapshot> {
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|seg| {
                let ff = seg.fast_fields();
                Ok(SegmentColumns {
                    internal_id: ff.u64(schema::INTERNAL_ID)?,
                    id: ff.str(schema::ID)?.ok_or_else(|| TextError::Corrupt("a segment has no id column".into()))?,
                    has_vector: ff.bool(schema::HAS_VECTOR)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TextSnapshot { searcher, columns: columns.into(), fields })
    }

    /// Live documents.
    pub fn num_docs(&self) -> u64 {
        self.searcher.num_docs()
    }

    /// The `k` best documents for `query` by BM25, best first.
    ///
    /// The query is tokenized like the documents; its distinct tokens are OR-ed (a document
    /// needs one of them), each contributing its BM25 term score. No query syntax: quotes,
    /// `AND`, `field:` are plain words. A query without tokens matches nothing.
    /// Errors: `InvalidArgument` for `k == 0`.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<TextHit>> {
        let docs = self.search_scored(query, k)?;
        let ids = self.ids_of(&docs)?;
        Ok(docs.iter().zip(ids).map(|(d, id)| TextHit { id, internal_id: d.internal_id, score: d.score }).collect())
    }

    /// [`search`](Self::search) without reading the caller's ids: engine ids and scores, best
    /// first. [`ids_of`](Self::ids_of) reads the caller's ids of any of them.
    pub fn search_scored(&self, query: &str, k: usize) -> Result<Vec<ScoredDoc>> {
        if k == 0 {
            return Err(TextError::InvalidArgument("k must be at least 1".into()));
        }
        let mut seen = HashSet::new();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for_each_token(query, |t| {
            if seen.insert(t.to_string()) {
                let term = Term::from_field_text(self.fields.text, t);
                clauses.push((Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))));
            }
        });
        let query: Box<dyn Query> = match clauses.len() {
            0 => return Ok(Vec::new()),
            1 => clauses.pop().expect("one clause").1,
            _ => Box::new(BooleanQuery::new(clauses)),
        };
        let top = self.searcher.search(&*query, &TopDocs::with_limit(k).order_by_score())?;
        top.into_iter()
            .map(|(score, address)| {
                let internal_id = self.columns[address.segment_ord as usize]
                    .internal_id
                    .first(address.doc_id)
                    .ok_or_else(|| TextError::Corrupt(format!("document {address:?} has no internal id")))?;
                Ok(ScoredDoc { internal_id, score, address })
            })
            .collect()
    }

    /// The caller's ids of `docs` (hits of this snapshot), in order. They are read from each
    /// segment's id dictionary in one sorted pass (a lookup per hit would decode a dictionary
    /// block each). Errors: `InvalidArgument` for a hit of another snapshot.
    pub fn ids_of(&self, docs: &[ScoredDoc]) -> Result<Vec<String>> {
        let mut ids = vec![String::new(); docs.len()];
        let mut wanted: Vec<Vec<(u64, usize)>> = vec![Vec::new(); self.columns.len()];
        for (i, doc) in docs.iter().enumerate() {
            let addr = doc.address;
            let Some(cols) = self.columns.get(addr.segment_ord as usize) else {
                return Err(TextError::InvalidArgument(format!("{addr:?} is not a document of this snapshot")));
            };
            let ord = cols
                .id
                .term_ords(addr.doc_id)
                .next()
                .ok_or_else(|| TextError::Corrupt(format!("document {addr:?} has no id")))?;
            wanted[addr.segment_ord as usize].push((ord, i));
        }
        for (cols, mut wanted) in self.columns.iter().zip(wanted) {
            if wanted.is_empty() {
                continue;
            }
            wanted.sort_unstable();
            let ords: Vec<u64> = wanted.iter().map(|&(ord, _)| ord).collect();
            let mut slots = wanted.iter().map(|&(_, i)| i);
            let mut bad_utf8 = false;
            let all_found = cols.id.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                let slot = slots.next().expect("one callback per ordinal");
                match std::str::from_utf8(bytes) {
                    Ok(s) => ids[slot] = s.to_string(),
                    Err(_) => bad_utf8 = true,
                }
            })?;
            if !all_found || bad_utf8 {
                return Err(TextError::Corrupt("the id dictionary does not hold every id".into()));
            }
        }
        Ok(ids)
    }

    /// Reads the engine id and (into `id`) the caller's id of the document at `addr`.
    fn key_at(&self, addr: DocAddress, id: &mut String) -> Result<u64> {
        let cols = &self.columns[addr.segment_ord as usize];
        let internal = cols
            .internal_id
            .first(addr.doc_id)
            .ok_or_else(|| TextError::Corrupt(format!("document {addr:?} has no internal id")))?;
        id.clear();
        let ord = cols.id.term_ords(addr.doc_id).next();
        let found = match ord {
            Some(ord) => cols.id.ord_to_str(ord, id)?,
            None => false,
        };
        if !found {
            return Err(TextError::Corrupt(format!("document {addr:?} has no id")));
        }
        Ok(internal)
    }

    /// The keys of every live document, read from fast fields only (no document-store reads).
    pub fn keys(&self) -> Result<Vec<DocKey>> {
        let mut out = Vec::new();
        reserve(&mut out, self.num_docs(), "the document keys")?;
        for (seg, cols) in self.searcher.segment_readers().iter().zip(self.columns.iter()) {
            // All ids of the segment in ordinal order: one pass over the dictionary instead of
            // a lookup per document. A segment has at most one id per document.
            let mut names = Vec::new();
            reserve(&mut names, (cols.id.num_terms() as u64).min(u64::from(seg.max_doc())), "the id dictionary")?;
            let mut stream = cols.id.dictionary().stream()?;
            while stream.advance() {
                let key = std::str::from_utf8(stream.key())
                    .map_err(|_| TextError::Corrupt("an id is not valid UTF-8".into()))?;
                names.push(key.to_string());
            }
            for doc in seg.doc_ids_alive() {
                let internal_id = cols
                    .internal_id
                    .first(doc)
                    .ok_or_else(|| TextError::Corrupt(format!("document {doc} has no internal id")))?;
                let id = cols
                    .id
                    .term_ords(doc)
                    .next()
                    .and_then(|o| names.get(o as usize))
                    .ok_or_else(|| TextError::Corrupt(format!("document {doc} has no id")))?
                    .clone();
                let has_vector = cols.has_vector.first(doc).unwrap_or(false);
                out.push(DocKey { id, internal_id, has_vector });
            }
        }
        Ok(out)
    }

    /// The live document with the caller's id `id`.
    pub fn get(&self, id: &str) -> Result<Option<StoredDoc>> {
        self.get_by_term(Term::from_field_text(self.fields.id, id))
    }

    /// The live document with the engine id `internal_id`.
    pub fn get_by_internal_id(&self, internal_id: u64) -> Result<Option<StoredDoc>> {
        self.get_by_term(Term::from_field_u64(self.fields.internal_id, internal_id))
    }

    fn get_by_term(&self, term: Term) -> Result<Option<StoredDoc>> {
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = self.searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            None => Ok(None),
            Some(&(_, addr)) => {
                let mut id = String::new();
                let internal = self.key_at(addr, &mut id)?;
                let doc: TantivyDocument = self.searcher.doc(addr)?;
                Ok(Some(self.stored(internal, &doc)?))
            }
        }
    }

    /// Calls `f` with each live document for which `wanted(internal_id, has_vector)` holds, in
    /// index order, reading the document store only for those (sequentially, block-cached).
    /// Stops at the first error, `f`'s own included.
    pub fn for_each_stored<E: From<TextError>>(
        &self,
        mut wanted: impl FnMut(u64, bool) -> bool,
        mut f: impl FnMut(StoredDoc) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        for (seg, cols) in self.searcher.segment_readers().iter().zip(self.columns.iter()) {
            let mut store = None;
            for doc in seg.doc_ids_alive() {
                let internal = cols
                    .internal_id
                    .first(doc)
                    .ok_or_else(|| TextError::Corrupt(format!("document {doc} has no internal id")))?;
                if !wanted(internal, cols.has_vector.first(doc).unwrap_or(false)) {
                    continue;
                }
                if store.is_none() {
                    store = Some(seg.get_store_reader(64).map_err(TextError::from)?);
                }
                let d: TantivyDocument = store.as_ref().expect("opened").get(doc).map_err(TextError::from)?;
                f(self.stored(internal, &d)?)?;
            }
        }
        Ok(())
    }

    fn stored(&self, internal_id: u64, d: &TantivyDocument) -> Result<StoredDoc> {
        stored_doc(&self.fields, internal_id, d)
    }
}

/// A document read from the store, as this crate's type.
pub(crate) fn stored_doc(f: &Fields, internal_id: u64, d: &TantivyDocument) -> Result<StoredDoc> {
    let text_of = |field| d.get_first(field).and_then(|v| v.as_str().map(str::to_string));
    let id = text_of(f.id).ok_or_else(|| TextError::Corrupt(format!("document {internal_id} has no stored id")))?;
    let vector = match d.get_first(f.vector).and_then(|v| v.as_bytes()) {
        None => None,
        Some(bytes) => Some(
            schema::decode_vector(bytes)
                .ok_or_else(|| TextError::Corrupt(format!("the stored vector of {id:?} has {} bytes", bytes.len())))?,
        ),
    };
    Ok(StoredDoc { internal_id, text: text_of(f.text).unwrap_or_default(), metadata: text_of(f.metadata), vector, id })
}

/// Reserves room for `count` items, counted in damaged-or-not data: a count no allocation can
/// hold is a damaged index (`Corrupt`), never an abort of the process.
fn reserve<T>(v: &mut Vec<T>, count: u64, what: &str) -> Result<()> {
    let count = usize::try_from(count).map_err(|_| TextError::Corrupt(format!("{what}: {count} entries")))?;
    v.try_reserve(count).map_err(|_| TextError::Corrupt(format!("{what}: {count} entries do not fit in memory")))
}

/// Whether `name` is a temporary file of tantivy's atomic writes: `.tmp` and six ASCII letters
/// or digits.
fn is_tantivy_temp_file(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .and_then(|n| n.strip_prefix(".tmp"))
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// I/O error kinds that mean "the bytes are wrong", not "the OS refused".
pub(crate) fn is_damage(kind: std::io::ErrorKind) -> bool {
    matches!(kind, std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof)
}
