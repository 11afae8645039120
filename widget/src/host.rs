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

/// What the frame was given in its URL: `?w=ID#locale=xx&origin=https%3A%2F%2Fshop`. The
/// widget id is read from the query only: the gateway serves the page with that widget's
/// `frame-ancestors`, so a page that the widget does not allow cannot frame it under that id.
/// Where the browser tells the frame's ancestors (`location.ancestorOrigins`), the host page's
/// origin is the one it says, whatever the URL claims.
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
        let pairs = |text: String, skip: char| -> Vec<(String, String)> {
            text.trim_start_matches(skip)
                .split('&')
                .filter_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    let value = js_sys::decode_uri_component(value).ok()?;
                    Some((name.to_string(), String::from(value)))
                })
                .collect()
        };
        let mut launch = Launch::default();
        for (name, value) in pairs(part(web_sys::Location::search), '?') {
            if name == "w" {
                launch.widget = value;
            }
        }
        for (name, value) in pairs(part(web_sys::Location::hash), '#') {
            match name.as_str() {
                "locale" if !value.is_empty() => launch.locale = Some(value),
                "origin" if !value.is_empty() => launch.origin = Some(value),
                _ => {}
            }
        }
        if let Some(parent) = location.as_ref().and_then(parent_origin) {
            launch.origin = Some(parent);
        }
        launch
    }
}

/// The origin of the page that frames this one, as the browser knows it
/// (`location.ancestorOrigins[0]`; Chromium and Safari have it, Firefox does not).
fn parent_origin(location: &web_sys::Location) -> Option<String> {
    let ancestors = js::get(location.as_ref(), "ancestorOrigins");
    if ancestors.is_undefined() || ancestors.is_null() {
        return None;
    }
    js::get(&ancestors, "0").as_string()
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
