//! A WebSocket that reconnects: when a connection is lost it opens another after a wait that
//! doubles each time (from `first_wait_ms` up to `longest_wait_ms`), asking its [`Link`] for
//! the address each time, so that a new connection can resume where the last one stopped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};

/// What the socket serves: where to connect, and what to do with what happens.
pub trait Link {
    /// The address of the next connection (`None` waits and asks again).
    fn url(&self) -> Option<String>;
    /// Whether the socket should still run; once `false` it closes and stays closed.
    fn wanted(&self) -> bool {
        true
    }
    /// A connection opened.
    fn opened(&self) {}
    /// A text frame came; `true` when it shows the connection works (the wait then starts
    /// again from the first).
    fn received(&self, text: String) -> bool;
    /// The connection was lost; another is tried after the wait.
    fn lost(&self) {}
}

/// When a wait starts again from the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Healthy {
    /// As soon as a connection opens.
    WhenOpen,
    /// When the link says a frame showed it works.
    WhenTold,
}

/// One socket across its connections.
pub struct Socket {
    link: Rc<dyn Link>,
    healthy: Healthy,
    first_wait_ms: u32,
    longest_wait_ms: u32,
    wait_ms: Cell<u32>,
    running: Cell<bool>,
    connection: RefCell<Option<Connection>>,
}

/// An open connection and its handlers; dropping it detaches them and closes it.
struct Connection {
    socket: WebSocket,
    _on_open: Closure<dyn Fn()>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_end: Closure<dyn Fn()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onerror(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

impl Socket {
    /// Opens the first connection at once.
    pub fn start(
        link: Rc<dyn Link>,
        healthy: Healthy,
        first_wait_ms: u32,
        longest_wait_ms: u32,
    ) -> Rc<Socket> {
        let socket = Rc::new(Socket {
            link,
            healthy,
            first_wait_ms,
            longest_wait_ms,
            wait_ms: Cell::new(first_wait_ms),
            running: Cell::new(true),
            connection: RefCell::new(None),
        });
        connect(socket.clone());
        socket
    }

    /// Closes the connection; no other opens.
    pub fn stop(&self) {
        self.running.set(false);
        self.connection.take();
    }

    fn runs(&self) -> bool {
        self.running.get() && self.link.wanted()
    }
}

fn connect(socket: Rc<Socket>) {
    if !socket.runs() {
        socket.connection.take();
        return;
    }
    let Some(connection) = socket.link.url().and_then(|url| WebSocket::new(&url).ok()) else {
        return reopen_later(socket);
    };
    let on_open = {
        let socket = socket.clone();
        Closure::<dyn Fn()>::new(move || {
            if socket.healthy == Healthy::WhenOpen {
                socket.wait_ms.set(socket.first_wait_ms);
            }
            socket.link.opened();
        })
    };
    let on_message = {
        let socket = socket.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
            if !socket.runs() {
                socket.connection.take();
                return;
            }
            if let Some(text) = message.data().as_string()
                && socket.link.received(text)
            {
                socket.wait_ms.set(socket.first_wait_ms);
            }
        })
    };
    // An error ends the connection as a close does; whichever comes first detaches both.
    let on_end = {
        let socket = socket.clone();
        Closure::<dyn Fn()>::new(move || {
            socket.connection.take();
            reopen_later(socket.clone());
        })
    };
    connection.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    connection.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    connection.set_onerror(Some(on_end.as_ref().unchecked_ref()));
    connection.set_onclose(Some(on_end.as_ref().unchecked_ref()));
    socket.connection.replace(Some(Connection {
        socket: connection,
        _on_open: on_open,
        _on_message: on_message,
        _on_end: on_end,
    }));
}

fn reopen_later(socket: Rc<Socket>) {
    if !socket.runs() {
        return;
    }
    socket.link.lost();
    let wait_ms = socket.wait_ms.get();
    socket
        .wait_ms
        .set((wait_ms * 2).min(socket.longest_wait_ms));
    crate::after(wait_ms as i32, move || connect(socket));
}
