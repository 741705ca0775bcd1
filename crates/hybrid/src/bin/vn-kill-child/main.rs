//! The child of the kill test (`tests/kill.rs`): writes generation after generation until it
//! is killed, printing `begin <g>` before each write and `done <g>` after it.
//!
//! * `vn-kill-child save <file> <flat|hnsw> <g0>`: loads the vector index `file` (at
//!   generation `g0`), then forever: advances it one generation and saves it over `file`.
//! * `vn-kill-child commit <root>`: opens the store under `root`, then forever: adds the next
//!   batch of documents, deletes the batch three generations back, commits.

use std::io::Write;
use std::path::Path;

mod state;

fn say(what: &str, g: u64) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{what} {g}").expect("stdout");
    out.flush().expect("stdout");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("save") => {
            let file = Path::new(&args[1]);
            let mut g: u64 = args[3].parse().expect("generation");
            let index = vn_index::load_index(file).expect("load the index");
            assert_eq!(index.kind().as_str(), args[2]);
            say("ready", g);
            loop {
                g += 1;
                state::advance_index(&*index, g);
                say("begin", g);
                index.save(file).expect("save");
                say("done", g);
            }
        }
        Some("commit") => {
            let system = vn_hybrid::UnifiedSearchSystem::open(state::store_options(Path::new(&args[1])))
                .expect("open the store");
            let mut g = system.generation();
            say("ready", g);
            loop {
                g += 1;
                system.add(&state::batch_docs(g)).expect("add");
                if g > 3 {
                    system.delete(&state::batch_ids(g - 3)).expect("delete");
                }
                say("begin", g);
                assert_eq!(system.commit().expect("commit"), g);
                say("done", g);
            }
        }
        _ => {
            eprintln!("usage: vn-kill-child save <file> <flat|hnsw> <generation> | commit <root>");
            std::process::exit(2);
        }
    }
}
