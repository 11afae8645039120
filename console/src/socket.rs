//! The workspace's event socket: every connection resumes after the last event the console
//! applied, so that a dropped connection or a restarted gateway loses nothing and repeats
//! nothing; a lost connection is opened again after a growing wait (0.5 s doubling to 15 s).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::Deserialize;
use switchboard_model::{Event, EventId, Presence};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};
use yew::UseReducerDispatcher;

use crate::state::{Action, Console};

const FIRST_WAIT_MS: u32 = 500;
const LONGEST_WAIT_MS: u32 = 15_000;

/// A presence hint as the socket frames it.
#[derive(Deserialize)]
struct PresenceFrame {
    data: Presence,
}

/// The socket across its connections; it stops once `running` is false.
pub struct EventSocket {
    last_event: Rc<Cell<EventId>>,
    running: Cell<bool>,
    dispatch: UseReducerDispatcher<Console>,
    wait_ms: Cell<u32>,
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

impl EventSocket {
    /// Starts following the events after `last_event`, which it keeps up to date.
    pub fn start(
        last_event: Rc<Cell<EventId>>,
        dispatch: UseReducerDispatcher<Console>,
    ) -> Rc<EventSocket> {
        let socket = Rc::new(EventSocket {
            last_event,
            running: Cell::new(true),
            dispatch,
            wait_ms: Cell::new(FIRST_WAIT_MS),
            connection: RefCell::new(None),
        });
        connect(socket.clone());
        socket
    }

    pub fn stop(&self) {
        self.running.set(false);
        self.connection.take();
    }
}

fn socket_url(after: EventId) -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!(
        "{scheme}://{}/api/v1/events/ws?after={after}",
        location.host().ok()?
    ))
}

fn connect(socket: Rc<EventSocket>) {
    if !socket.running.get() {
        return;
    }
    let Some(connection) =
        socket_url(socket.last_event.get()).and_then(|url| WebSocket::new(&url).ok())
    else {
        return reopen_later(socket);
    };
    let on_open = {
        let socket = socket.clone();
        Closure::<dyn Fn()>::new(move || {
            socket.wait_ms.set(FIRST_WAIT_MS);
            socket.dispatch.dispatch(Action::Online(true));
        })
    };
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

fn receive(socket: &EventSocket, message: &MessageEvent) {
    let Some(text) = message.data().as_string() else {
        return;
    };
    if let Ok(event) = serde_json::from_str::<Event>(&text) {
        // Events come in order, each once; one already applied is not applied again.
        if event.id <= socket.last_event.get() {
            return;
        }
        socket.last_event.set(event.id);
        socket.dispatch.dispatch(Action::Event(Box::new(event)));
    } else if let Ok(frame) = serde_json::from_str::<PresenceFrame>(&text) {
        socket
            .dispatch
            .dispatch(Action::Presence(frame.data, js_sys::Date::now() as i64));
    }
}

fn reopen_later(socket: Rc<EventSocket>) {
    if !socket.running.get() {
        return;
    }
    socket.dispatch.dispatch(Action::Online(false));
    let wait_ms = socket.wait_ms.get();
    socket.wait_ms.set((wait_ms * 2).min(LONGEST_WAIT_MS));
    crate::after(wait_ms as i32, move || connect(socket));
}
