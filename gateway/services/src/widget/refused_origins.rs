//! The sites a website chat refused because they are not among the channel's
//! `allowed_origins`, kept per channel so that an admin sees "refused from http://shop.example
//! (12 times today)" and allows the site in one step. Anonymous requests write here, so what is
//! kept is bounded: counts only, at most [`KEPT_SITES`] sites a channel, none refused last more
//! than [`KEPT_DAYS`] days ago.

use serde::{Deserialize, Serialize};
use switchboard_model::{Channel, Millis, RefusedOrigin, now_millis};
use switchboard_store::ChannelRecord;

use crate::{DAY_MS, Fault, ServiceResult, Services};

/// Sites kept a channel; a new one takes the place of the one refused least today.
const KEPT_SITES: usize = 32;
/// Days a site is kept after it was last refused.
const KEPT_DAYS: i64 = 7;
/// The longest origin kept (a host name has at most 253 characters).
const LONGEST_ORIGIN: usize = 300;

/// What the store keeps for one channel.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Tally {
    sites: Vec<Site>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Site {
    origin: String,
    /// The UTC day (days since 1970-01-01) that `times` were counted on.
    day: i64,
    times: u64,
    last_refused_at: Millis,
}

impl Site {
    fn times_on(&self, day: i64) -> u64 {
        if self.day == day { self.times } else { 0 }
    }
}

impl Tally {
    /// Counts one refusal of `origin` at `now`, forgetting sites not refused for
    /// [`KEPT_DAYS`] and, when [`KEPT_SITES`] are kept, the one refused least today.
    fn count(&mut self, origin: String, now: Millis) {
        let today = now.div_euclid(DAY_MS);
        self.sites.retain(|site| today - site.day < KEPT_DAYS);
        let index = match self.sites.iter().position(|site| site.origin == origin) {
            Some(index) => index,
            None => {
                if self.sites.len() >= KEPT_SITES
                    && let Some(least) = (0..self.sites.len()).min_by_key(|&index| {
                        let site = &self.sites[index];
                        (site.times_on(today), site.last_refused_at)
                    })
                {
                    self.sites.swap_remove(least);
                }
                self.sites.push(Site {
                    origin,
                    day: today,
                    times: 0,
                    last_refused_at: now,
                });
                self.sites.len() - 1
            }
        };
        let site = &mut self.sites[index];
        if site.day != today {
            site.day = today;
            site.times = 0;
        }
        site.times += 1;
        site.last_refused_at = now;
    }

    /// The sites as admins see them at `now`, the latest refused first, leaving out those
    /// `allowed` now.
    fn listed(&self, now: Millis, allowed: &[String]) -> Vec<RefusedOrigin> {
        let today = now.div_euclid(DAY_MS);
        let mut sites: Vec<RefusedOrigin> = self
            .sites
            .iter()
            .filter(|site| today - site.day < KEPT_DAYS && !allowed.contains(&site.origin))
            .map(|site| RefusedOrigin {
                origin: site.origin.clone(),
                times_today: site.times_on(today),
                last_refused_at: site.last_refused_at,
            })
            .collect();
        sites.sort_by_key(|site| std::cmp::Reverse(site.last_refused_at));
        sites
    }
}

/// A refused `Origin` header as it is kept: scheme, host and port of a web page; nothing for
/// `null`, a file or anything else that is no website.
fn site(origin: &str) -> Option<String> {
    (origin.contains("://") && origin.len() <= LONGEST_ORIGIN)
        .then(|| crate::origin::parse_allowed(origin).ok())
        .flatten()
}

async fn tally(state: &Services, channel: &Channel) -> ServiceResult<Tally> {
    let stored = state
        .store
        .channel_record(
            channel.workspace_id,
            channel.id,
            ChannelRecord::RefusedOrigins,
        )
        .await?;
    // Counts are hints: a record that cannot be read starts again rather than fail.
    Ok(stored
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

/// Counts one refusal of the page `origin` (an `Origin` header) by the channel's widget.
pub async fn record(state: &Services, channel: &Channel, origin: &str) -> ServiceResult<()> {
    let Some(origin) = site(origin) else {
        return Ok(());
    };
    let mut tally = tally(state, channel).await?;
    tally.count(origin, now_millis());
    let bytes = serde_json::to_vec(&tally).map_err(|error| Fault::internal(error.to_string()))?;
    state
        .store
        .put_channel_record(
            channel.workspace_id,
            channel.id,
            ChannelRecord::RefusedOrigins,
            bytes,
        )
        .await?;
    Ok(())
}

/// The sites the channel's widget refused in the last [`KEPT_DAYS`] days and does not allow
/// now, the latest refused first.
pub async fn list(state: &Services, channel: &Channel) -> ServiceResult<Vec<RefusedOrigin>> {
    Ok(tally(state, channel)
        .await?
        .listed(now_millis(), &super::allowed_origins(channel)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: Millis = 20_000 * DAY_MS + DAY_MS / 2;

    #[test]
    fn refusals_are_counted_per_site_and_day_and_allowed_sites_are_left_out() {
        let mut tally = Tally::default();
        for _ in 0..3 {
            tally.count("http://shop.example".into(), NOON - DAY_MS);
        }
        tally.count("http://shop.example".into(), NOON);
        tally.count("http://shop.example".into(), NOON + 1);
        tally.count("https://blog.example".into(), NOON + 2);
        let listed = tally.listed(NOON + 3, &[]);
        assert_eq!(
            listed
                .iter()
                .map(|site| (site.origin.as_str(), site.times_today))
                .collect::<Vec<_>>(),
            [("https://blog.example", 1), ("http://shop.example", 2)],
            "the latest first, counting today only"
        );
        assert_eq!(
            tally.listed(NOON + DAY_MS, &["http://shop.example".into()])[0].times_today,
            0,
            "a new day starts at 0; an allowed site is left out"
        );
        assert_eq!(
            tally
                .listed(NOON + DAY_MS, &["http://shop.example".into()])
                .len(),
            1
        );
        assert!(
            tally.listed(NOON + KEPT_DAYS * DAY_MS, &[]).is_empty(),
            "a week later nothing is left"
        );
    }

    #[test]
    fn a_flood_of_made_up_sites_keeps_few_and_not_the_busiest() {
        let mut tally = Tally::default();
        for _ in 0..50 {
            tally.count("http://shop.example".into(), NOON);
        }
        for made_up in 0..10_000 {
            tally.count(format!("https://{made_up}.flood.example"), NOON + 1);
        }
        let listed = tally.listed(NOON + 2, &[]);
        assert_eq!(listed.len(), KEPT_SITES);
        assert!(
            listed
                .iter()
                .any(|site| site.origin == "http://shop.example" && site.times_today == 50),
            "{listed:?}"
        );
    }

    #[test]
    fn only_a_web_pages_origin_is_kept() {
        assert_eq!(
            site("http://Shop.Example:8080"),
            Some("http://shop.example:8080".into())
        );
        assert_eq!(site("null"), None);
        assert_eq!(site("file://"), None);
        assert_eq!(site("shop.example"), None, "an Origin header has a scheme");
        assert_eq!(site(&format!("https://{}.example", "a".repeat(400))), None);
    }
}
