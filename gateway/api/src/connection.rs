//! Every HTTP connection's socket, shared between hyper and the event fan-out.
//!
//! [`serve`] accepts each connection as a [`SharedStream`] and gives every request its
//! [`Peer`]: the client's address and the connection's [`Wire`]. Hyper, and a WebSocket on top
//! of it, read and write through the stream; the fan-out writes ready-made frames straight to
//! the wire from its own task ([`Wire::send_whole`]), so that one event reaches a thousand
//! sockets without waking a thousand tasks. Both go through one lock, and a write is taken
//! whole or not at all, so frames never interleave. What the kernel cannot take at once waits
//! in the wire's queue, which a background flush drains.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use switchboard_services::lock;

/// Bytes a wire queues before it takes no more: hyper and a WebSocket then wait for the
/// kernel, and the fan-out leaves the socket to catch up from the store.
const QUEUE_LIMIT: usize = 256 * 1024;
/// An empty queue keeps at most this much memory.
const KEPT_CAPACITY: usize = 16 * 1024;

/// Serves `app` on `listener` until `shutdown` completes, each request knowing its [`Peer`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(
        SharedListener(listener),
        app.into_make_service_with_connect_info::<Peer>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Accepts connections as [`SharedStream`]s, without Nagle's delay.
pub struct SharedListener(TcpListener);

impl axum::serve::Listener for SharedListener {
    type Io = SharedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SharedStream, SocketAddr) {
        // axum's own accept for a TCP listener retries what can be retried.
        let (socket, address) = axum::serve::Listener::accept(&mut self.0).await;
        let _ = socket.set_nodelay(true);
        (SharedStream(Arc::new(Wire::new(socket))), address)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// Who sent a request, and the connection it came on.
#[derive(Debug, Clone)]
pub struct Peer {
    pub address: SocketAddr,
    pub wire: Arc<Wire>,
}

impl Connected<IncomingStream<'_, SharedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, SharedListener>) -> Self {
        Peer {
            address: *stream.remote_addr(),
            wire: stream.io().0.clone(),
        }
    }
}

/// One connection's socket and the bytes that wait to be written to it.
pub struct Wire {
    socket: TcpStream,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    bytes: VecDeque<u8>,
    /// A background flush is draining `bytes`.
    flushing: bool,
}

/// The queue holds what a client is sent: only its size is shown.
impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("peer", &self.socket.peer_addr().ok())
            .field("queued_bytes", &self.lock().bytes.len())
            .finish()
    }
}

impl Wire {
    pub(crate) fn new(socket: TcpStream) -> Wire {
        Wire {
            socket,
            queue: Mutex::default(),
        }
    }

    /// Takes all of `bytes` without waiting, unless the queue is full (`Ok(false)`: nothing
    /// was taken). What the kernel cannot take now is queued and flushed in the background.
    pub fn send_whole(self: &Arc<Self>, bytes: &[u8]) -> io::Result<bool> {
        let mut queue = self.lock();
        self.drain(&mut queue)?;
        if queue.bytes.len() >= QUEUE_LIMIT {
            return Ok(false);
        }
        self.take(&mut queue, bytes)?;
        Ok(true)
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        lock(&self.queue)
    }

    /// Writes queued bytes until the kernel takes no more. An emptied queue hands a burst's
    /// memory back.
    fn drain(&self, queue: &mut Queue) -> io::Result<()> {
        while !queue.bytes.is_empty() {
            match self.socket.try_write(queue.bytes.as_slices().0) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => drop(queue.bytes.drain(..written)),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => return Err(error),
            }
        }
        if queue.bytes.capacity() > KEPT_CAPACITY {
            queue.bytes = VecDeque::new();
        }
        Ok(())
    }

    /// Writes `bytes` behind whatever is queued: what the kernel takes now, and the rest
    /// into the queue, which a background flush then drains.
    fn take(self: &Arc<Self>, queue: &mut Queue, bytes: &[u8]) -> io::Result<()> {
        let written = if queue.bytes.is_empty() {
            match self.socket.try_write(bytes) {
                Ok(written) => written,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => 0,
                Err(error) => return Err(error),
            }
        } else {
            0
        };
        queue.bytes.extend(&bytes[written..]);
        if !queue.bytes.is_empty() && !queue.flushing {
            queue.flushing = true;
            tokio::spawn(flush(self.clone()));
        }
        Ok(())
    }

    /// Ready once the queue is empty.
    fn poll_drained(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut queue = self.lock();
            self.drain(&mut queue)?;
            if queue.bytes.is_empty() {
                return Poll::Ready(Ok(()));
            }
            drop(queue);
            ready!(self.socket.poll_write_ready(cx))?;
        }
    }
}

/// Drains a wire's queue as the kernel makes room. A connection that broke loses its queue;
/// its owner learns of the break from its own next read or write.
async fn flush(wire: Arc<Wire>) {
    loop {
        {
            let mut queue = wire.lock();
            let broken = wire.drain(&mut queue).is_err();
            if broken || queue.bytes.is_empty() {
                queue.bytes = VecDeque::new();
                queue.flushing = false;
                return;
            }
        }
        // This fails only as the runtime shuts down; the next write then fails too.
        let _ = wire.socket.writable().await;
    }
}

/// A connection as hyper sees it: reads from the socket, writes through the [`Wire`].
pub struct SharedStream(Arc<Wire>);

impl AsyncRead for SharedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let socket = &self.0.socket;
        loop {
            ready!(socket.poll_read_ready(cx))?;
            match socket.try_read(buf.initialize_unfilled()) {
                Ok(read) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for SharedStream {
    /// Takes all of `buf` or, while the queue is full, nothing.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            if self.0.send_whole(buf)? {
                return Poll::Ready(Ok(buf.len()));
            }
            ready!(self.0.socket.poll_write_ready(cx))?;
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_drained(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.0.poll_drained(cx))?;
        Poll::Ready(socket2::SockRef::from(&self.0.socket).shutdown(std::net::Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpSocket;
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

    use super::*;

    /// A client socket that takes only a few KiB at a time, connected to `address`.
    async fn slow_client(address: SocketAddr) -> TcpStream {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("a small buffer");
        socket.connect(address).await.expect("connect")
    }

    #[tokio::test]
    async fn a_large_response_reaches_a_slow_client_whole() {
        let body: Vec<u8> = (0..4 * 1024 * 1024).map(|n: u32| (n % 251) as u8).collect();
        let served = body.clone();
        let app = Router::new().route("/big", axum::routing::get(move || async move { served }));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(serve(listener, app, std::future::pending()));

        let mut client = slow_client(address).await;
        tokio::io::AsyncWriteExt::write_all(
            &mut client,
            b"GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await
        .expect("request");
        let mut response = Vec::new();
        let mut chunk = vec![0; 1024];
        loop {
            // Slower than the gateway writes, so that its queue fills and waits.
            tokio::time::sleep(Duration::from_micros(50)).await;
            match client.read(&mut chunk).await.expect("read") {
                0 => break,
                read => response.extend_from_slice(&chunk[..read]),
            }
        }
        let split = response
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .expect("headers")
            + 4;
        assert!(response.starts_with(b"HTTP/1.1 200"));
        assert!(
            response[split..] == body[..],
            "the body came whole and in order"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn frames_from_the_socket_task_and_the_fan_out_never_interleave() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let (client, accepted) = tokio::join!(
            slow_client(listener.local_addr().expect("address")),
            listener.accept()
        );
        // Small kernel buffers on both ends, so that writers find the socket full mid-frame.
        let accepted = accepted.expect("accept").0;
        socket2::SockRef::from(&accepted)
            .set_send_buffer_size(4096)
            .expect("a small buffer");
        let wire = Arc::new(Wire::new(accepted));
        let config = WebSocketConfig::default().write_buffer_size(0);
        let mut task_side = WebSocketStream::from_raw_socket(
            SharedStream(wire.clone()),
            Role::Server,
            Some(config),
        )
        .await;
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;

        const EACH: usize = 300;
        // The fan-out writes from a thread of its own, a frame every 100 µs, while the task
        // writes its frames back to back.
        let runtime = tokio::runtime::Handle::current();
        let fan_out = std::thread::spawn(move || {
            let _inside = runtime.enter();
            for n in 0..EACH {
                let frame = crate::fanout::text_frame(&format!("fan-out {n} {}", "f".repeat(3000)));
                while !wire.send_whole(&frame).expect("open") {
                    std::thread::sleep(Duration::from_micros(100));
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        });
        let task = tokio::spawn(async move {
            for n in 0..EACH {
                let text = format!("task {n} {}", "t".repeat(2000));
                task_side
                    .send(Message::Text(text.into()))
                    .await
                    .expect("send");
            }
            task_side
        });

        let (mut from_task, mut from_fan_out) = (0, 0);
        while from_task + from_fan_out < 2 * EACH {
            let frame = tokio::time::timeout(Duration::from_secs(10), client.next())
                .await
                .expect("frames keep coming")
                .expect("open")
                .expect("a whole frame");
            let Message::Text(text) = frame else {
                panic!("not a text frame");
            };
            let (source, rest) = text.split_once(' ').expect("a source");
            let (n, padding) = rest.split_once(' ').expect("a number");
            let n: usize = n.parse().expect("a number");
            match source {
                "task" => {
                    assert_eq!((n, padding.len()), (from_task, 2000));
                    from_task += 1;
                }
                "fan-out" => {
                    assert_eq!((n, padding.len()), (from_fan_out, 3000));
                    from_fan_out += 1;
                }
                other => panic!("a frame from nowhere: {other}"),
            }
        }
        fan_out.join().expect("fan-out");
        drop(task.await.expect("task"));
    }
}
