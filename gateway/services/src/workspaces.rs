//! Whether a workspace may be used now (the installation's operator may have suspended it),
//! and removing one for good.

use std::path::Path;

use switchboard_model::{Id, RemovedWorkspace, Workspace};
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
