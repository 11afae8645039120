//! Reading and building the plain JavaScript objects the widget exchanges with the host page
//! (over `postMessage`) and hands the browser's `fetch` (its headers). What goes to and comes
//! from the gateway is read and written with serde, as `switchboard-model` defines it.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// `value[key]`; `undefined` when `value` is not an object or has no such field.
pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn string(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).as_string()
}

pub fn number(value: &JsValue, key: &str) -> Option<f64> {
    get(value, key).as_f64()
}

/// A plain object with these fields, in this order.
pub fn object(fields: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in fields {
        set(&object, key, value);
    }
    object
}

pub fn set(object: &Object, key: &str, value: &JsValue) {
    // Setting a field on a plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}
