//! The visitor's event socket: each connection resumes after the last event seen, so that a
//! dropped one misses nothing; a lost connection is reopened after a growing wait (0.5 s,
//! doubling to 30 s), until a new identity starts a socket of its own.

use std::cell::Cell;
use std::rc::Rc;

use switchboard_front::socket::{Healthy, Link, Socket};
use yew::UseReducerDispatcher;

use switchboard_model::VisitorEvent;

use crate::api::Api;
use crate::{Action, Model};

/// The wait before reopening a lost connection the first time.
const FIRST_WAIT_MS: u32 = 500;
/// The longest wait, however often the connection was lost.
const LONGEST_WAIT_MS: u32 = 30_000;

/// What the visitor's socket serves.
struct VisitorLink {
    api: Api,
    token: String,
    last_event: Rc<Cell<u64>>,
    /// The identity counter; the socket stops once it is no longer `mine`.
    generation: Rc<Cell<u32>>,
    mine: u32,
    dispatch: UseReducerDispatcher<Model>,
    /// Whether the open connection has sent anything yet: only then is the chat connected.
    greeted: Cell<bool>,
}

impl Link for VisitorLink {
    fn url(&self) -> Option<String> {
        Some(self.api.socket_url(&self.token, self.last_event.get()))
    }

    fn wanted(&self) -> bool {
        self.generation.get() == self.mine
    }

    fn opened(&self) {
        self.greeted.set(false);
    }

    fn received(&self, text: String) -> bool {
        let first = !self.greeted.replace(true);
        if first {
            self.dispatch.dispatch(Action::Connected(true));
        }
        if let Some(event) = crate::api::parsed::<VisitorEvent>(&text) {
            if let VisitorEvent::Message { id, .. } = &event {
                self.last_event.set(self.last_event.get().max(*id));
            }
            self.dispatch.dispatch(Action::Event(event));
        }
        first
    }

    fn lost(&self) {
        self.dispatch.dispatch(Action::Connected(false));
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
    let link = VisitorLink {
        api,
        token,
        last_event,
        generation,
        mine,
        dispatch,
        greeted: Cell::new(false),
    };
    Socket::start(
        Rc::new(link),
        Healthy::WhenTold,
        FIRST_WAIT_MS,
        LONGEST_WAIT_MS,
    );
}
