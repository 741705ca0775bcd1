//! `write_atomically`: the target is replaced whole or not at all, no temporary file is left
//! behind either way, and the temporary files of writers that died are removed by the next
//! write (those of live writers never are).

mod common;

use std::io::{self, Write};

use common::TestDir;
use vn_index::{remove_stale_temp_files, write_atomically, FlatIndex, Metric, VectorIndex};

#[test]
fn a_write_replaces_the_target_whole_or_leaves_it_untouched() {
    let dir = TestDir::new("atomic");
    let target = dir.path("data.bin");
    std::fs::write(&target, b"old").unwrap();

    // A failing writer: the old content stays, the temporary file is gone.
    let e = write_atomically(&target, |w| {
        w.write_all(b"half of the new")?;
        Err::<(), _>(io::Error::other("stopped half-way"))
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "stopped half-way");
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(dir.entries(), ["data.bin"]);

    // A writer that finishes: its value comes back, the target holds exactly the new bytes.
    let n = write_atomically(&target, |w| w.write_all(b"new content").map(|()| 11)).unwrap();
    assert_eq!(n, 11);
    assert_eq!(std::fs::read(&target).unwrap(), b"new content");
    assert_eq!(dir.entries(), ["data.bin"]);

    // Errors name the step and the path.
    let e = write_atomically(&dir.path("no/such/dir/x"), |_| Ok::<(), io::Error>(())).unwrap_err();
    assert!(e.to_string().starts_with("creating "), "{e}");
    assert!(e.to_string().contains("no/such/dir"), "{e}");
}

/// The pid of a process that has exited: a child this test started and waited for.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--list")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn stale_temp_files_of_dead_writers_are_removed_and_live_ones_kept() {
    let dir = TestDir::new("stale");
    let target = dir.path("index.vnidx");
    let (dead, me) = (dead_pid(), std::process::id());
    let stale = [
        format!(".index.vnidx.{dead}.0.tmp"),
        format!(".index.vnidx.{dead}.17.tmp"),
        // This process's pid, but no write of this process uses it: an earlier process with
        // the same pid (a container's first process has the same pid on every start).
        format!(".index.vnidx.{me}.{}.tmp", u64::MAX),
    ];
    // A live process other than this one is never judged (Unix: our parent).
    #[cfg(unix)]
    let live_other = Some(format!(".index.vnidx.{}.0.tmp", std::os::unix::process::parent_id()));
    #[cfg(not(unix))]
    let live_other: Option<String> = None;
    let kept: Vec<String> = [
        format!(".other.vnidx.{dead}.0.tmp"), // another target's
        ".index.vnidx.tmp".to_string(),       // not our naming pattern
        format!("index.vnidx.{dead}.0.tmp"),
    ]
    .into_iter()
    .chain(live_other)
    .collect();
    let index = FlatIndex::new(2, Metric::L2).unwrap();
    index.add(&[1], &[0.5, 0.5]).unwrap();
    // A write of the target is in progress (its temporary file is on disk, in use) when the
    // leftovers appear and a save of the same target runs: the save removes the stale files
    // and leaves the in-flight one alone.
    let mine = |entries: &[String]| -> Vec<String> {
        entries.iter().filter(|e| e.starts_with(&format!(".index.vnidx.{me}."))).cloned().collect()
    };
    let in_flight = write_atomically(&target, |w| {
        w.write_all(b"in flight")?;
        w.flush()?;
        let in_flight = mine(&dir.entries());
        assert_eq!(in_flight.len(), 1, "{in_flight:?}");
        for name in stale.iter().chain(&kept) {
            std::fs::write(dir.path(name), b"left behind").unwrap();
        }
        index.save(&target)?;
        assert_eq!(mine(&dir.entries()), in_flight);
        Ok::<_, vn_index::IndexError>(in_flight[0].clone())
    })
    .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"in flight");

    let mut expected = kept.clone();
    expected.push("index.vnidx".into());
    expected.sort();
    assert_eq!(dir.entries(), expected);
    assert!(!expected.contains(&in_flight));

    // Nothing stale is left: a direct call removes nothing more.
    assert_eq!(remove_stale_temp_files(&target).unwrap(), 0);
    assert_eq!(dir.entries(), expected);
}
