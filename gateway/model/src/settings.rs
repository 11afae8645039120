//! Typed channel settings, as admins write them into a channel's `settings`.

use serde::{Deserialize, Serialize};

/// When a website chat is staffed; outside these hours the widget is offline and asks for an
/// email. `{"time_zone": "America/Bogota", "days": [1, 2, 3, 4, 5], "from": "09:00", "to":
/// "18:00"}`; a `to` before `from` runs past midnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfficeHours {
    /// An IANA time zone, such as `America/Bogota`: daylight-saving changes are followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A fixed offset from UTC in minutes, for settings written before time zones; ignored
    /// when `time_zone` is set, UTC when neither is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Staffed days, 0 (Sunday) to 6 (Saturday); Monday to Friday unless given.
    #[serde(default = "weekdays")]
    pub days: Vec<u8>,
    /// Opening time, `HH:MM` (09:00 unless given).
    #[serde(default = "opening")]
    pub from: String,
    /// Closing time, `HH:MM` (18:00 unless given).
    #[serde(default = "closing")]
    pub to: String,
}

fn weekdays() -> Vec<u8> {
    vec![1, 2, 3, 4, 5]
}

fn opening() -> String {
    "09:00".into()
}

fn closing() -> String {
    "18:00".into()
}
