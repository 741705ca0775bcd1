//! Replacing a file atomically: [`write_atomically`].
//!
//! A write goes to `.<name>.<pid>.<n>.tmp` in the target's directory (a fresh name: `pid` is
//! the writing process, `n` a per-process counter), is `sync_all`ed, renamed over the target,
//! and the directory is fsynced (Unix). Until the rename the old file is untouched, so a reader
//! or a crash sees the old file or the new one, never a mix. `std::fs::rename` replaces an
//! existing target on every platform (Windows: `MoveFileExW` with `MOVEFILE_REPLACE_EXISTING`,
//! then POSIX-semantics `FileRenameInfoEx` if a reader holds the target open).

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Buffer of the writer handed to [`write_atomically`]'s closure.
const WRITE_BUFFER: usize = 1 << 20;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `target` with what `write` writes, atomically (see the [module](self) docs).
///
/// `write` gets a buffered writer on the temporary file; when it returns `Ok`, the data is
/// flushed, `sync_all`ed and renamed over `target`, and its value is returned. When it (or any
/// step) fails, the temporary file is removed and `target` is untouched.
///
/// Errors carry the path and the step ("creating", "renaming" ...) in their message.
pub fn write_atomically<T, E: From<io::Error>>(
    target: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>,
) -> Result<T, E> {
    let (dir, name) = split_target(target)?;
    let mut temp = TempFile::create(&dir, name)?;
    let value = write(temp.writer.as_mut().expect("writer present until commit"))?;
    temp.commit(target)?;
    sync_dir(&dir).map_err(|e| context(e, "syncing the directory of", target))?;
    Ok(value)
}

fn temp_file_name(target_name: &OsStr, pid: u32, n: u64) -> OsString {
    let mut s = OsString::from(".");
    s.push(target_name);
    s.push(format!(".{pid}.{n}.tmp"));
    s
}

/// `(directory, file name)` of a target path.
fn split_target(target: &Path) -> io::Result<(PathBuf, &OsStr)> {
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{} does not name a file", target.display()))
    })?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

fn context(e: io::Error, step: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{step} {}: {e}", path.display()))
}

/// A temporary file being written; removed on drop unless committed.
struct TempFile {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl TempFile {
    /// Creates a fresh `.<name>.<pid>.<n>.tmp` (`create_new`: never reuses a file).
    fn create(dir: &Path, name: &OsStr) -> io::Result<TempFile> {
        loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(temp_file_name(name, std::process::id(), n));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile { path, writer: Some(BufWriter::with_capacity(WRITE_BUFFER, file)) });
                }
                // A leftover with the same pid and counter: pick the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(context(e, "creating", &path)),
            }
        }
    }

    /// Flushes, `sync_all`s and renames over `target`.
    fn commit(mut self, target: &Path) -> io::Result<()> {
        let writer = self.writer.take().expect("writer present until commit");
        let file = writer.into_inner().map_err(|e| context(e.into_error(), "writing", &self.path))?;
        file.sync_all().map_err(|e| context(e, "syncing", &self.path))?;
        drop(file);
        std::fs::rename(&self.path, target).map_err(|e| context(e, "renaming the temporary file over", target))?;
        // The temporary name is gone: nothing for Drop to remove any more.
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows cannot open a directory as a file to flush it; a rename (within one directory) of
/// a file that was `sync_all`ed is what durability it offers.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
