//! Channel settings are checked when an admin writes them, so that a mistake gets an answer
//! that names it then, and no visitor's request ever fails later on a stored value.

use serde_json::Value;
use switchboard_model::{ChannelKind, EmailSettings, Id, OfficeHours};

use crate::widget::office_hours;
use crate::{Fault, FaultKind, ServiceResult, Services};

/// Refuses `settings` that cannot be used, naming the setting (and the entry of a list) and what
/// is wrong with it, and writes what may be written several ways in one: allowed origins as a
/// list of `scheme://host` (`["https://shop.example"]` from
/// `"shop.example/\nhttp://localhost:8080/cart"`). A website chat's colour and position are
/// checked too: the widget would otherwise draw its default instead, and nobody would be told;
/// and an email channel's servers, sign-in and limits ([`prepare_email`]).
fn prepare(kind: ChannelKind, settings: &mut Value) -> ServiceResult<()> {
    if kind == ChannelKind::EMAIL {
        prepare_email(settings)?;
    }
    if let Some(hours) = settings
        .get("office_hours")
        .filter(|hours| !hours.is_null())
    {
        let hours: OfficeHours = serde_json::from_value(hours.clone()).map_err(|error| {
            invalid(format!("`office_hours` cannot be read: {error}")).on_field("office_hours")
        })?;
        office_hours::check(&hours).map_err(|problem| invalid(problem).on_field("office_hours"))?;
    }
    if let Some(origins) = settings.get_mut("allowed_origins") {
        let parsed = crate::origin::parse_allowed_list(origins).map_err(|bad| {
            let fault = invalid(bad.problem).on_field("allowed_origins");
            match bad.entry {
                Some(entry) => fault.on_value(entry),
                None => fault,
            }
        })?;
        *origins = Value::from(parsed);
    }
    let written = |name: &str| settings.get(name).filter(|value| !value.is_null());
    if let Some(color) = written("color")
        && !color.as_str().is_some_and(crate::widget::valid_color)
    {
        let problem =
            format!("`color` must be a colour such as #1f6feb (#rrggbb or #rgb), not {color}");
        return Err(invalid(problem).on_field("color"));
    }
    if let Some(position) = written("position")
        && !matches!(position.as_str(), Some("right" | "left"))
    {
        let problem = format!("`position` must be \"right\" or \"left\", not {position}");
        return Err(invalid(problem).on_field("position"));
    }
    Ok(())
}

/// An email channel's mail servers, sign-in and limits, as [`EmailSettings::refusal`] checks
/// them, and its provider.
fn prepare_email(settings: &Value) -> ServiceResult<()> {
    if let Some((field, problem)) = EmailSettings::refusal(settings) {
        return Err(invalid(problem).on_field(field));
    }
    if let Some(provider) = EmailSettings::read(settings).provider
        && let Err(problem) = crate::email::provider(&provider)
    {
        return Err(invalid(problem).on_field(EmailSettings::PROVIDER));
    }
    Ok(())
}

/// Checks and prepares `settings` (see [`prepare`]) for a channel of `kind` that the plugin
/// `plugin` handles, checking them against the plugin's form as well (a required setting, a
/// choice it does not offer).
pub async fn prepare_for_plugin(
    services: &Services,
    workspace_id: Id,
    kind: ChannelKind,
    plugin: Option<&str>,
    settings: &mut Value,
) -> ServiceResult<()> {
    prepare(kind, settings)?;
    let Some(plugin) = plugin else {
        return Ok(());
    };
    let form = services
        .plugins
        .channel_form(services.store.as_ref(), workspace_id, plugin)
        .await?;
    match form.as_ref().and_then(|form| form.refusal(settings)) {
        Some((field, problem)) => Err(invalid(problem).on_field(field)),
        None => Ok(()),
    }
}

fn invalid(message: String) -> Fault {
    Fault::new(FaultKind::Invalid, "invalid_settings", message)
}
