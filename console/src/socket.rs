//! The workspace's event socket: every connection resumes after the last event the console
//! applied, so that a dropped connection or a restarted gateway loses nothing and repeats
//! nothing; a lost connection is opened again after a growing wait (0.5 s doubling to 15 s).

use std::cell::Cell;
use std::rc::Rc;

use serde::Deserialize;
use switchboard_front::socket::{Healthy, Link, Socket};
use switchboard_model::{Event, EventId, Presence};
use yew::UseReducerDispatcher;

use crate::state::{Action, Console};

const FIRST_WAIT_MS: u32 = 500;
const LONGEST_WAIT_MS: u32 = 15_000;

/// A presence hint as the socket frames it.
#[derive(Deserialize)]
struct PresenceFrame {
    data: Presence,
}

/// What the console's socket serves.
struct ConsoleLink {
    last_event: Rc<Cell<EventId>>,
    dispatch: UseReducerDispatcher<Console>,
}

impl Link for ConsoleLink {
    fn url(&self) -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!(
            "{scheme}://{}/api/v1/events/ws?after={}",
            location.host().ok()?,
            self.last_event.get()
        ))
    }

    fn opened(&self) {
        self.dispatch.dispatch(Action::Online(true));
    }

    fn received(&self, text: String) -> bool {
        if let Ok(event) = serde_json::from_str::<Event>(&text) {
            // Events come in order, each once; one already applied is not applied again.
            if event.id > self.last_event.get() {
                self.last_event.set(event.id);
                self.dispatch.dispatch(Action::Event(Box::new(event)));
            }
        } else if let Ok(frame) = serde_json::from_str::<PresenceFrame>(&text) {
            self.dispatch
                .dispatch(Action::Presence(frame.data, js_sys::Date::now() as i64));
        }
        true
    }

    fn lost(&self) {
        self.dispatch.dispatch(Action::Online(false));
    }
}

/// Follows the events after `last_event`, which it keeps up to date, until stopped.
pub fn follow(
    last_event: Rc<Cell<EventId>>,
    dispatch: UseReducerDispatcher<Console>,
) -> Rc<Socket> {
    Socket::start(
        Rc::new(ConsoleLink {
            last_event,
            dispatch,
        }),
        Healthy::WhenOpen,
        FIRST_WAIT_MS,
        LONGEST_WAIT_MS,
    )
}
