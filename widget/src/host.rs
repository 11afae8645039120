//! The conversation with the loader on the host page, over `postMessage`: the loader asks the
//! chat to open or close, passes a logged-in user and a language; the chat tells it when it is
//! ready, how many messages are unread, and when the visitor closed it. Messages are objects
//! `{sb: 1, type, ...}`, only ever exchanged with the host page's origin.

use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// What the loader asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromLoader {
    Open,
    Close,
    Identify { user: serde_json::Value },
    Locale { locale: String },
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
            location.as_ref().and_then(|location| read(location).ok()).unwrap_or_default()
        };
        let (query, hash) = (part(web_sys::Location::search), part(web_sys::Location::hash));
        let mut launch = Launch::default();
        for pair in query.trim_start_matches('?').split('&').chain(hash.trim_start_matches('#').split('&')) {
            let Some((name, value)) = pair.split_once('=') else { continue };
            let value = js_sys::decode_uri_component(value).map(String::from).unwrap_or_default();
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

/// Posts `{sb: 1, type, ...extra}` to the host page.
pub fn tell(origin: Option<&str>, kind: &str, extra: serde_json::Value) {
    let (Some(window), Some(origin)) = (web_sys::window(), origin) else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    let mut message = serde_json::json!({ "sb": 1, "type": kind });
    if let (Some(message), Some(extra)) = (message.as_object_mut(), extra.as_object()) {
        message.extend(extra.clone());
    }
    if let Ok(value) = js_sys::JSON::parse(&message.to_string()) {
        let _ = parent.post_message(&value, origin);
    }
}

/// Calls `handle` for each message from the host page's origin; the listener lives as long as
/// the returned value.
pub fn listen(origin: Option<String>, handle: impl Fn(FromLoader) + 'static) -> Option<Closure<dyn Fn(web_sys::MessageEvent)>> {
    let window = web_sys::window()?;
    let origin = origin?;
    let listener = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        if event.origin() != origin {
            return;
        }
        let Ok(text) = js_sys::JSON::stringify(&event.data()) else { return };
        let text: String = text.into();
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else { return };
        if value["sb"] != 1 {
            return;
        }
        if let Ok(message) = serde_json::from_value::<FromLoader>(value) {
            handle(message);
        }
    });
    window
        .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
        .ok()?;
    Some(listener)
}
