//! Time zones to pick from, as the browser knows them (`Intl`, so the console carries no
//! table of its own): those of Latin America and the Iberian Peninsula first, by their cities'
//! names with their offset from UTC today, then every other IANA zone; and the browser's own.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The zones most of our users are in, first in the list, with their city as people write it.
const COMMON: [(&str, &str); 34] = [
    ("America/Mexico_City", "Ciudad de México"),
    ("America/Bogota", "Bogotá"),
    ("America/Lima", "Lima"),
    ("America/Santiago", "Santiago de Chile"),
    ("America/Argentina/Buenos_Aires", "Buenos Aires"),
    ("America/Sao_Paulo", "São Paulo, Rio de Janeiro, Brasília"),
    ("America/Caracas", "Caracas"),
    ("America/Guayaquil", "Quito, Guayaquil"),
    ("America/La_Paz", "La Paz"),
    ("America/Asuncion", "Asunción"),
    ("America/Montevideo", "Montevideo"),
    ("America/Panama", "Panamá"),
    ("America/Costa_Rica", "San José (Costa Rica)"),
    ("America/Guatemala", "Guatemala"),
    ("America/El_Salvador", "San Salvador"),
    ("America/Tegucigalpa", "Tegucigalpa"),
    ("America/Managua", "Managua"),
    ("America/Santo_Domingo", "Santo Domingo"),
    ("America/Puerto_Rico", "San Juan (Puerto Rico)"),
    ("America/Havana", "La Habana"),
    ("America/Monterrey", "Monterrey"),
    ("America/Cancun", "Cancún"),
    ("America/Tijuana", "Tijuana"),
    ("America/Manaus", "Manaus"),
    ("America/Cuiaba", "Cuiabá"),
    ("America/Bahia", "Salvador (Bahia)"),
    ("America/Fortaleza", "Fortaleza"),
    ("America/Recife", "Recife"),
    ("America/Belem", "Belém"),
    ("Europe/Madrid", "Madrid"),
    ("Europe/Lisbon", "Lisboa"),
    ("America/New_York", "New York, Miami"),
    ("America/Los_Angeles", "Los Angeles"),
    ("UTC", "UTC"),
];

/// A zone to pick: its IANA name and what the list shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: String,
    pub label: String,
}

/// Every zone to pick from, the common ones first with their cities and offsets.
pub fn zones() -> Vec<Zone> {
    let mut zones: Vec<Zone> = COMMON
        .iter()
        .map(|(name, city)| Zone {
            name: name.to_string(),
            label: match offset(name) {
                Some(offset) => format!("{city} · {offset}"),
                None => city.to_string(),
            },
        })
        .collect();
    for name in supported() {
        if !zones.iter().any(|zone| zone.name == name) {
            zones.push(Zone {
                label: name.replace('_', " "),
                name,
            });
        }
    }
    zones
}

/// The browser's own zone, if it says.
pub fn browser_zone() -> Option<String> {
    let format = date_time_format(&Array::new())?;
    let options = call(&format, "resolvedOptions", &Array::new())?;
    Reflect::get(&options, &"timeZone".into()).ok()?.as_string()
}

fn intl() -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &"Intl".into()).ok()
}

/// `target.method(...arguments)`, if it has such a method and it does not throw.
fn call(target: &JsValue, method: &str, arguments: &Array) -> Option<JsValue> {
    let function: Function = Reflect::get(target, &method.into()).ok()?.dyn_into().ok()?;
    Reflect::apply(&function, target, arguments).ok()
}

/// `new Intl.DateTimeFormat(...arguments)`.
fn date_time_format(arguments: &Array) -> Option<JsValue> {
    let class: Function = Reflect::get(&intl()?, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Reflect::construct(&class, arguments).ok()
}

/// The IANA zones the browser knows.
fn supported() -> Vec<String> {
    let arguments = Array::of1(&"timeZone".into());
    intl()
        .and_then(|intl| call(&intl, "supportedValuesOf", &arguments))
        .and_then(|names| names.dyn_into::<Array>().ok())
        .map(|names| names.iter().filter_map(|name| name.as_string()).collect())
        .unwrap_or_default()
}

/// The zone's offset from UTC now, as `GMT-5`.
fn offset(name: &str) -> Option<String> {
    let options = Object::new();
    Reflect::set(&options, &"timeZone".into(), &name.into()).ok()?;
    Reflect::set(&options, &"timeZoneName".into(), &"shortOffset".into()).ok()?;
    let format = date_time_format(&Array::of2(&"en-US".into(), &options))?;
    let parts = call(&format, "formatToParts", &Array::new())?
        .dyn_into::<Array>()
        .ok()?;
    parts.iter().find_map(|part| {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        (kind == "timeZoneName")
            .then(|| Reflect::get(&part, &"value".into()).ok()?.as_string())
            .flatten()
    })
}
