//! API tokens, and ending an agent's access: their sessions and tokens.

use switchboard_model::{ApiToken, Id, NewApiToken};

use super::require;
use crate::engine::txn::{Read, Scan, Txn};
use crate::keys::{self, key, key_str};
use crate::{Session, StoreError, StoreResult};

pub fn create_api_token(
    txn: &mut Txn,
    workspace_id: Id,
    agent_id: Id,
    new: NewApiToken,
    secret_hash: [u8; 32],
) -> StoreResult<ApiToken> {
    require(txn, keys::AGENT, "agent", workspace_id, agent_id)?;
    let token = ApiToken {
        id: txn.next_id(),
        workspace_id,
        agent_id,
        name: new.name,
        created_at: txn.now,
        scope: new.scope,
        expires_at: new.expires_at,
    };
    txn.put_json(key_str(keys::TOKEN, &[], &hex::encode(secret_hash)), &token)?;
    txn.put(
        key(keys::TOKEN_BY_WORKSPACE, &[workspace_id, token.id]),
        secret_hash.to_vec(),
    );
    Ok(token)
}

pub fn revoke_api_token(txn: &mut Txn, workspace_id: Id, id: Id) -> StoreResult<()> {
    let index = key(keys::TOKEN_BY_WORKSPACE, &[workspace_id, id]);
    let secret_hash = txn
        .get(&index)?
        .ok_or_else(|| StoreError::not_found("API token", id))?;
    txn.remove(key_str(keys::TOKEN, &[], &hex::encode(secret_hash)));
    txn.remove(index);
    Ok(())
}

pub fn revoke_agent_access(
    txn: &mut Txn,
    workspace_id: Id,
    agent_id: Id,
    keep_session: Option<[u8; 32]>,
) -> StoreResult<()> {
    let kept = keep_session.map(hex::encode);
    for (session_key, value) in Scan::scan_prefix(txn, keys::SESSION)? {
        let session: Session = serde_json::from_slice(&value)?;
        let secret = String::from_utf8_lossy(&session_key[keys::SESSION.len()..]).into_owned();
        if session.workspace_id == workspace_id
            && session.agent_id == agent_id
            && kept.as_deref() != Some(secret.as_str())
        {
            txn.remove(session_key);
        }
    }
    for (index, secret_hash) in
        Scan::scan_prefix(txn, &key(keys::TOKEN_BY_WORKSPACE, &[workspace_id]))?
    {
        let token_key = key_str(keys::TOKEN, &[], &hex::encode(&secret_hash));
        if let Some(token) = txn.get_json::<ApiToken>(&token_key)?
            && token.agent_id == agent_id
        {
            txn.remove(token_key);
            txn.remove(index);
        }
    }
    Ok(())
}
