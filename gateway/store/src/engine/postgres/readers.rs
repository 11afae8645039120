//! Threads that read from PostgreSQL for callers outside the writer, each with a connection of
//! its own: the caller waits on a plain channel, so that the synchronous client never runs
//! inside the async runtime.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{StoreError, StoreResult};

type Read = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// A pool of reading threads.
pub struct Readers {
    reads: mpsc::Sender<Read>,
}

impl Readers {
    /// Starts `count` threads, each connected to `url`.
    pub fn start(url: &str, count: usize) -> StoreResult<Readers> {
        let (reads, queue) = mpsc::channel::<Read>();
        let queue = Arc::new(Mutex::new(queue));
        for number in 0..count {
            let (url, queue) = (url.to_string(), queue.clone());
            let (connected, first) = mpsc::sync_channel(1);
            std::thread::Builder::new()
                .name(format!("store-reader-{number}"))
                .spawn(move || {
                    let mut client = match super::connect(&url) {
                        Ok(client) => client,
                        Err(error) => {
                            let _ = connected.send(Err(error));
                            return;
                        }
                    };
                    let _ = connected.send(Ok(()));
                    loop {
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok(read) = next else { return };
                        if client.is_closed()
                            && let Ok(again) = super::connect(&url)
                        {
                            client = again;
                        }
                        read(&mut client);
                    }
                })
                .map_err(|error| {
                    StoreError::Backend(format!("cannot start a store reader: {error}"))
                })?;
            first
                .recv()
                .map_err(|_| StoreError::Backend("a store reader stopped".into()))??;
        }
        Ok(Readers { reads })
    }

    /// Runs `read` on one of the threads and answers what it answered.
    pub fn run<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut postgres::Client) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = mpsc::sync_channel(1);
        self.reads
            .send(Box::new(move |client| {
                let _ = answer.send(read(client));
            }))
            .map_err(|_| StoreError::Backend("the store's readers stopped".into()))?;
        answered
            .recv()
            .map_err(|_| StoreError::Backend("a store reader stopped".into()))?
    }
}
