//! The limits the installation's operator sets on a workspace ([`WorkspaceQuotas`]), checked
//! before the workspace gets one more person, channel or plugin, a file an agent or a visitor
//! uploads, or a message to a contact. Customers' messages, and the files that come with them,
//! are never refused by them. Two requests at the same moment may both pass the check: a quota
//! is a plan's limit, not a lock.
//!
//! When one is reached, whoever was refused is told by the error, and the workspace's admins
//! by email through the installation's own mail (once a quota a day, UTC) and by the console,
//! which shows [`uses`] to them.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use switchboard_model::{Id, Quota, QuotaUse, Role, WorkspaceQuotas, now_millis};
use switchboard_store::Store;

use crate::language::Language;
use crate::{DAY_MS, Fault, FaultKind, ServiceResult, Services, lock};

const MIB: u64 = 1 << 20;

/// Fails with `quota_reached` (naming the quota in `field`) when the workspace may not have
/// one more person, channel or plugin of its own; its admins are told.
pub async fn ensure_room(services: &Services, workspace_id: Id, quota: Quota) -> ServiceResult<()> {
    let checked = check_room(services.store.as_ref(), workspace_id, quota).await;
    told(services, workspace_id, checked)
}

/// Fails with `quota_reached` (field `storage_mib`) when keeping the file `incoming` would take
/// the workspace past its storage quota; a file it keeps already takes no more room. Its
/// admins are told.
pub async fn ensure_storage(
    services: &Services,
    workspace_id: Id,
    incoming: &[u8],
) -> ServiceResult<()> {
    let checked = check_storage(services.store.as_ref(), workspace_id, incoming).await;
    told(services, workspace_id, checked)
}

/// Fails with `quota_reached` (field `messages_per_day`, `429` with `Retry-After` until the next
/// day, UTC) when the workspace wrote as many messages to contacts today as its quota allows;
/// its admins are told.
pub async fn ensure_message_today(services: &Services, workspace_id: Id) -> ServiceResult<()> {
    let checked = check_message_today(services.store.as_ref(), workspace_id).await;
    told(services, workspace_id, checked)
}

/// `result`, after telling the workspace's admins when it is a quota's refusal (for checks
/// made where only the store is at hand, such as a plugin's install).
pub fn told<T>(
    services: &Services,
    workspace_id: Id,
    result: ServiceResult<T>,
) -> ServiceResult<T> {
    if let Err(fault) = &result
        && fault.code == "quota_reached"
        && let Some(quota) = fault.field.as_deref().and_then(Quota::named)
    {
        tell_admins(services, workspace_id, quota);
    }
    result
}

/// The check of [`ensure_room`], without telling anyone.
pub async fn check_room(store: &dyn Store, workspace_id: Id, quota: Quota) -> ServiceResult<()> {
    let workspace = store.workspace(workspace_id).await?;
    let Some(limit) = workspace.quotas.limit(quota) else {
        return Ok(());
    };
    let used = used(store, workspace_id, quota).await?;
    if used < limit {
        return Ok(());
    }
    let what = match quota {
        Quota::Agents => "people",
        Quota::Channels => "channels",
        _ => "plugins of its own",
    };
    Err(Fault::new(
        FaultKind::QuotaReached,
        "quota_reached",
        format!(
            "this workspace may have at most {limit} {what}, and has {used}: remove one, or ask the operator of this Switchboard installation for a larger quota"
        ),
    )
    .on_field(quota.name()))
}

/// The check of [`ensure_storage`], without telling anyone.
pub async fn check_storage(
    store: &dyn Store,
    workspace_id: Id,
    incoming: &[u8],
) -> ServiceResult<()> {
    let workspace = store.workspace(workspace_id).await?;
    let Some(quota_mib) = workspace.quotas.storage_mib else {
        return Ok(());
    };
    let sha256 = hex::encode(Sha256::digest(incoming));
    if store.has_file(workspace_id, &sha256).await? {
        return Ok(());
    }
    let stored = store.stored_bytes(workspace_id).await?;
    if stored.saturating_add(incoming.len() as u64) <= quota_mib.saturating_mul(MIB) {
        return Ok(());
    }
    Err(Fault::new(
        FaultKind::QuotaReached,
        "quota_reached",
        format!(
            "this workspace may keep {quota_mib} MiB of files and keeps {} MiB: remove files, or ask the operator of this Switchboard installation for a larger quota",
            stored.div_ceil(MIB)
        ),
    )
    .on_field(Quota::StorageMib.name()))
}

async fn check_message_today(store: &dyn Store, workspace_id: Id) -> ServiceResult<()> {
    let workspace = store.workspace(workspace_id).await?;
    let Some(quota) = workspace.quotas.messages_per_day else {
        return Ok(());
    };
    let sent = store.sent_today(workspace_id).await?;
    if sent < u64::from(quota) {
        return Ok(());
    }
    let until_tomorrow = (DAY_MS - now_millis().rem_euclid(DAY_MS)) as u64;
    Err(Fault::new(
        FaultKind::Limited,
        "quota_reached",
        format!(
            "this workspace may write {quota} messages to contacts a day (UTC) and wrote {sent} today: private notes still go in, replies again tomorrow, or ask the operator of this Switchboard installation for a larger quota"
        ),
    )
    .on_field(Quota::MessagesPerDay.name())
    .retry_after(until_tomorrow.div_ceil(1000)))
}

/// How much of each quota the operator set the workspace uses, in the order of [`Quota::ALL`].
pub async fn uses(store: &dyn Store, workspace_id: Id) -> ServiceResult<Vec<QuotaUse>> {
    let quotas: WorkspaceQuotas = store.workspace(workspace_id).await?.quotas;
    let mut uses = Vec::new();
    for quota in Quota::ALL {
        if let Some(limit) = quotas.limit(quota) {
            let used = used(store, workspace_id, quota).await?;
            uses.push(QuotaUse { quota, limit, used });
        }
    }
    Ok(uses)
}

async fn used(store: &dyn Store, workspace_id: Id, quota: Quota) -> ServiceResult<u64> {
    Ok(match quota {
        Quota::Agents => store.agents(workspace_id).await?.len() as u64,
        Quota::Channels => store
            .channels(workspace_id)
            .await?
            .iter()
            .filter(|channel| channel.deleted_at.is_none())
            .count() as u64,
        Quota::Plugins => store
            .plugins(workspace_id)
            .await?
            .iter()
            .filter(|plugin| switchboard_plugins::bundled(&plugin.name).is_none())
            .count() as u64,
        Quota::StorageMib => store.stored_bytes(workspace_id).await?.div_ceil(MIB),
        Quota::MessagesPerDay => store.sent_today(workspace_id).await?,
    })
}

/// Which quotas this node told each workspace's admins about, and on which day (UTC); a
/// restart may tell them once more that day.
#[derive(Debug, Default)]
pub struct Told(Mutex<HashMap<(Id, Quota), i64>>);

/// Emails the workspace's active admins that `quota` is reached, once a quota a day, in each
/// one's language, when the installation sends mail of its own; in the background, so that
/// nobody's request waits on the mail server.
fn tell_admins(services: &Services, workspace_id: Id, quota: Quota) {
    let today = now_millis().div_euclid(DAY_MS);
    if lock(&services.quotas_told.0).insert((workspace_id, quota), today) == Some(today) {
        return;
    }
    let Some(mail) = services.config.system_mail.clone() else {
        tracing::info!(
            workspace_id,
            quota = quota.name(),
            "quota reached; no system mail to tell the admins"
        );
        return;
    };
    let store = services.store.clone();
    let trust = services.mail.clone();
    let console = format!("{}/app/", services.config.public_url.trim_end_matches('/'));
    tokio::spawn(async move {
        let admins = async {
            let workspace = store.workspace(workspace_id).await?;
            let agents = store.agents(workspace_id).await?;
            Ok::<_, Fault>((workspace, agents))
        };
        let (workspace, agents) = match admins.await {
            Ok(found) => found,
            Err(fault) => {
                tracing::warn!(workspace_id, quota = quota.name(), %fault, "finding the admins to tell that a quota is reached failed");
                return;
            }
        };
        let limit = workspace.quotas.limit(quota).unwrap_or_default();
        // Each admin separately: one address the mail server refuses stops nobody else's.
        for admin in agents
            .iter()
            .filter(|agent| agent.active && agent.role == Role::Admin)
        {
            let language = Language::of(admin.language.as_deref().unwrap_or_default());
            let (subject, text) = notice(language, quota, limit, &workspace.name, &console);
            if let Err(fault) =
                crate::system_mail::send_with(&mail, &trust.trust, &admin.email, &subject, &text)
                    .await
            {
                tracing::warn!(workspace_id, agent_id = admin.id, quota = quota.name(), %fault, "telling an admin that a quota is reached failed");
            }
        }
    });
}

/// The email that tells an admin the workspace `name` reached `quota` of `limit`.
fn notice(
    language: Language,
    quota: Quota,
    limit: u64,
    name: &str,
    console: &str,
) -> (String, String) {
    let (what, effect) = consequence(language, quota);
    match language {
        Language::Spanish => (
            format!("Tu espacio «{name}» llegó a su límite de {what}"),
            format!(
                "Tu espacio de trabajo «{name}» en Switchboard llegó a su límite de {what} ({limit}). {effect}\n\nLos mensajes de tus clientes siguen llegando: no se pierde ninguno. Para subir el límite, pídeselo a quien administra tu instalación de Switchboard.\n\n{console}\n"
            ),
        ),
        Language::Portuguese => (
            format!("Seu espaço \"{name}\" atingiu o limite de {what}"),
            format!(
                "Seu espaço de trabalho \"{name}\" no Switchboard atingiu o limite de {what} ({limit}). {effect}\n\nAs mensagens dos seus clientes continuam chegando: nenhuma se perde. Para aumentar o limite, peça a quem administra a sua instalação do Switchboard.\n\n{console}\n"
            ),
        ),
        Language::English => (
            format!("Your workspace \"{name}\" reached its limit of {what}"),
            format!(
                "Your Switchboard workspace \"{name}\" reached its limit of {what} ({limit}). {effect}\n\nYour customers' messages keep arriving: none is lost. To raise the limit, ask whoever runs your Switchboard installation.\n\n{console}\n"
            ),
        ),
    }
}

/// What the quota counts and what reaching it stops, in `language`.
fn consequence(language: Language, quota: Quota) -> (&'static str, &'static str) {
    match (language, quota) {
        (Language::Spanish, Quota::Agents) => ("personas", "No se pueden agregar más personas."),
        (Language::Spanish, Quota::Channels) => ("canales", "No se pueden conectar más canales."),
        (Language::Spanish, Quota::Plugins) => ("plugins", "No se pueden instalar más plugins."),
        (Language::Spanish, Quota::StorageMib) => (
            "almacenamiento (MiB)",
            "Tu equipo y los visitantes del chat ya no pueden subir archivos; los que llegan con los mensajes de tus clientes se siguen guardando.",
        ),
        (Language::Spanish, Quota::MessagesPerDay) => (
            "mensajes por día",
            "Las respuestas a clientes vuelven a salir mañana (a las 00:00 UTC); las notas privadas siguen funcionando.",
        ),
        (Language::Portuguese, Quota::Agents) => {
            ("pessoas", "Não é possível adicionar mais pessoas.")
        }
        (Language::Portuguese, Quota::Channels) => {
            ("canais", "Não é possível conectar mais canais.")
        }
        (Language::Portuguese, Quota::Plugins) => {
            ("plugins", "Não é possível instalar mais plugins.")
        }
        (Language::Portuguese, Quota::StorageMib) => (
            "armazenamento (MiB)",
            "Sua equipe e os visitantes do chat não podem mais enviar arquivos; os que chegam com as mensagens dos seus clientes continuam sendo guardados.",
        ),
        (Language::Portuguese, Quota::MessagesPerDay) => (
            "mensagens por dia",
            "As respostas aos clientes voltam a sair amanhã (às 00:00 UTC); as notas privadas continuam funcionando.",
        ),
        (Language::English, Quota::Agents) => ("people", "No more people can be added."),
        (Language::English, Quota::Channels) => ("channels", "No more channels can be connected."),
        (Language::English, Quota::Plugins) => ("plugins", "No more plugins can be installed."),
        (Language::English, Quota::StorageMib) => (
            "storage (MiB)",
            "Your team and chat visitors can no longer upload files; files that come with your customers' messages are still kept.",
        ),
        (Language::English, Quota::MessagesPerDay) => (
            "messages a day",
            "Replies to customers go out again tomorrow (at 00:00 UTC); private notes still work.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_names_the_workspace_the_quota_and_that_nothing_is_lost() {
        let (subject, text) = notice(
            Language::Spanish,
            Quota::MessagesPerDay,
            200,
            "Café Aurora",
            "https://chat.example/app/",
        );
        assert_eq!(
            subject,
            "Tu espacio «Café Aurora» llegó a su límite de mensajes por día"
        );
        assert!(text.contains("(200)"), "{text}");
        assert!(text.contains("no se pierde ninguno"), "{text}");
        assert!(text.ends_with("https://chat.example/app/\n"), "{text}");
        for language in [Language::English, Language::Spanish, Language::Portuguese] {
            for quota in Quota::ALL {
                let (what, effect) = consequence(language, quota);
                assert!(
                    !what.is_empty() && effect.ends_with('.'),
                    "{language:?} {quota:?}"
                );
            }
        }
    }
}
