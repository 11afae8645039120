//! Whether a workspace may be used now: the installation's operator may have suspended it.

use switchboard_model::{Id, Workspace};

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
