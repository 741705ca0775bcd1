//! The engine's own worker threads for searches: a FIFO queue served by a fixed set of threads,
//! one of which, when idle, spins briefly before it parks.
//!
//! Why not libuv's pool: a libuv worker that has gone idle is parked on a condition variable,
//! and waking it on another core costs 18–23 µs on a virtualised 2-core host (measured, see
//! docs/benchmarks/async.md) — more than an HNSW search itself. Here the thread that just
//! finished a search keeps polling the queue for [`SPIN_BEFORE_PARK`], so a caller that awaits
//! one search and sends the next finds a running worker with the index still in its caches.
//! Only one thread spins at a time and it yields to any other runnable thread while it does,
//! so an idle process costs at most one spin window per burst of work.
//!
//! Jobs are plain closures; panics are the job's business (the binding wraps each one in
//! `catch_unwind`), but a panicking job cannot kill its worker either.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// How long an idle worker polls the queue before it parks: longer than a JS caller takes to
/// resume after one search and send the next (≈ 20–30 µs measured), short enough that an idle
/// process burns no more than this per burst of work.
pub const SPIN_BEFORE_PARK: Duration = Duration::from_micros(50);

/// libuv's default pool size and its cap (`UV_THREADPOOL_SIZE` is clamped to 1..=1024).
const DEFAULT_THREADS: usize = 4;
const MAX_THREADS: usize = 1024;

type Job = Box<dyn FnOnce() + Send>;

struct Shared {
    queue: Mutex<VecDeque<Job>>,
    job_ready: Condvar,
    /// Jobs in the queue, readable without the lock by the spinning worker.
    queued: AtomicUsize,
    /// True while one idle worker polls `queued` instead of parking.
    spinning: AtomicBool,
}

/// A fixed set of worker threads running submitted closures in FIFO order.
pub struct WorkerPool {
    shared: Arc<Shared>,
    threads: usize,
}

impl WorkerPool {
    /// Starts `threads` (at least 1) workers named `vn-search-<i>`.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            job_ready: Condvar::new(),
            queued: AtomicUsize::new(0),
            spinning: AtomicBool::new(false),
        });
        for i in 0..threads {
            let shared = shared.clone();
            thread::Builder::new().name(format!("vn-search-{i}")).spawn(move || work_loop(&shared))?;
        }
        Ok(WorkerPool { shared, threads })
    }

    /// How many worker threads run jobs.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Queues `job`; a worker runs it as soon as one is free.
    pub fn submit(&self, job: impl FnOnce() + Send + 'static) {
        let mut queue = self.shared.queue.lock();
        queue.push_back(Box::new(job));
        let waiting = queue.len();
        self.shared.queued.store(waiting, Ordering::SeqCst);
        // A spinning worker takes the first queued job without a wake-up (the expensive part);
        // anything beyond it, or nobody spinning, wakes a parked worker (a no-op when none is
        // parked). A worker that stops spinning re-checks the queue under this lock before it
        // parks, so no job is missed.
        let spinner_covers_it = self.shared.spinning.load(Ordering::SeqCst) && waiting == 1;
        if !spinner_covers_it {
            self.shared.job_ready.notify_one();
        }
    }
}

fn take_job(shared: &Shared, queue: &mut VecDeque<Job>) -> Option<Job> {
    let job = queue.pop_front();
    shared.queued.store(queue.len(), Ordering::SeqCst);
    job
}

fn work_loop(shared: &Shared) {
    loop {
        let job = {
            let mut queue = shared.queue.lock();
            take_job(shared, &mut queue)
        };
        if let Some(job) = job {
            // The binding guards each job; this keeps the worker alive if one slips through.
            let _ = catch_unwind(AssertUnwindSafe(job));
            continue;
        }
        if spin_for_work(shared) {
            continue;
        }
        // Park until a job is queued; the top of the loop takes it (or finds another worker did).
        let mut queue = shared.queue.lock();
        while queue.is_empty() {
            shared.job_ready.wait(&mut queue);
        }
    }
}

/// Becomes the spinning worker if there is none and polls for a job for up to
/// [`SPIN_BEFORE_PARK`]. True when a job was seen (the caller then takes it).
fn spin_for_work(shared: &Shared) -> bool {
    if shared.spinning.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        return false;
    }
    let deadline = Instant::now() + SPIN_BEFORE_PARK;
    let mut seen = false;
    while Instant::now() < deadline {
        if shared.queued.load(Ordering::SeqCst) > 0 {
            seen = true;
            break;
        }
        for _ in 0..64 {
            std::hint::spin_loop();
        }
        // Never hold a core another runnable thread (the JS thread, above all) could use.
        thread::yield_now();
    }
    shared.spinning.store(false, Ordering::SeqCst);
    seen
}

/// Threads for the search pool: `UV_THREADPOOL_SIZE` when it is set (clamped as libuv clamps
/// it), so `--threads N` sizes both pools; otherwise libuv's default of 4, but never more than
/// the cores. Searches are CPU-bound: threads beyond the cores only take turns on them, and take
/// the JS thread's turn too (measured on 2 cores at 64 searches in flight: 4 threads gave
/// event-loop delay p99 5–10 ms and 29–46k searches/s, 2 threads 2.3–4.4 ms and 39–51k/s).
/// `min(4, cores)` queues for a worker exactly when 4 would, i.e. only with more than 4 cores,
/// so the load harness's thread-pool advice holds for both pools.
pub fn configured_threads(uv_threadpool_size: Option<&str>, cores: usize) -> usize {
    match uv_threadpool_size.and_then(|v| v.trim().parse::<usize>().ok()) {
        Some(0) | None => DEFAULT_THREADS.min(cores.max(1)),
        Some(n) => n.min(MAX_THREADS),
    }
}

/// The process-wide search pool, started on first use.
pub fn search_pool() -> Option<&'static WorkerPool> {
    static POOL: OnceLock<Option<WorkerPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        let threads = configured_threads(std::env::var("UV_THREADPOOL_SIZE").ok().as_deref(), cores);
        WorkerPool::new(threads).ok()
    })
    .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn runs_every_job_once_in_submission_order_on_one_thread() {
        let pool = WorkerPool::new(1).unwrap();
        let (tx, rx) = mpsc::channel();
        for i in 0..1000 {
            let tx = tx.clone();
            pool.submit(move || tx.send(i).unwrap());
        }
        let got: Vec<i32> = (0..1000).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn jobs_submitted_after_the_workers_park_still_run() {
        let pool = WorkerPool::new(3).unwrap();
        let (tx, rx) = mpsc::channel();
        for round in 0..20 {
            // Long enough apart that every worker has stopped spinning and parked.
            thread::sleep(SPIN_BEFORE_PARK * 4);
            for j in 0..round % 5 + 1 {
                let tx = tx.clone();
                pool.submit(move || tx.send((round, j)).unwrap());
            }
            for _ in 0..round % 5 + 1 {
                rx.recv_timeout(Duration::from_secs(10)).expect("a job was lost");
            }
        }
    }

    #[test]
    fn jobs_run_in_parallel_on_several_threads() {
        let pool = WorkerPool::new(2).unwrap();
        let (tx, rx) = mpsc::channel();
        let barrier = Arc::new(std::sync::Barrier::new(2));
        for _ in 0..2 {
            let (tx, barrier) = (tx.clone(), barrier.clone());
            // Each job waits for the other: they finish only if two workers run at once.
            pool.submit(move || {
                barrier.wait();
                tx.send(thread::current().name().map(str::to_string)).unwrap();
            });
        }
        let a = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let b = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_panicking_job_does_not_kill_its_worker() {
        let pool = WorkerPool::new(1).unwrap();
        pool.submit(|| panic!("job failed"));
        let (tx, rx) = mpsc::channel();
        pool.submit(move || tx.send(7).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 7);
    }

    #[test]
    fn many_submitters_lose_nothing() {
        let pool = Arc::new(WorkerPool::new(2).unwrap());
        let done = Arc::new(AtomicUsize::new(0));
        let submitters: Vec<_> = (0..4)
            .map(|_| {
                let (pool, done) = (pool.clone(), done.clone());
                thread::spawn(move || {
                    for i in 0..2000 {
                        let done = done.clone();
                        pool.submit(move || {
                            done.fetch_add(1, Ordering::SeqCst);
                        });
                        if i % 100 == 0 {
                            thread::sleep(SPIN_BEFORE_PARK * 2);
                        }
                    }
                })
            })
            .collect();
        for s in submitters {
            s.join().unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while done.load(Ordering::SeqCst) < 8000 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(done.load(Ordering::SeqCst), 8000);
    }

    #[test]
    fn thread_count_follows_uv_threadpool_size_else_four_at_most_the_cores() {
        assert_eq!(configured_threads(None, 2), 2);
        assert_eq!(configured_threads(None, 1), 1);
        assert_eq!(configured_threads(None, 0), 1);
        assert_eq!(configured_threads(None, 16), 4);
        assert_eq!(configured_threads(Some(""), 8), 4);
        assert_eq!(configured_threads(Some("0"), 2), 2);
        assert_eq!(configured_threads(Some("x"), 2), 2);
        assert_eq!(configured_threads(Some("1"), 2), 1);
        assert_eq!(configured_threads(Some(" 8 "), 2), 8);
        assert_eq!(configured_threads(Some("5000"), 2), 1024);
    }
}
