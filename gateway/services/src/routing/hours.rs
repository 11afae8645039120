//! Whether business hours are open at a moment, in their time zone (IANA names, so that
//! daylight-saving changes are followed) and with their holidays.

use chrono::{Datelike, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use switchboard_model::{BusinessHours, Millis};

/// Whether `hours` are open at `now` (Unix milliseconds), in their own time zone or else
/// `zone` (the workspace's). A zone that does not read (which the checks refuse when written)
/// counts as UTC, so that a stored value never fails a contact's message.
pub fn open(hours: &BusinessHours, zone: &str, now: Millis) -> bool {
    let zone: Tz = hours
        .time_zone
        .as_deref()
        .unwrap_or(zone)
        .trim()
        .parse()
        .unwrap_or(Tz::UTC);
    let Some(local) = Utc
        .timestamp_millis_opt(now)
        .single()
        .map(|utc| utc.with_timezone(&zone))
    else {
        return true;
    };
    let today = local.date_naive();
    let yesterday = today.pred_opt().unwrap_or(today);
    let weekday = local.weekday().num_days_from_sunday() as u8;
    let minute = local.hour() * 60 + local.minute();
    hours.open_at(
        &today.format("%Y-%m-%d").to_string(),
        &yesterday.format("%Y-%m-%d").to_string(),
        weekday,
        minute,
    )
}

#[cfg(test)]
mod tests {
    use switchboard_model::{Holiday, OpenPeriod};

    use super::*;

    fn weekdays(time_zone: Option<&str>) -> BusinessHours {
        BusinessHours {
            time_zone: time_zone.map(str::to_string),
            week: (1..=5)
                .map(|day| OpenPeriod {
                    day,
                    from: "09:00".into(),
                    to: "18:00".into(),
                })
                .collect(),
            holidays: vec![Holiday {
                date: "2026-07-20".into(),
                name: "Día de la Independencia".into(),
            }],
        }
    }

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> Millis {
        Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .expect("a time")
            .timestamp_millis()
    }

    #[test]
    fn hours_are_read_in_their_zone_or_the_workspaces() {
        // Tuesday 2026-07-21 13:30 UTC is 08:30 in Bogotá (UTC-5) and 09:30 in São Paulo.
        let now = at(2026, 7, 21, 13, 30);
        assert!(!open(&weekdays(None), "America/Bogota", now));
        assert!(open(&weekdays(None), "America/Sao_Paulo", now));
        assert!(open(
            &weekdays(Some("America/Sao_Paulo")),
            "America/Bogota",
            now
        ));
    }

    #[test]
    fn a_holiday_is_closed_in_the_local_calendar() {
        // Monday 2026-07-20 15:00 in Bogotá: a working hour on a holiday.
        assert!(!open(
            &weekdays(None),
            "America/Bogota",
            at(2026, 7, 20, 20, 0)
        ));
        // Tuesday 2026-07-21 02:00 UTC is still Monday the 20th, 21:00, in Bogotá.
        let mut late = weekdays(None);
        late.week = vec![OpenPeriod {
            day: 1,
            from: "20:00".into(),
            to: "23:00".into(),
        }];
        assert!(!open(&late, "America/Bogota", at(2026, 7, 21, 2, 0)));
        late.holidays.clear();
        assert!(open(&late, "America/Bogota", at(2026, 7, 21, 2, 0)));
    }

    #[test]
    fn a_zone_that_does_not_read_counts_as_utc() {
        let now = at(2026, 7, 21, 10, 0);
        assert!(open(&weekdays(Some("Mars/Olympus")), "America/Bogota", now));
    }
}
