//! Reading and building the plain JavaScript objects the widget exchanges with the gateway and
//! the host page. The browser's own `JSON` parses and writes them, so the app carries no JSON
//! code of its own.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// A value read from a parsed JSON object; `None` when it is missing or has the wrong shape.
pub trait FromJs: Sized {
    fn from_js(value: &JsValue) -> Option<Self>;
}

impl FromJs for String {
    fn from_js(value: &JsValue) -> Option<String> {
        value.as_string()
    }
}

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

/// A whole number; one too large for JavaScript's numbers (like the gateway's "everything"
/// marker `u64::MAX`) comes out as `u64::MAX`.
pub fn whole(value: &JsValue, key: &str) -> Option<u64> {
    number(value, key).map(|number| number as u64)
}

pub fn boolean(value: &JsValue, key: &str) -> Option<bool> {
    get(value, key).as_bool()
}

/// The items of a list field (none when the field is missing); `None` if one is unreadable.
pub fn list<T: FromJs>(value: &JsValue, key: &str) -> Option<Vec<T>> {
    let items = get(value, key);
    if !Array::is_array(&items) {
        return Some(Vec::new());
    }
    items
        .unchecked_ref::<Array>()
        .iter()
        .map(|item| T::from_js(&item))
        .collect()
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
