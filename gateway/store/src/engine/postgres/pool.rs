//! Threads that call PostgreSQL for callers outside the writer (reads; files' bytes in a pool
//! of their own), each with a connection of its own: the caller waits on a plain channel, so that the synchronous client
//! never runs inside the async runtime.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{StoreError, StoreResult};

type Call = Box<dyn FnOnce(&mut Connection) + Send>;

/// A thread's connection, made again when it breaks.
struct Connection {
    url: String,
    client: postgres::Client,
}

impl Connection {
    /// Runs `call`; when it fails because the connection broke (the database restarted since
    /// the last call), once more on a new connection, so that the caller never sees the break.
    fn run<T>(&mut self, call: impl Fn(&mut postgres::Client) -> StoreResult<T>) -> StoreResult<T> {
        if self.client.is_closed() {
            self.reconnect();
        }
        let first = call(&mut self.client);
        if first.is_err() && self.client.is_closed() && self.reconnect() {
            return call(&mut self.client);
        }
        first
    }

    /// Whether a new connection replaced the broken one.
    fn reconnect(&mut self) -> bool {
        match super::connect(&self.url) {
            Ok(again) => {
                self.client = again;
                true
            }
            Err(_) => false,
        }
    }
}

/// A pool of calling threads.
pub struct Pool {
    calls: mpsc::Sender<Call>,
}

impl Pool {
    /// Starts `count` threads, each connected to `url`.
    pub fn start(url: &str, count: usize) -> StoreResult<Pool> {
        let (calls, queue) = mpsc::channel::<Call>();
        let queue = Arc::new(Mutex::new(queue));
        for number in 0..count {
            let (url, queue) = (url.to_string(), queue.clone());
            let (connected, first) = mpsc::sync_channel(1);
            std::thread::Builder::new()
                .name(format!("store-pool-{number}"))
                .spawn(move || {
                    let mut connection = match super::connect(&url) {
                        Ok(client) => Connection { url, client },
                        Err(error) => {
                            let _ = connected.send(Err(error));
                            return;
                        }
                    };
                    let _ = connected.send(Ok(()));
                    loop {
                        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok(call) = next else { return };
                        call(&mut connection);
                    }
                })
                .map_err(|error| {
                    StoreError::Backend(format!("cannot start a store connection thread: {error}"))
                })?;
            first
                .recv()
                .map_err(|_| StoreError::Backend("a store connection thread stopped".into()))??;
        }
        Ok(Pool { calls })
    }

    /// Runs `call` on one of the threads and answers what it answered (a call may run twice
    /// when the connection broke under it: reads, and writes that are the same done twice).
    pub fn run<T: Send + 'static>(
        &self,
        call: impl Fn(&mut postgres::Client) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = mpsc::sync_channel(1);
        self.calls
            .send(Box::new(move |connection: &mut Connection| {
                let _ = answer.send(connection.run(&call));
            }))
            .map_err(|_| StoreError::Backend("the store's connection threads stopped".into()))?;
        answered
            .recv()
            .map_err(|_| StoreError::Backend("a store connection thread stopped".into()))?
    }
}
