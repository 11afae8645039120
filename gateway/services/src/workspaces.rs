//! Whether a workspace may be used now (the installation's operator may have suspended it),
//! its profile as its admins set it (name, time zone, languages, first run done), and removing
//! one for good.

use std::path::Path;

use chrono_tz::Tz;
use switchboard_model::{
    Id, RemovedWorkspace, Workspace, WorkspaceUpdate, known_language, workspace_languages,
    workspace_name_problem,
};
use switchboard_search::SearchIndex;
use switchboard_store::Store;

use crate::{Fault, FaultKind, ServiceResult, Services};

/// The workspace, unless it is suspended (`workspace_suspended`).
pub async fn require_active(services: &Services, workspace_id: Id) -> ServiceResult<Workspace> {
    let workspace = services.store.workspace(workspace_id).await?;
    match workspace.suspended_at {
        None => Ok(workspace),
        Some(_) => Err(suspended(&workspace)),
    }
}

/// The fault of a suspended workspace, naming it.
pub fn suspended(workspace: &Workspace) -> Fault {
    Fault::new(
        FaultKind::Suspended,
        "workspace_suspended",
        format!(
            "the workspace {:?} is suspended by the operator of this Switchboard installation; nothing in it is deleted, and it works again once the operator resumes it",
            workspace.name
        ),
    )
}

/// Changes the workspace's profile as an admin asked, each value checked first (a refusal
/// names its field, `invalid_workspace`): a name of 1 to 100 characters (kept trimmed), an
/// IANA time zone, languages of `en`, `es` and `pt-BR`, and a default among them.
pub async fn update_profile(
    services: &Services,
    workspace_id: Id,
    mut update: WorkspaceUpdate,
) -> ServiceResult<Workspace> {
    let invalid = |field: &str, message: String| {
        Fault::new(FaultKind::Invalid, "invalid_workspace", message).on_field(field)
    };
    if let Some(name) = &update.name {
        if let Some(problem) = workspace_name_problem(name) {
            return Err(invalid("name", problem));
        }
        update.name = Some(name.trim().to_string());
    }
    if let Some(zone) = &update.time_zone
        && zone.trim().parse::<Tz>().is_err()
    {
        return Err(invalid(
            "time_zone",
            format!(
                "{zone:?} is not a time zone: use an IANA name such as \"America/Bogota\" or \"America/Sao_Paulo\""
            ),
        ));
    }
    update.time_zone = update.time_zone.map(|zone| zone.trim().to_string());
    if let Some(languages) = &update.languages {
        let languages =
            workspace_languages(languages).map_err(|(field, message)| invalid(field, message))?;
        update.languages = Some(languages);
    }
    if let Some(tag) = &update.default_language {
        let among = match &update.languages {
            Some(languages) => languages.clone(),
            None => services.store.workspace(workspace_id).await?.languages,
        };
        let language =
            known_language(tag).filter(|language| among.iter().any(|one| one == language));
        let Some(language) = language else {
            return Err(invalid(
                "default_language",
                format!(
                    "the default language {tag:?} must be one of the workspace's languages ({})",
                    among.join(", ")
                ),
            ));
        };
        update.default_language = Some(language.to_string());
    }
    Ok(services
        .store
        .update_workspace(workspace_id, update)
        .await?)
}

/// Removes a suspended workspace and everything of it: its entries in the search index, its
/// watched plugin folder, then its records and events in the store. A removal cut short is
/// finished by running it again.
pub async fn remove(
    store: &dyn Store,
    search: &SearchIndex,
    plugins_folder: Option<&Path>,
    id: Id,
) -> ServiceResult<RemovedWorkspace> {
    let workspace = store.workspace(id).await?;
    if workspace.suspended_at.is_none() {
        return Err(Fault::new(
            FaultKind::Conflict,
            "workspace_active",
            format!(
                "the workspace {:?} is active: suspend it first, so that nobody works in it while it goes",
                workspace.name
            ),
        ));
    }
    search.forget_workspace(id).map_err(|error| {
        Fault::internal(format!(
            "removing the workspace from the search index: {error}"
        ))
    })?;
    let mut plugin_files = 0;
    if let Some(folder) = plugins_folder.map(|folder| folder.join(id.to_string()))
        && folder.is_dir()
    {
        plugin_files = std::fs::read_dir(&folder).map_or(0, |files| files.count() as u64);
        std::fs::remove_dir_all(&folder)
            .map_err(|error| Fault::internal(format!("removing {}: {error}", folder.display())))?;
    }
    let removed = store.remove_workspace(id).await?;
    Ok(RemovedWorkspace {
        plugin_files,
        ..removed
    })
}
