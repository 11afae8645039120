//! When a website chat is staffed: the channel's `office_hours` in its own time zone (IANA
//! names, so daylight-saving changes are followed), checked when the settings are written and
//! read leniently afterwards (a visitor's request never fails on a stored value).

use chrono::{Datelike, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use switchboard_model::{Channel, OfficeHours, WebchatSettings};

/// Whether `channel`'s chat is staffed at `now`: always, without office hours.
pub fn staffed(channel: &Channel, now: i64) -> bool {
    WebchatSettings::read(&channel.settings)
        .office_hours
        .is_none_or(|hours| is_open(&hours, now))
}

/// Why `hours` cannot be used, naming the field and the value; `Ok` when it can.
pub fn check(hours: &OfficeHours) -> Result<(), String> {
    if let Some(name) = &hours.time_zone
        && name.parse::<Tz>().is_err()
    {
        return Err(format!(
            "`office_hours.time_zone` {name:?} is not a time zone: use an IANA name such as \"America/Bogota\" or \"America/Sao_Paulo\""
        ));
    }
    if let Some(offset) = hours.utc_offset_minutes
        && !(-14 * 60..=14 * 60).contains(&offset)
    {
        return Err(format!(
            "`office_hours.utc_offset_minutes` {offset} is not an offset from UTC (between -840 and 840)"
        ));
    }
    if let Some(day) = hours.days.iter().find(|day| **day > 6) {
        return Err(format!(
            "`office_hours.days` holds {day}: days are 0 (Sunday) to 6 (Saturday)"
        ));
    }
    let from = minute_of_day(&hours.from).ok_or_else(|| not_a_time("from", &hours.from))?;
    let to = minute_of_day(&hours.to).ok_or_else(|| not_a_time("to", &hours.to))?;
    if from == to {
        return Err(format!(
            "`office_hours.from` and `office_hours.to` are both {}: the chat would never be staffed",
            hours.from
        ));
    }
    Ok(())
}

fn not_a_time(field: &str, value: &str) -> String {
    format!("`office_hours.{field}` {value:?} is not a time of day: write it as \"09:00\"")
}

/// Whether the chat is staffed at `now` (Unix milliseconds). Hours whose `to` comes before
/// their `from` run past midnight into the next day. Values that do not read (which the
/// settings check refuses) count as always staffed, so that nobody is turned away.
pub fn is_open(hours: &OfficeHours, now: i64) -> bool {
    let (Some(from), Some(to)) = (minute_of_day(&hours.from), minute_of_day(&hours.to)) else {
        return true;
    };
    let Some(utc) = Utc.timestamp_millis_opt(now).single() else {
        return true;
    };
    let (weekday, minute) = match (&hours.time_zone, hours.utc_offset_minutes) {
        (Some(name), _) => match name.parse::<Tz>() {
            Ok(zone) => {
                let local = utc.with_timezone(&zone);
                (local.weekday(), local.hour() * 60 + local.minute())
            }
            Err(_) => return true,
        },
        (None, offset) => {
            let local = utc + chrono::Duration::minutes(i64::from(offset.unwrap_or(0)));
            (local.weekday(), local.hour() * 60 + local.minute())
        }
    };
    let today = weekday.num_days_from_sunday() as u8;
    let yesterday = weekday.pred().num_days_from_sunday() as u8;
    if from < to {
        hours.days.contains(&today) && (from..to).contains(&minute)
    } else {
        (hours.days.contains(&today) && minute >= from)
            || (hours.days.contains(&yesterday) && minute < to)
    }
}

/// "HH:MM" as minutes since midnight.
fn minute_of_day(text: &str) -> Option<u32> {
    let (hour, minute) = text.trim().split_once(':')?;
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    (hour < 24 && minute < 60).then_some(hour * 60 + minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(time_zone: &str, from: &str, to: &str) -> OfficeHours {
        OfficeHours {
            time_zone: Some(time_zone.into()),
            utc_offset_minutes: None,
            days: vec![1, 2, 3, 4, 5],
            from: from.into(),
            to: to.into(),
        }
    }

    /// Unix milliseconds of a UTC date and time.
    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> i64 {
        Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .expect("a time")
            .timestamp_millis()
    }

    #[test]
    fn office_hours_follow_daylight_saving_time() {
        // Santiago de Chile: UTC-3 in January (summer time), UTC-4 in July.
        let santiago = hours("America/Santiago", "09:00", "18:00");
        // Monday 2026-01-05 at 12:30 UTC is 09:30 in Santiago: open.
        assert!(is_open(&santiago, at(2026, 1, 5, 12, 30)));
        // Monday 2026-07-06 at 12:30 UTC is 08:30 in Santiago: not yet.
        assert!(!is_open(&santiago, at(2026, 7, 6, 12, 30)));
        assert!(is_open(&santiago, at(2026, 7, 6, 13, 30)));
    }

    #[test]
    fn days_are_the_local_ones_and_hours_may_run_past_midnight() {
        // Friday 2026-01-09 23:30 in Bogotá (UTC-5) is Saturday 04:30 UTC.
        let bogota = hours("America/Bogota", "09:00", "18:00");
        assert!(!is_open(&bogota, at(2026, 1, 10, 4, 30)));
        let night = hours("America/Bogota", "22:00", "02:00");
        assert!(is_open(&night, at(2026, 1, 10, 4, 30)), "Friday 23:30");
        // Saturday 01:30 in Bogotá: the night that began on Friday.
        assert!(is_open(&night, at(2026, 1, 10, 6, 30)));
        // Sunday 01:30: Saturday is not a working day.
        assert!(!is_open(&night, at(2026, 1, 11, 6, 30)));
    }

    #[test]
    fn a_fixed_offset_still_works_without_a_time_zone() {
        let old = OfficeHours {
            time_zone: None,
            utc_offset_minutes: Some(-180),
            ..hours("", "09:00", "18:00")
        };
        // Monday 12:30 UTC is 09:30 at UTC-3.
        assert!(is_open(&old, at(2026, 1, 5, 12, 30)));
        assert!(!is_open(&old, at(2026, 1, 5, 11, 30)));
    }

    #[test]
    fn bad_values_are_named() {
        let wrong_zone = check(&hours("America/Bogata", "09:00", "18:00")).expect_err("refused");
        assert!(wrong_zone.contains("America/Bogata"), "{wrong_zone}");
        let wrong_time = check(&hours("America/Lima", "9h", "18:00")).expect_err("refused");
        assert!(wrong_time.contains("office_hours.from"), "{wrong_time}");
        let wrong_day = check(&OfficeHours {
            days: vec![1, 7],
            ..hours("America/Lima", "09:00", "18:00")
        })
        .expect_err("refused");
        assert!(wrong_day.contains("7"), "{wrong_day}");
        assert!(check(&hours("America/Mexico_City", "08:30", "17:30")).is_ok());
    }
}
