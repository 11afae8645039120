//! Channel settings are checked when an admin writes them, so that a mistake gets an answer
//! that names it then, and no visitor's request ever fails later on a stored value.

use serde_json::Value;
use switchboard_model::{Id, OfficeHours};

use crate::widget::office_hours;
use crate::{Fault, FaultKind, ServiceResult, Services};

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

/// Refuses `settings` for a channel that the plugin `plugin` handles, checking them against
/// the plugin's form as well (a required setting, a choice it does not offer).
pub async fn check_for_plugin(
    services: &Services,
    workspace_id: Id,
    plugin: Option<&str>,
    settings: &Value,
) -> ServiceResult<()> {
    check(settings)?;
    let Some(plugin) = plugin else {
        return Ok(());
    };
    let form = services
        .plugins
        .channel_form(services.store.as_ref(), workspace_id, plugin)
        .await?;
    match form.and_then(|form| form.refusal(settings)) {
        Some(problem) => Err(invalid(problem)),
        None => Ok(()),
    }
}

fn invalid(message: String) -> Fault {
    Fault::new(FaultKind::Invalid, "invalid_settings", message)
}
