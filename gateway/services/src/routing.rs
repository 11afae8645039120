//! Routing as the gateway runs it: a workspace's routing and a team's hours checked when they
//! are written, whether a conversation's team (or else the workspace) is open now in its time
//! zone ([`hours`]), and the automatic answer a contact gets ([`answers`]). Which team, labels
//! and agent a new conversation gets is the store's step, by the rules of
//! `switchboard_model::Routing`.

pub mod answers;
pub mod hours;

use chrono_tz::Tz;
use switchboard_model::{BusinessHours, Id, Routing};

use crate::{Fault, FaultKind, ServiceResult, Services};

/// Replaces the workspace's routing, once it can be used: every time a valid time of day, every
/// date a date, the time zone a real one, the rules' teams and channels the workspace's own.
/// Refusals name the field.
pub async fn set(
    services: &Services,
    workspace_id: Id,
    mut routing: Routing,
) -> ServiceResult<Routing> {
    if let Some((field, message)) = routing.problem() {
        return Err(invalid(&field, message));
    }
    if let Some(hours) = &routing.hours {
        check_zone(hours, "hours")?;
    }
    let teams = services.store.teams(workspace_id).await?;
    let channels = services.store.channels(workspace_id).await?;
    for (n, rule) in routing.rules.iter().enumerate() {
        if let Some(team_id) = rule.team_id
            && !teams.iter().any(|team| team.id == team_id)
        {
            return Err(invalid(
                &format!("rules[{n}].team_id"),
                format!("`rules[{n}].team_id` {team_id} is not one of the workspace's teams"),
            ));
        }
        if let Some(channel_id) = rule
            .channel_ids
            .iter()
            .find(|id| !channels.iter().any(|channel| channel.id == **id))
        {
            return Err(invalid(
                &format!("rules[{n}].channel_ids"),
                format!(
                    "`rules[{n}].channel_ids` holds {channel_id}, which is not one of the workspace's channels"
                ),
            ));
        }
    }
    routing.away_message = routing.away_message.trim().to_string();
    for rule in &mut routing.rules {
        rule.name = rule.name.trim().to_string();
        for list in [&mut rule.senders, &mut rule.keywords, &mut rule.labels] {
            for entry in list.iter_mut() {
                *entry = entry.trim().to_string();
            }
        }
    }
    Ok(services.store.set_routing(workspace_id, routing).await?)
}

/// Whether a team's own hours can be used, naming the field under `hours`.
pub fn check_team_hours(hours: &BusinessHours) -> ServiceResult<()> {
    if let Some((field, message)) = hours.problem("hours") {
        return Err(invalid(&field, message));
    }
    check_zone(hours, "hours")
}

fn check_zone(hours: &BusinessHours, at: &str) -> ServiceResult<()> {
    match &hours.time_zone {
        Some(zone) if zone.trim().parse::<Tz>().is_err() => Err(invalid(
            &format!("{at}.time_zone"),
            format!(
                "`{at}.time_zone` {zone:?} is not a time zone: use an IANA name such as \"America/Bogota\" or \"America/Sao_Paulo\""
            ),
        )),
        _ => Ok(()),
    }
}

fn invalid(field: &str, message: String) -> Fault {
    Fault::new(FaultKind::Invalid, "invalid_routing", message).on_field(field)
}
