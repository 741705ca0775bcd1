//! The exclusive lock on a store's vector directory, held while the store is open for writing.
//!
//! The text index has tantivy's writer lock; the vector directory had none, so two stores with
//! different text indexes and one `vector_db_path` each overwrote the other's vector index and
//! manifest, and every reopen rebuilt it. The lock is an OS lock (`flock` on Unix, `LockFileEx`
//! on Windows) on a file in the directory: released by the OS when the store closes or the
//! process dies, so a file left behind locks nothing.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::{HybridError, Result};

/// The lock file's name inside `vector_db_path`.
pub const LOCK_FILE: &str = ".vn-vectors.lock";

/// Holds the lock until dropped.
#[derive(Debug)]
pub(crate) struct VectorDirLock {
    _file: File,
}

impl VectorDirLock {
    /// Takes the lock, or fails with `Locked` when another open store (in this process or
    /// another) holds it.
    pub fn acquire(dir: &Path) -> Result<VectorDirLock> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| HybridError::io(format!("opening the lock file {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => Ok(VectorDirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(HybridError::Locked(format!(
                "the vector db {} is in use by another open store (in this process or another): close it first",
                dir.display()
            ))),
            Err(TryLockError::Error(e)) => Err(HybridError::io(format!("locking {}", path.display()), e)),
        }
    }
}
