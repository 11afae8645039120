//! The visitor's event socket: each connection resumes after the last event seen, so that a
//! dropped one misses nothing; a lost connection is reopened after a growing wait (0.5 s,
//! doubling to 30 s), until a new identity starts a socket of its own.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::JSON;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};
use yew::UseReducerDispatcher;

use crate::api::{Api, VisitorEvent};
use crate::js::FromJs;
use crate::{Action, Model};

/// The wait before reopening a lost connection the first time.
const FIRST_WAIT_MS: u32 = 500;
/// The longest wait, however often the connection was lost.
const LONGEST_WAIT_MS: u32 = 30_000;

/// One socket, across its connections.
struct EventSocket {
    api: Api,
    token: String,
    last_event: Rc<Cell<u64>>,
    /// The identity counter; the socket stops once it is no longer `mine`.
    generation: Rc<Cell<u32>>,
    mine: u32,
    dispatch: UseReducerDispatcher<Model>,
    wait_ms: Cell<u32>,
    /// Whether the open connection has sent anything yet.
    greeted: Cell<bool>,
    connection: RefCell<Option<Connection>>,
}

/// An open connection and the handlers it calls; dropping it detaches them and closes it.
struct Connection {
    socket: WebSocket,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_end: Closure<dyn Fn()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.socket.set_onmessage(None);
        self.socket.set_onerror(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

/// Keeps the event socket open for the visitor `token`, telling the chat when it connects or
/// drops and what each event is.
pub fn run(
    api: Api,
    token: String,
    last_event: Rc<Cell<u64>>,
    generation: Rc<Cell<u32>>,
    dispatch: UseReducerDispatcher<Model>,
) {
    let mine = generation.get();
    connect(Rc::new(EventSocket {
        api,
        token,
        last_event,
        generation,
        mine,
        dispatch,
        wait_ms: Cell::new(FIRST_WAIT_MS),
        greeted: Cell::new(false),
        connection: RefCell::new(None),
    }));
}

/// Opens a connection, unless a new identity took over.
fn connect(socket: Rc<EventSocket>) {
    if socket.generation.get() != socket.mine {
        return;
    }
    let Ok(connection) = WebSocket::new(
        &socket
            .api
            .socket_url(&socket.token, socket.last_event.get()),
    ) else {
        return reopen_later(socket);
    };
    socket.greeted.set(false);
    let on_message = {
        let socket = socket.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
            receive(&socket, &message)
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
    connection.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    connection.set_onerror(Some(on_end.as_ref().unchecked_ref()));
    connection.set_onclose(Some(on_end.as_ref().unchecked_ref()));
    socket.connection.replace(Some(Connection {
        socket: connection,
        _on_message: on_message,
        _on_end: on_end,
    }));
}

fn receive(socket: &EventSocket, message: &MessageEvent) {
    if socket.generation.get() != socket.mine {
        socket.connection.take();
        return;
    }
    if !socket.greeted.replace(true) {
        socket.wait_ms.set(FIRST_WAIT_MS);
        socket.dispatch.dispatch(Action::Connected(true));
    }
    let Some(text) = message.data().as_string() else {
        return;
    };
    let Some(event) = JSON::parse(&text)
        .ok()
        .and_then(|value| VisitorEvent::from_js(&value))
    else {
        return;
    };
    if let VisitorEvent::Message { id, .. } = &event {
        socket.last_event.set(socket.last_event.get().max(*id));
    }
    socket.dispatch.dispatch(Action::Event(event));
}

/// Tells the chat the socket is down, and tries again after the wait, which then doubles.
fn reopen_later(socket: Rc<EventSocket>) {
    socket.dispatch.dispatch(Action::Connected(false));
    let wait_ms = socket.wait_ms.get();
    let retry = Closure::once_into_js(move || {
        socket.wait_ms.set((wait_ms * 2).min(LONGEST_WAIT_MS));
        connect(socket);
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            retry.unchecked_ref(),
            wait_ms as i32,
        );
    }
}
