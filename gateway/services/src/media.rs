//! Files of inbound messages that the provider keeps behind a request (a media URL that needs
//! the channel's token): the host fetches them within the plugin's grants and the gateway's
//! attachment limit, so a large file never passes through the plugin.

use std::time::{Duration, Instant};

use switchboard_model::LeftOutReason;
use switchboard_plugins::Grants;
use switchboard_plugins::latest::HttpRequest;

use crate::{Fault, ServiceResult, Services};

/// Longest a file's download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// The file's bytes, or why it was left out (with its size when that was the reason).
pub async fn fetch(
    state: &Services,
    grants: &Grants,
    request: HttpRequest,
    limit: u64,
) -> ServiceResult<Result<Vec<u8>, (LeftOutReason, Option<u64>)>> {
    if let Err(refusal) = grants.check_url(&request.url) {
        tracing::warn!(%refusal, "a plugin named a file on a host it was not granted");
        return Ok(Err((LeftOutReason::Unreadable, None)));
    }
    let fetcher = state.plugins.fetcher.clone();
    let deadline = Instant::now() + DOWNLOAD_TIMEOUT;
    // One byte over the limit tells a file that is too large from one that fits exactly.
    let cap = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let answer = tokio::task::spawn_blocking(move || fetcher.fetch_up_to(request, deadline, cap))
        .await
        .map_err(|error| Fault::internal(error.to_string()))?;
    Ok(match answer {
        Ok(response) if (200..300).contains(&response.status) => Ok(response.body),
        Ok(response) => {
            tracing::warn!(
                status = response.status,
                "the provider did not hand over a file"
            );
            Err((LeftOutReason::Unreadable, None))
        }
        Err(reason) if reason.contains("length limit exceeded") => {
            Err((LeftOutReason::TooLarge, None))
        }
        Err(reason) => {
            tracing::warn!(%reason, "a file could not be fetched");
            Err((LeftOutReason::Unreadable, None))
        }
    })
}
