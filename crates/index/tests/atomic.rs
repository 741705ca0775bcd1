//! `write_atomically`: the target is replaced whole or not at all, and no temporary file is
//! left behind either way.

mod common;

use std::io::{self, Write};

use common::TestDir;
use vn_index::write_atomically;

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
