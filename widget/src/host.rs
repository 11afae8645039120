//! The conversation with the loader on the host page, over `postMessage`: the loader asks the
//! chat to open or close, passes a logged-in user and a language; the chat tells it when it is
//! ready, how many messages are unread, and when the visitor closed it. Messages are objects
//! `{sb: 1, type, ...}`, only ever exchanged with the host page's origin.

use js_sys::JSON;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::js;

/// What the loader asks for.
#[derive(Debug, Clone)]
pub enum FromLoader {
    Open,
    Close,
    /// A site's logged-in user, passed on to the gateway as it is.
    Identify {
        user: JsValue,
    },
    Locale {
        locale: String,
    },
}

impl FromLoader {
    /// Reads a message from the host page, copied through JSON so that only plain data is
    /// kept; anything but `{sb: 1, type, ...}` with a known type is not for us.
    fn read(data: &JsValue) -> Option<FromLoader> {
        let data = JSON::parse(&JSON::stringify(data).ok()?.as_string()?).ok()?;
        if js::number(&data, "sb") != Some(1.0) {
            return None;
        }
        match js::string(&data, "type")?.as_str() {
            "open" => Some(FromLoader::Open),
            "close" => Some(FromLoader::Close),
            "identify" => {
                let user = js::get(&data, "user");
                (!user.is_undefined()).then_some(FromLoader::Identify { user })
            }
            "locale" => Some(FromLoader::Locale {
                locale: js::string(&data, "locale")?,
            }),
            _ => None,
        }
    }
}

/// What the frame was given in its URL: `?w=ID#locale=xx&origin=https%3A%2F%2Fshop` (the
/// widget id is in the query so that the gateway can set the page's `frame-ancestors`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Launch {
    pub widget: String,
    pub locale: Option<String>,
    /// The host page's origin, the only one messages are exchanged with.
    pub origin: Option<String>,
}

impl Launch {
    pub fn from_location() -> Launch {
        let location = web_sys::window().map(|window| window.location());
        let part = |read: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
            location
                .as_ref()
                .and_then(|location| read(location).ok())
                .unwrap_or_default()
        };
        let (query, hash) = (
            part(web_sys::Location::search),
            part(web_sys::Location::hash),
        );
        let mut launch = Launch::default();
        for pair in query
            .trim_start_matches('?')
            .split('&')
            .chain(hash.trim_start_matches('#').split('&'))
        {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let value = js_sys::decode_uri_component(value)
                .map(String::from)
                .unwrap_or_default();
            match name {
                "w" => launch.widget = value,
                "locale" if !value.is_empty() => launch.locale = Some(value),
                "origin" if !value.is_empty() => launch.origin = Some(value),
                _ => {}
            }
        }
        launch
    }
}

/// Posts `{sb: 1, type, ...fields}` to the host page.
pub fn tell(origin: Option<&str>, kind: &str, fields: &[(&str, JsValue)]) {
    let (Some(window), Some(origin)) = (web_sys::window(), origin) else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    let message = js::object(&[("sb", 1.into()), ("type", kind.into())]);
    for (key, value) in fields {
        js::set(&message, key, value);
    }
    let _ = parent.post_message(&message, origin);
}

/// Calls `handle` for each message from the host page's origin; the listener lives as long as
/// the returned value.
pub fn listen(
    origin: Option<String>,
    handle: impl Fn(FromLoader) + 'static,
) -> Option<Closure<dyn Fn(web_sys::MessageEvent)>> {
    let window = web_sys::window()?;
    let origin = origin?;
    let listener =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.origin() != origin {
                return;
            }
            if let Some(message) = FromLoader::read(&event.data()) {
                handle(message);
            }
        });
    window
        .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
        .ok()?;
    Some(listener)
}
