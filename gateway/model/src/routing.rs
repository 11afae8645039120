//! How new conversations find their team and agent: a workspace's business hours and away
//! message, its routing rules, and the round robin of a team's members. The rules here are
//! pure; the store applies them as a conversation is created, the gateway's services tell the
//! hours in a real time zone.

use serde::{Deserialize, Serialize};

use crate::text::folded;
use crate::{Id, Identity};

/// A workspace's routing: when it answers, what a contact who writes outside those hours is
/// told, and which team or labels a new conversation gets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Routing {
    /// When the business answers; always, when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BusinessHours>,
    /// Sent to a contact who writes outside the hours, on any channel, at most once a day per
    /// contact and channel (never to mail a machine sent); nothing is sent when empty.
    #[serde(default)]
    pub away_message: String,
    /// Tried in order on a new conversation's first message: the first that matches decides.
    #[serde(default)]
    pub rules: Vec<RoutingRule>,
}

/// When a business (or one of its teams) answers, in a real time zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusinessHours {
    /// An IANA time zone (`America/Lima`); the workspace's own when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The periods it is open; a day with none is closed. A period whose `to` comes before its
    /// `from` runs past midnight.
    #[serde(default)]
    pub week: Vec<OpenPeriod>,
    /// Whole days it is closed, in its time zone.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// One opening on one day of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenPeriod {
    /// 0 (Sunday) to 6 (Saturday).
    pub day: u8,
    /// `HH:MM`.
    pub from: String,
    /// `HH:MM`; `24:00` for midnight at the end of the day.
    pub to: String,
}

/// A day the business is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Holiday {
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(default)]
    pub name: String,
}

/// Where new conversations that match go. Each condition given must match (a list matches when
/// any of its entries does); a rule with no condition matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingRule {
    pub name: String,
    /// The channels it applies to; any, when empty.
    #[serde(default)]
    pub channel_ids: Vec<Id>,
    /// Senders: an address (`ana@tienda.co`), a domain (`tienda.co` or `@tienda.co`) or a
    /// phone number; any, when empty.
    #[serde(default)]
    pub senders: Vec<String>,
    /// Words or phrases found in the subject or the text, whatever their case or accents;
    /// any text, when empty.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The team the conversation goes to; the channel's default team when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Id>,
    /// Labels the conversation gets.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// The first message of a new conversation, as rules read it.
pub struct FirstMessage<'a> {
    pub channel_id: Id,
    pub sender: &'a Identity,
    pub subject: Option<&'a str>,
    pub text: &'a str,
}

/// The most rules a workspace keeps.
pub const MAX_RULES: usize = 100;
/// The longest away message, in characters.
pub const MAX_AWAY_MESSAGE_CHARS: usize = 2_000;
/// The most entries in one of a rule's lists, and the most holidays or periods.
pub const MAX_LIST: usize = 200;

impl Routing {
    /// The first rule that matches `message`, if one does.
    pub fn route(&self, message: &FirstMessage) -> Option<&RoutingRule> {
        self.rules.iter().find(|rule| rule.matches(message))
    }

    /// What is wrong with it as written: the field and why; `None` when it can be used. Time
    /// zones and the ids rules name are the gateway's to check.
    pub fn problem(&self) -> Option<(String, String)> {
        if self.away_message.chars().count() > MAX_AWAY_MESSAGE_CHARS {
            return Some(field(
                "away_message",
                format!("is longer than {MAX_AWAY_MESSAGE_CHARS} characters"),
            ));
        }
        if self.rules.len() > MAX_RULES {
            return Some(field("rules", format!("holds more than {MAX_RULES} rules")));
        }
        if let Some(problem) = self.hours.as_ref().and_then(|hours| hours.problem("hours")) {
            return Some(problem);
        }
        self.rules
            .iter()
            .enumerate()
            .find_map(|(n, rule)| rule.problem(&format!("rules[{n}]")))
    }
}

/// A field and what is wrong with it, the message naming the field.
fn field(name: &str, why: String) -> (String, String) {
    (name.to_string(), format!("`{name}` {why}"))
}

impl BusinessHours {
    /// What is wrong with the hours (fields named under `at`): the field and why; `None` when
    /// they can be used.
    pub fn problem(&self, at: &str) -> Option<(String, String)> {
        if self.week.len() > MAX_LIST || self.holidays.len() > MAX_LIST {
            return Some(field(
                at,
                format!("holds more than {MAX_LIST} periods or {MAX_LIST} holidays"),
            ));
        }
        for (n, period) in self.week.iter().enumerate() {
            let at = format!("{at}.week[{n}]");
            if period.day > 6 {
                return Some(field(
                    &format!("{at}.day"),
                    format!("is {}: days are 0 (Sunday) to 6 (Saturday)", period.day),
                ));
            }
            for (end, time) in [("from", &period.from), ("to", &period.to)] {
                if minute_of_day(time).is_none() {
                    return Some(field(
                        &format!("{at}.{end}"),
                        format!("{time:?} is not a time of day: write it as \"09:00\""),
                    ));
                }
            }
            if minute_of_day(&period.from) == minute_of_day(&period.to) {
                return Some(field(
                    &at,
                    format!(
                        "opens and closes at {}: it would never be open",
                        period.from
                    ),
                ));
            }
        }
        self.holidays.iter().enumerate().find_map(|(n, holiday)| {
            date_parts(&holiday.date).is_none().then(|| {
                field(
                    &format!("{at}.holidays[{n}].date"),
                    format!(
                        "{:?} is not a date: write it as \"2026-12-25\"",
                        holiday.date
                    ),
                )
            })
        })
    }

    /// Whether it is open at `minute` (since local midnight) of `weekday` (0 is Sunday) on the
    /// local `date` (`YYYY-MM-DD`), and of `yesterday` for periods that run past midnight.
    pub fn open_at(&self, date: &str, yesterday: &str, weekday: u8, minute: u32) -> bool {
        let holiday = |day: &str| self.holidays.iter().any(|holiday| holiday.date == day);
        let previous = (weekday + 6) % 7;
        self.week.iter().any(|period| {
            let (Some(from), Some(to)) = (minute_of_day(&period.from), minute_of_day(&period.to))
            else {
                return false;
            };
            if from < to {
                period.day == weekday && (from..to).contains(&minute) && !holiday(date)
            } else {
                (period.day == weekday && minute >= from && !holiday(date))
                    || (period.day == previous && minute < to && !holiday(yesterday))
            }
        })
    }
}

impl RoutingRule {
    /// Whether the rule applies to `message`.
    pub fn matches(&self, message: &FirstMessage) -> bool {
        let channel = self.channel_ids.is_empty() || self.channel_ids.contains(&message.channel_id);
        let sender = self.senders.is_empty()
            || self
                .senders
                .iter()
                .any(|sender| sender_matches(sender, message.sender));
        let keyword = self.keywords.is_empty() || {
            let text = folded(&format!(
                "{}\n{}",
                message.subject.unwrap_or_default(),
                message.text
            ));
            self.keywords
                .iter()
                .map(|keyword| folded(keyword.trim()))
                .any(|keyword| !keyword.is_empty() && text.contains(&keyword))
        };
        channel && sender && keyword
    }

    fn problem(&self, at: &str) -> Option<(String, String)> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Some(field(
                &format!("{at}.name"),
                "must have 1 to 100 characters".into(),
            ));
        }
        let lists = [
            ("channel_ids", self.channel_ids.len()),
            ("senders", self.senders.len()),
            ("keywords", self.keywords.len()),
            ("labels", self.labels.len()),
        ];
        if let Some((list, _)) = lists.iter().find(|(_, len)| *len > MAX_LIST) {
            return Some(field(
                &format!("{at}.{list}"),
                format!("holds more than {MAX_LIST} entries"),
            ));
        }
        if let Some(sender) = self.senders.iter().find(|sender| {
            let sender = sender.trim();
            sender.is_empty() || sender.contains(char::is_whitespace)
        }) {
            return Some(field(
                &format!("{at}.senders"),
                format!("holds {sender:?}: write an address, a domain or a phone number"),
            ));
        }
        if self
            .keywords
            .iter()
            .any(|keyword| keyword.trim().is_empty())
        {
            return Some(field(
                &format!("{at}.keywords"),
                "holds an empty keyword".into(),
            ));
        }
        (self.team_id.is_none() && self.labels.is_empty()).then(|| {
            field(
                at,
                "neither sends to a team nor adds a label: give it one or both".into(),
            )
        })
    }
}

/// Whether the sender written in a rule names `identity`: the same address or phone number, or
/// the address's domain.
fn sender_matches(written: &str, identity: &Identity) -> bool {
    let written = written.trim().to_lowercase();
    let identity = identity.normalized();
    match identity.kind.as_str() {
        "email" => {
            if written.contains('@') && !written.starts_with('@') {
                identity.value == written
            } else {
                let domain = written.trim_start_matches('@');
                identity
                    .value
                    .rsplit_once('@')
                    .is_some_and(|(_, own)| own == domain)
            }
        }
        "phone" => {
            let digits = |text: &str| {
                text.chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            };
            let written = digits(&written);
            !written.is_empty() && digits(&identity.value) == written
        }
        _ => identity.value.to_lowercase() == written,
    }
}

/// Who is next in a team's round robin: the first of `members` after `last` (wrapping around)
/// that `available` accepts; from the start when `last` is not a member.
pub fn next_in_turn(
    members: &[Id],
    last: Option<Id>,
    available: impl Fn(Id) -> bool,
) -> Option<Id> {
    let start = last
        .and_then(|last| members.iter().position(|member| *member == last))
        .map_or(0, |at| at + 1);
    (0..members.len())
        .map(|step| members[(start + step) % members.len()])
        .find(|member| available(*member))
}

/// `HH:MM` as minutes since midnight; `24:00` is the end of the day.
pub fn minute_of_day(text: &str) -> Option<u32> {
    let (hour, minute) = text.trim().split_once(':')?;
    if hour.len() > 2 || minute.len() != 2 {
        return None;
    }
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    ((hour < 24 && minute < 60) || (hour == 24 && minute == 0)).then_some(hour * 60 + minute)
}

/// A `YYYY-MM-DD` date's year, month and day, when it is one.
fn date_parts(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day) = (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(address: &str) -> Identity {
        Identity::new("email", address)
    }

    fn first<'a>(channel_id: Id, sender: &'a Identity, text: &'a str) -> FirstMessage<'a> {
        FirstMessage {
            channel_id,
            sender,
            subject: None,
            text,
        }
    }

    fn rule(name: &str) -> RoutingRule {
        RoutingRule {
            name: name.into(),
            team_id: Some(1),
            ..RoutingRule::default()
        }
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let routing = Routing {
            rules: vec![
                RoutingRule {
                    keywords: vec!["Facturación".into()],
                    ..rule("billing")
                },
                RoutingRule {
                    senders: vec!["@distribuidora.com.mx".into()],
                    ..rule("wholesale")
                },
                rule("everything else"),
            ],
            ..Routing::default()
        };
        let ana = email("Ana@Distribuidora.com.mx");
        let named = |message: &FirstMessage| routing.route(message).map(|rule| rule.name.clone());
        assert_eq!(
            named(&first(7, &ana, "Una duda de FACTURACION")).as_deref(),
            Some("billing"),
            "case and accents do not matter"
        );
        assert_eq!(
            named(&first(7, &ana, "¿Tienen stock?")).as_deref(),
            Some("wholesale")
        );
        let other = email("joao@loja.com.br");
        assert_eq!(
            named(&first(7, &other, "Olá")).as_deref(),
            Some("everything else")
        );
    }

    #[test]
    fn every_condition_given_must_match() {
        let rule = RoutingRule {
            channel_ids: vec![3],
            senders: vec!["ana@tienda.co".into(), "+57 300 123 4567".into()],
            keywords: vec!["devolución".into()],
            ..rule("returns")
        };
        let ana = email("ana@tienda.co");
        let phone = Identity::new("phone", "+573001234567");
        assert!(rule.matches(&first(3, &ana, "quiero una devolucion")));
        assert!(rule.matches(&first(3, &phone, "Devolución del pedido")));
        assert!(
            !rule.matches(&first(4, &ana, "quiero una devolución")),
            "channel"
        );
        assert!(!rule.matches(&first(3, &ana, "hola")), "keyword");
        let subject = FirstMessage {
            subject: Some("Devolución"),
            ..first(3, &ana, "hola")
        };
        assert!(rule.matches(&subject), "the subject counts");
        let namesake = email("ana@tienda.co.uk");
        assert!(!rule.matches(&first(3, &namesake, "devolución")), "sender");
    }

    #[test]
    fn the_round_robin_goes_on_after_the_last_and_skips_who_is_unavailable() {
        let members = [10, 20, 30];
        assert_eq!(next_in_turn(&members, None, |_| true), Some(10));
        assert_eq!(next_in_turn(&members, Some(10), |_| true), Some(20));
        assert_eq!(next_in_turn(&members, Some(30), |_| true), Some(10));
        assert_eq!(next_in_turn(&members, Some(10), |id| id != 20), Some(30));
        assert_eq!(next_in_turn(&members, Some(99), |_| true), Some(10));
        assert_eq!(next_in_turn(&members, Some(10), |_| false), None);
        assert_eq!(next_in_turn(&[], None, |_| true), None);
    }

    fn weekdays(from: &str, to: &str) -> BusinessHours {
        BusinessHours {
            time_zone: None,
            week: (1..=5)
                .map(|day| OpenPeriod {
                    day,
                    from: from.into(),
                    to: to.into(),
                })
                .collect(),
            holidays: vec![Holiday {
                date: "2026-12-25".into(),
                name: "Navidad".into(),
            }],
        }
    }

    #[test]
    fn hours_are_open_on_their_days_and_closed_on_holidays() {
        let hours = weekdays("09:00", "18:00");
        // 2026-12-24 is a Thursday (4), 2026-12-25 a Friday.
        assert!(hours.open_at("2026-12-24", "2026-12-23", 4, 9 * 60));
        assert!(!hours.open_at("2026-12-24", "2026-12-23", 4, 18 * 60));
        assert!(!hours.open_at("2026-12-25", "2026-12-24", 5, 10 * 60));
        assert!(!hours.open_at("2026-12-26", "2026-12-25", 6, 10 * 60));
        let night = weekdays("22:00", "06:00");
        assert!(night.open_at("2026-12-24", "2026-12-23", 4, 23 * 60));
        assert!(
            night.open_at("2026-12-19", "2026-12-18", 6, 60),
            "Friday night"
        );
        assert!(
            !night.open_at("2026-12-26", "2026-12-25", 6, 60),
            "the night that began on a holiday"
        );
        assert!(
            !night.open_at("2026-12-26", "2026-12-25", 6, 23 * 60),
            "not Saturday"
        );
        let late = weekdays("14:00", "24:00");
        assert!(late.open_at("2026-12-24", "2026-12-23", 4, 23 * 60 + 59));
    }

    #[test]
    fn what_cannot_be_used_is_named_by_its_field() {
        let mut routing = Routing {
            hours: Some(weekdays("9:00", "18:00")),
            ..Routing::default()
        };
        assert_eq!(routing.problem(), None);
        routing.hours = Some(weekdays("09:00", "6pm"));
        let (field, why) = routing.problem().expect("bad");
        assert_eq!(field, "hours.week[0].to");
        assert!(
            why.contains("`hours.week[0].to` \"6pm\" is not a time of day"),
            "{why}"
        );
        let mut hours = weekdays("09:00", "18:00");
        hours.holidays[0].date = "2026-02-30".into();
        routing.hours = Some(hours);
        assert_eq!(routing.problem().expect("bad").0, "hours.holidays[0].date");
        routing.hours = None;
        routing.rules = vec![RoutingRule {
            name: "nothing".into(),
            ..RoutingRule::default()
        }];
        assert!(
            routing
                .problem()
                .expect("bad")
                .1
                .contains("`rules[0]` neither")
        );
        routing.rules = vec![RoutingRule {
            senders: vec!["ana @tienda.co".into()],
            ..rule("spaces")
        }];
        assert_eq!(routing.problem().expect("bad").0, "rules[0].senders");
    }
}
