//! Channel settings are checked when an admin writes them, so that a mistake gets an answer
//! that names it then, and no visitor's request ever fails later on a stored value.

use serde_json::Value;
use switchboard_model::OfficeHours;

use crate::widget::office_hours;
use crate::{Fault, FaultKind, ServiceResult};

/// Refuses `settings` that cannot be used, naming the setting and what is wrong with it.
pub fn check(settings: &Value) -> ServiceResult<()> {
    if let Some(hours) = settings
        .get("office_hours")
        .filter(|hours| !hours.is_null())
    {
        let hours: OfficeHours = serde_json::from_value(hours.clone())
            .map_err(|error| invalid(format!("`office_hours` cannot be read: {error}")))?;
        office_hours::check(&hours).map_err(invalid)?;
    }
    Ok(())
}

fn invalid(message: String) -> Fault {
    Fault::new(FaultKind::Invalid, "invalid_settings", message)
}
