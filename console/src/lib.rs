//! The agent console's two pages, which share everything here: the console itself
//! (`src/main.rs`: sign in at `/`, then the inbox at `/app/`, a conversation at
//! `/app/conversations/{id}`) and an admin's settings (`src/bin/switchboard-settings.rs`, at
//! `/app/settings/…`, with the first run), a page of its own that only admins load, so that the
//! agents' console stays light. Both talk to the gateway only through the REST API, the event
//! socket and the session cookie.

pub mod api;
pub mod i18n;
pub mod notify;
pub mod socket;
pub mod state;
pub mod views;

use switchboard_model::Me;

use i18n::Locale;

/// Talc instead of Rust's default dlmalloc: made for single-threaded WebAssembly, and smaller.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Where the agent's choice of language is kept in the browser.
const LOCALE_KEY: &str = "switchboard.console.locale";

/// The language the agent chose here before, else the browser's, else English.
pub fn initial_locale() -> Locale {
    let window = web_sys::window();
    let chosen = window
        .as_ref()
        .and_then(|window| window.local_storage().ok().flatten())
        .and_then(|storage| storage.get_item(LOCALE_KEY).ok().flatten());
    let browser = window.and_then(|window| window.navigator().language());
    chosen
        .or(browser)
        .and_then(|tag| Locale::from_tag(&tag))
        .unwrap_or(Locale::En)
}

/// The language the agent chose in their profile, if they chose one.
pub fn profile_locale(me: &Me) -> Option<Locale> {
    me.agent.language.as_deref().and_then(Locale::from_tag)
}

/// Keeps the agent's choice for the next visit.
pub fn remember_locale(locale: Locale) {
    if let Some(storage) =
        web_sys::window().and_then(|window| window.local_storage().ok().flatten())
    {
        let _ = storage.set_item(LOCALE_KEY, locale.tag());
    }
    set_document_language(locale);
}

/// Tells the browser (and screen readers) the page's language.
pub fn set_document_language(locale: Locale) {
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("lang", locale.tag());
    }
}

/// Shows `path` in the address bar without loading a page.
pub fn show_path(path: &str) {
    if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// Goes to `path` without loading a page, as a step the browser's Back button undoes.
pub fn push_path(path: &str) {
    if let Some(history) = web_sys::window().and_then(|window| window.history().ok()) {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// Loads the page at `path` (the other of the console's two pages, or the sign-in page).
pub fn go_to(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}
