//! Replacing a file atomically ([`write_atomically`]) and cleaning up after writers that died
//! mid-write ([`remove_stale_temp_files`]).
//!
//! A write goes to `.<name>.<pid>.<n>.tmp` in the target's directory (a fresh name: `pid` is
//! the writing process, `n` a per-process counter), is `sync_all`ed, renamed over the target,
//! and the directory is fsynced (Unix). Until the rename the old file is untouched, so a reader
//! or a crash sees the old file or the new one, never a mix. `std::fs::rename` replaces an
//! existing target on every platform (Windows: `MoveFileExW` with `MOVEFILE_REPLACE_EXISTING`,
//! then POSIX-semantics `FileRenameInfoEx` if a reader holds the target open).
//!
//! A killed writer leaves its temporary file behind. Before each write, the temporary files of
//! the same target whose writer is gone are removed: those of a process that no longer exists
//! (Unix `kill(pid, 0)` failing with `ESRCH`; Windows `OpenProcess` refusing the pid or the
//! process having exited), and those carrying this process's pid that no write of this process
//! is using (left by an earlier process that had the same pid, as a container's first process
//! does on every start). A file of a live process is never touched, even if that pid was reused
//! by an unrelated process: a leak until it exits, never a lost write.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Buffer of the writer handed to [`write_atomically`]'s closure.
const WRITE_BUFFER: usize = 1 << 20;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temporary files this process is writing right now: a cleanup never removes these.
static LIVE_TEMPS: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn live_temps() -> std::sync::MutexGuard<'static, Option<HashSet<PathBuf>>> {
    // A panic while holding this lock leaves a valid set: ignore the poison.
    LIVE_TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Replaces `target` with what `write` writes, atomically (see the [module](self) docs).
///
/// `write` gets a buffered writer on the temporary file; when it returns `Ok`, the data is
/// flushed, `sync_all`ed and renamed over `target`, and its value is returned. When it (or any
/// step) fails, the temporary file is removed and `target` is untouched. Stale temporary files
/// of `target` are removed first (best effort: a failure to list or remove them is ignored).
///
/// Errors carry the path and the step ("creating", "renaming" ...) in their message.
pub fn write_atomically<T, E: From<io::Error>>(
    target: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T, E>,
) -> Result<T, E> {
    let (dir, name) = split_target(target)?;
    let _ = remove_stale_temp_files(target);
    let mut temp = TempFile::create(&dir, name)?;
    let value = write(temp.writer.as_mut().expect("writer present until commit"))?;
    temp.commit(target)?;
    sync_dir(&dir).map_err(|e| context(e, "syncing the directory of", target))?;
    Ok(value)
}

/// Removes the temporary files [`write_atomically`] left beside `target` whose writer is gone
/// (see the [module](self) docs), and returns how many it removed. Files of other targets and
/// of live writers are never touched.
pub fn remove_stale_temp_files(target: &Path) -> io::Result<usize> {
    let (dir, name) = split_target(target)?;
    let me = std::process::id();
    let mut removed = 0;
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let Some(pid) = temp_file_pid(&entry.file_name(), name) else { continue };
        let path = entry.path();
        let stale = if pid == me {
            // Checked under the lock a new temporary file is registered under, before it exists.
            !live_temps().as_ref().is_some_and(|live| live.contains(&path))
        } else {
            !process_is_alive(pid)
        };
        if stale {
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(context(e, "removing the stale temporary file", &path)),
            }
        }
    }
    Ok(removed)
}

/// The pid in a temporary file name of `target_name` (`.<name>.<pid>.<n>.tmp`), `None` for
/// any other name.
fn temp_file_pid(file_name: &OsStr, target_name: &OsStr) -> Option<u32> {
    let file_name = file_name.to_str()?;
    let rest = file_name.strip_prefix('.')?.strip_prefix(target_name.to_str()?)?;
    let (pid, n) = rest.strip_prefix('.')?.strip_suffix(".tmp")?.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
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

/// A temporary file being written; removed (and unregistered) on drop unless committed.
struct TempFile {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl TempFile {
    /// Registers, then creates, a fresh `.<name>.<pid>.<n>.tmp` (`create_new`: never reuses a
    /// file). Registered first, so a concurrent cleanup in this process never sees it
    /// unregistered.
    fn create(dir: &Path, name: &OsStr) -> io::Result<TempFile> {
        loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(temp_file_name(name, std::process::id(), n));
            live_temps().get_or_insert_with(HashSet::new).insert(path.clone());
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile { path, writer: Some(BufWriter::with_capacity(WRITE_BUFFER, file)) });
                }
                Err(e) => {
                    unregister(&path);
                    match e.kind() {
                        // A leftover with the same pid and counter: pick the next name.
                        io::ErrorKind::AlreadyExists => continue,
                        _ => return Err(context(e, "creating", &path)),
                    }
                }
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
        unregister(&self.path);
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = std::fs::remove_file(&self.path);
            unregister(&self.path);
        }
    }
}

fn unregister(path: &Path) {
    if let Some(live) = live_temps().as_mut() {
        live.remove(path);
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

/// Whether a process with this pid exists (a zombie counts). When unsure, `true`: a temporary
/// file is only removed when its writer is known to be gone.
#[cfg(unix)]
fn process_is_alive(pid: u32) -> bool {
    // pid 0 and negative values address process groups in kill(2): never a writer's pid.
    let Ok(pid) = libc::pid_t::try_from(pid) else { return true };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 sends nothing; kill only checks that the process exists and that we
    // may signal it. It touches no memory of ours.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    // EPERM: it exists, owned by someone else.
    io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(windows)]
fn process_is_alive(pid: u32) -> bool {
    use std::ffi::c_void;
    const PROCESS_QUERY_LIMITED_INFORMATION: u32 = 0x1000;
    const ERROR_INVALID_PARAMETER: i32 = 87;
    const STILL_ACTIVE: u32 = 259;
    #[link(name = "kernel32")]
    extern "system" {
        fn OpenProcess(desired_access: u32, inherit_handle: i32, process_id: u32) -> *mut c_void;
        fn GetExitCodeProcess(process: *mut c_void, exit_code: *mut u32) -> i32;
        fn CloseHandle(handle: *mut c_void) -> i32;
    }
    // SAFETY: OpenProcess takes plain values and returns a handle we own (or null).
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if handle.is_null() {
        // ERROR_INVALID_PARAMETER: no such process. Anything else (access denied): it exists.
        return io::Error::last_os_error().raw_os_error() != Some(ERROR_INVALID_PARAMETER);
    }
    let mut code = 0u32;
    // SAFETY: `handle` is a valid process handle opened above; `code` outlives the call.
    let ok = unsafe { GetExitCodeProcess(handle, &mut code) };
    // SAFETY: `handle` is ours and closed exactly once.
    unsafe { CloseHandle(handle) };
    // An exited process whose handle someone still holds reports its exit code. (One that
    // exited with code 259 looks alive: kept, which is the safe side.)
    ok == 0 || code == STILL_ACTIVE
}

/// No portable way to ask: every other process counts as alive.
#[cfg(not(any(unix, windows)))]
fn process_is_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_file_names_are_recognised_for_their_target_only() {
        let name = OsStr::new("vectors.vnidx");
        assert_eq!(temp_file_pid(&temp_file_name(name, 42, 7), name), Some(42));
        for other in [
            ".vectors.vnidx.tmp",
            ".vectors.vnidx.42.tmp",
            ".vectors.vnidx.42.7.8.tmp",
            ".vectors.vnidx.x.7.tmp",
            ".vectors.vnidx.42..tmp",
            "vectors.vnidx.42.7.tmp",
            ".vectors.vnidx.42.7.tmpx",
            ".other.vnidx.42.7.tmp",
            ".vectors.vnidx2.42.7.tmp",
        ] {
            assert_eq!(temp_file_pid(OsStr::new(other), name), None, "{other}");
        }
    }

    #[test]
    fn this_process_and_a_waited_child_are_told_apart() {
        assert!(process_is_alive(std::process::id()));
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_is_alive(pid));
    }
}
