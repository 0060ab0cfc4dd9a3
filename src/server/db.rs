//! SQLite under a server: one writer thread owns the write connection, so
//! writes never block the async executor and each stays one IMMEDIATE
//! transaction; a few read-only connections serve reads, so a long report
//! never delays a sign-off. A reply is sent only after its transaction has
//! committed.

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::{Semaphore, oneshot};

use crate::error::{Error, Result};
use crate::store::{IfMissing, Store};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// The server's connections to its database.
#[derive(Clone)]
pub struct Db {
    writer: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Store>>>,
    permits: Arc<Semaphore>,
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
        let mut pool = Vec::with_capacity(readers);
        for _ in 0..readers.max(1) {
            pool.push(Store::open_reader(path)?);
        }
        let (writer, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("raci-writer".into())
            .spawn(move || {
                for job in jobs {
                    // A bug in one command must not stop every later write;
                    // its transaction was rolled back when it unwound.
                    let run = std::panic::AssertUnwindSafe(|| job(&mut store));
                    let _ = std::panic::catch_unwind(run);
                }
            })
            .map_err(|e| Error::storage(format!("cannot start the writer thread: {e}")))?;
        let permits = Arc::new(Semaphore::new(pool.len()));
        Ok(Db { writer, readers: Arc::new(Mutex::new(pool)), permits })
    }

    /// Runs `f` on the writer, in order with every other write; resolves
    /// once `f` returned (for a use case: once its transaction committed).
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |store| {
            // A request that gave up while its write was queued (it timed
            // out, or its client left) was answered with a refusal, or not
            // at all: its write is not made behind that answer.
            if tx.is_closed() {
                return;
            }
            let _ = tx.send(f(store));
        });
        self.writer.send(job).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Runs `f` on one of the read connections, off the async executor.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(|_| gone())?;
        let readers = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || {
            let mut store = readers.lock().map_err(|_| gone())?.pop().ok_or_else(gone)?;
            // A bug in one read must not lose its connection to the pool.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut store)));
            readers.lock().map_err(|_| gone())?.push(store);
            out.unwrap_or_else(|_| {
                Err(Error::storage("a read failed inside raci; see the server's log"))
            })
        })
        .await
        .map_err(|e| Error::storage(format!("a read stopped: {e}")))?
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
