//! SQLite under a server: one writer thread owns the write connection, so
//! writes never block the async executor; a few read-only connections serve
//! reads, so a long report never delays a sign-off. The writer commits the
//! commands that queued while it was busy together, each in its own
//! savepoint of one IMMEDIATE transaction (so each stays all or nothing),
//! with one commit and one sync of the log for all of them: a commit, not
//! the work, is most of a write's time. A reply is sent only after the
//! transaction that holds its command has committed.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, mpsc};

use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::store::{IfMissing, Store};

/// A write: run on the writer, it answers with its delivery.
type Job = Box<dyn FnOnce(&mut Store) -> Delivery + Send>;
/// Sends a write's reply, once the transaction that holds it has committed,
/// or with the error that kept it from committing.
type Delivery = Box<dyn FnOnce(Option<&Error>) + Send>;

/// The most commands one transaction commits together.
const GROUP: usize = 64;

/// A read, run on one of the reader threads.
type Read = Box<dyn FnOnce(&mut Store) + Send>;

/// The server's connections to its database.
#[derive(Clone)]
pub struct Db {
    writer: mpsc::Sender<Job>,
    readers: Arc<Readers>,
}

/// The reads waiting for the reader threads, each of which owns one
/// read-only connection. A reader that finishes a read takes the next one
/// queued without sleeping; a sleeping reader is woken only when the queue
/// holds more reads than the awake, unoccupied readers are about to take. So
/// a long report never holds up a short read while a reader sleeps, and
/// under load a read costs no thread a wake-up.
struct Queue {
    state: Mutex<Waiting>,
    ready: Condvar,
}

struct Waiting {
    reads: VecDeque<Read>,
    readers: usize,
    /// Readers asleep on `ready`.
    asleep: usize,
    /// Readers running a read.
    running: usize,
    /// Set when the last handle to the pool went: the readers finish what
    /// is queued, then stop.
    closed: bool,
}

/// The handle every clone of [`Db`] shares; dropping the last closes the queue.
struct Readers(Arc<Queue>);

impl Drop for Readers {
    fn drop(&mut self) {
        if let Ok(mut waiting) = self.0.state.lock() {
            waiting.closed = true;
        }
        self.0.ready.notify_all();
    }
}

impl Queue {
    fn new(readers: usize) -> Queue {
        Queue {
            state: Mutex::new(Waiting {
                reads: VecDeque::new(),
                readers,
                asleep: 0,
                running: 0,
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }

    fn push(&self, read: Read) -> Result<()> {
        let mut waiting = self.state.lock().map_err(|_| gone())?;
        waiting.reads.push_back(read);
        let unoccupied = waiting.readers.saturating_sub(waiting.asleep + waiting.running);
        if waiting.asleep > 0 && waiting.reads.len() > unoccupied {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// A reader thread: runs reads until the queue closes.
    fn serve(&self, mut store: Store) {
        let mut ran = false;
        loop {
            let read = {
                let Ok(mut waiting) = self.state.lock() else { return };
                if ran {
                    waiting.running -= 1;
                }
                loop {
                    if let Some(read) = waiting.reads.pop_front() {
                        waiting.running += 1;
                        break read;
                    }
                    if waiting.closed {
                        return;
                    }
                    waiting.asleep += 1;
                    waiting = match self.ready.wait(waiting) {
                        Ok(w) => w,
                        Err(_) => return,
                    };
                    waiting.asleep -= 1;
                }
            };
            // A bug in one read must not stop this reader; its caller
            // learns that the read stopped.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&mut store)));
            ran = true;
        }
    }
}

fn gone() -> Error {
    Error::storage("the server's database connection has stopped; restart the server")
}

impl Db {
    /// Opens the writer (which migrates the database) and `readers` read
    /// connections. A missing database is refused: the first person is
    /// added with the command line.
    pub fn open(path: &Path, readers: usize) -> Result<Db> {
        if !crate::store::database_at(path) {
            return Err(Error::storage(format!(
                "there is no raci database at {}; create it with the first `raci person add` before serving it",
                path.display()
            )));
        }
        let mut store = Store::open(path, IfMissing::Refuse)?;
        if store.is_read_only() {
            return Err(Error::storage(format!(
                "{} is read-only for this user; the server needs to write it",
                path.display()
            )));
        }
        let (journal_mode, synchronous) = store.durability()?;
        tracing::info!(target: "raci::server", journal_mode, synchronous, "database opened");
        let stores =
            (0..readers.max(1)).map(|_| Store::open_reader(path)).collect::<Result<Vec<_>>>()?;
        // Made first, so that a failure below closes the queue and stops
        // the readers already started.
        let readers = Readers(Arc::new(Queue::new(stores.len())));
        for (n, reader) in stores.into_iter().enumerate() {
            let queue = Arc::clone(&readers.0);
            std::thread::Builder::new()
                .name(format!("raci-reader-{n}"))
                .spawn(move || queue.serve(reader))
                .map_err(|e| Error::storage(format!("cannot start a reader thread: {e}")))?;
        }
        let (writer, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("raci-writer".into())
            .spawn(move || write_all(&mut store, &jobs))
            .map_err(|e| Error::storage(format!("cannot start the writer thread: {e}")))?;
        Ok(Db { writer, readers: Arc::new(readers) })
    }

    /// Runs `f` on the writer, in order with every other write; resolves
    /// once `f` returned (for a use case: once its transaction committed).
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (job, rx) = job(f);
        self.writer.send(job).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Runs `f` on one of the read connections, off the async executor.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.readers.0.push(Box::new(move |store| {
            let _ = tx.send(f(store));
        }))?;
        rx.await.map_err(|_| Error::storage("a read stopped"))?
    }

    /// Runs CPU-heavy work (password hashing) off the async executor.
    pub async fn blocking<T: Send + 'static>(
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::storage(format!("a task stopped: {e}")))?
    }
}

/// A write as the writer runs it, and where its reply will come.
fn job<T: Send + 'static>(
    f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
) -> (Job, oneshot::Receiver<Result<T>>) {
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::new(move |store| {
        // A request that gave up while its write was queued (it timed out,
        // or its client left) was answered with a refusal, or not at all:
        // its write is not made behind that answer.
        if tx.is_closed() {
            return Box::new(|_: Option<&Error>| {});
        }
        let out = f(store);
        Box::new(move |failed: Option<&Error>| {
            let out = match (out, failed) {
                (Ok(_), Some(e)) => Err(Error::new(e.kind, &e.message)),
                (out, _) => out,
            };
            let _ = tx.send(out);
        })
    });
    (job, rx)
}

/// The writer: takes the next command and, with it, every command queued
/// meanwhile (up to [`GROUP`]), and commits them in one transaction. A
/// command alone runs in its own transaction, as on the command line.
fn write_all(store: &mut Store, jobs: &mpsc::Receiver<Job>) {
    let mut queue = VecDeque::new();
    loop {
        if queue.is_empty() {
            match jobs.recv() {
                Ok(job) => queue.push_back(job),
                Err(_) => return,
            }
        }
        while queue.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => queue.push_back(job),
                Err(_) => break,
            }
        }
        // A command alone, or every queued one when the group cannot begin
        // (the database is locked past the busy timeout, say), runs in its
        // own transaction and meets any cause on its own.
        if queue.len() == 1 || store.begin_group().is_err() {
            while let Some(job) = queue.pop_front() {
                if let Some(deliver) = run(job, store) {
                    deliver(None);
                }
            }
            continue;
        }
        let mut ran = Vec::with_capacity(queue.len());
        while let Some(job) = queue.pop_front() {
            ran.push(run(job, store));
            // SQLite rolled back the whole transaction: the group ends here,
            // failing what ran; the rest go into the next group.
            if !store.group_intact() {
                break;
            }
        }
        let failed = store.end_group().err();
        for deliver in ran.into_iter().flatten() {
            deliver(failed.as_ref());
        }
    }
}

/// Runs one command. A bug in one must not stop every later write: its
/// transaction or savepoint was rolled back when it unwound, and its
/// caller learns that the writer dropped its reply.
fn run(job: Job, store: &mut Store) -> Option<Delivery> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(store))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Context;
    use crate::app::admin::{NewPerson, add_person};
    use crate::domain::{Party, Role};
    use crate::error::Kind;

    fn person(handle: &str) -> NewPerson {
        NewPerson {
            handle: handle.parse().expect("handle"),
            party: Party::Vendor,
            role: Role::SupportEngineer,
            name: None,
            email: None,
            subscriber: None,
            login: None,
            admin: false,
        }
    }

    fn ctx(acting: Option<&str>) -> Context {
        Context {
            now: chrono::Utc::now(),
            acting: acting.map(|a| a.parse().expect("handle")),
            ..Context::default()
        }
    }

    /// Commands queued while the writer was busy share one transaction,
    /// each in its own savepoint: what succeeded is recorded, a refused
    /// command records nothing, a command that panicked loses only its own
    /// reply, and every caller gets its own answer.
    #[test]
    fn queued_writes_commit_together_and_each_stays_all_or_nothing() {
        let mut store = Store::open_in_memory().expect("store");
        add_person(&mut store, &ctx(None), &{
            let mut p = person("root");
            p.role = Role::CustomerSuccessEngineer;
            p
        })
        .expect("the first person");
        let (jobs_tx, jobs_rx) = mpsc::channel();
        let mut replies = Vec::new();
        for handle in ["p1", "p2", "p1", "p3"] {
            let (job, rx) = job(move |store: &mut Store| {
                let grouped = store.group_intact();
                add_person(store, &ctx(Some("root")), &person(handle)).map(|e| (grouped, e.len()))
            });
            jobs_tx.send(job).expect("queued");
            replies.push(rx);
        }
        let (panics, panicked) = job(|_: &mut Store| -> Result<()> { panic!("a bug") });
        jobs_tx.send(panics).expect("queued");
        let (last, after) =
            job(|store: &mut Store| add_person(store, &ctx(Some("root")), &person("p4")));
        jobs_tx.send(last).expect("queued");
        drop(jobs_tx);
        write_all(&mut store, &jobs_rx);

        let answers: Vec<_> =
            replies.into_iter().map(|mut rx| rx.try_recv().expect("answered")).collect();
        assert_eq!(answers[0].as_ref().expect("p1 added"), &(true, 1));
        assert_eq!(answers[1].as_ref().expect("p2 added"), &(true, 1));
        assert_eq!(answers[2].as_ref().expect_err("p1 again").kind, Kind::Conflict);
        assert_eq!(answers[3].as_ref().expect("p3 added"), &(true, 1));
        let mut panicked = panicked;
        assert!(panicked.try_recv().is_err(), "the panicked command has no reply");
        let mut after = after;
        assert!(after.try_recv().expect("answered").is_ok(), "p4 added after the panic");
        let people: Vec<String> = store
            .read(|tx| tx.persons())
            .expect("persons")
            .into_iter()
            .map(|p| p.handle.to_string())
            .collect();
        assert_eq!(people, ["p1", "p2", "p3", "p4", "root"]);
        assert!(!store.group_intact(), "the group ended");
    }

    /// A read waits for no other read while a reader is free: a report
    /// holding one reader does not hold up a status on another.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_long_read_does_not_hold_up_a_short_one() {
        let dir = std::env::temp_dir().join(format!("raci-db-reads-{}", std::process::id()));
        let path = dir.join("raci.db");
        let mut store = Store::open(&path, IfMissing::Create).expect("store");
        add_person(&mut store, &ctx(None), &{
            let mut p = person("root");
            p.role = Role::CustomerSuccessEngineer;
            p
        })
        .expect("the first person");
        drop(store);
        let db = Db::open(&path, 2).expect("db");
        let (hold, held) = mpsc::channel::<()>();
        let long = tokio::spawn({
            let db = db.clone();
            async move {
                db.read(move |_| {
                    let _ = held.recv();
                    Ok("long")
                })
                .await
            }
        });
        // Only a guard against a hang: the short read must finish while the
        // long one is still held.
        let short = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            db.read(|store| store.read(|tx| tx.persons()).map(|p| p.len())),
        )
        .await
        .expect("the short read finished while the long one was held");
        assert_eq!(short.expect("read"), 1);
        hold.send(()).expect("release");
        assert_eq!(long.await.expect("joined").expect("read"), "long");
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A command alone runs in its own transaction, as on the command line.
    #[test]
    fn a_write_alone_is_its_own_transaction() {
        let mut store = Store::open_in_memory().expect("store");
        let (jobs_tx, jobs_rx) = mpsc::channel();
        let (job, mut rx) = job(|store: &mut Store| {
            let grouped = store.group_intact();
            add_person(store, &ctx(None), &{
                let mut p = person("root");
                p.role = Role::CustomerSuccessEngineer;
                p
            })
            .map(|_| grouped)
        });
        jobs_tx.send(job).expect("queued");
        drop(jobs_tx);
        write_all(&mut store, &jobs_rx);
        assert!(!rx.try_recv().expect("answered").expect("added"), "not in a group");
    }
}
