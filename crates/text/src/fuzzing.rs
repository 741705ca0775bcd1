//! Entry points for the fuzz targets (`fuzz/`) and their stable replay test; compiled only
//! with the `fuzzing` feature, never part of the public API.

use std::path::{Path, PathBuf};

use tantivy::directory::RamDirectory;
pub use tantivy::TantivyDocument;
use tantivy::{Directory, Index};

use crate::index::{check_meta_json, stored_doc, TextIndex};
use crate::{Fields, Result, StoredDoc, TextError};

/// Opens an index held in memory as `(file name, bytes)` pairs, with every check
/// [`TextIndex::open_or_create`] makes on an existing index (`shown` names it in errors).
pub fn open_files(files: &[(PathBuf, Vec<u8>)], shown: &Path) -> Result<TextIndex> {
    let dir = RamDirectory::create();
    for (name, bytes) in files {
        dir.atomic_write(name, bytes).map_err(|e| TextError::io(format!("writing {}", name.display()), e))?;
    }
    if let Some((_, meta)) = files.iter().find(|(n, _)| n == Path::new("meta.json")) {
        check_meta_json(meta, shown)?;
    }
    let index = Index::open(dir).map_err(|e| TextError::from(e).at(Some(shown)))?;
    TextIndex::open_checked(index, shown, None)
}

/// Reads the files of the index in directory `path` (for building fuzz inputs from a real
/// index), sorted by name.
pub fn read_files(path: &Path) -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            out.push((PathBuf::from(entry.file_name()), std::fs::read(entry.path())?));
        }
    }
    out.sort();
    Ok(out)
}

/// What a stored document becomes when it is read ([`crate::TextSnapshot::get`] and
/// [`crate::TextSnapshot::for_each_stored`]).
pub fn stored(fields: &Fields, internal_id: u64, doc: &TantivyDocument) -> Result<StoredDoc> {
    stored_doc(fields, internal_id, doc)
}
