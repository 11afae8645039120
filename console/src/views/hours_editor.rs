//! Business hours as admins edit them, for the workspace (Settings › Hours & rules) and for a
//! team (Settings › Teams): none, or one opening a day, read in a time zone, and holidays.

use switchboard_model::{BusinessHours, Holiday, OpenPeriod};
use yew::prelude::*;

use crate::i18n::{Locale, routing_texts};
use crate::views::profile::{checked_of, value_of};

/// The days in the order the week is shown: Monday first, as in Latin America.
const WEEK: [u8; 7] = [1, 2, 3, 4, 5, 6, 0];

/// Opening hours from nine to six on weekdays: what "always open" becomes when unticked.
fn weekdays() -> BusinessHours {
    BusinessHours {
        time_zone: None,
        week: (1..=5)
            .map(|day| OpenPeriod {
                day,
                from: "09:00".into(),
                to: "18:00".into(),
            })
            .collect(),
        holidays: Vec::new(),
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub hours: Option<BusinessHours>,
    pub on_change: Callback<Option<BusinessHours>>,
    /// The time zone the hours are read in, as the hint names it.
    pub zone: String,
    pub locale: Locale,
    /// What having no hours means here: always open (the workspace), or the workspace's hours
    /// (a team).
    pub unset: &'static str,
}

/// A callback that changes the hours with what the event says, then hands them on.
fn change<E: AsRef<Event> + 'static>(
    props: &Props,
    apply: impl Fn(&mut Option<BusinessHours>, &Event) + 'static,
) -> Callback<E> {
    let (hours, on_change) = (props.hours.clone(), props.on_change.clone());
    Callback::from(move |event: E| {
        let mut next = hours.clone();
        apply(&mut next, event.as_ref());
        on_change.emit(next);
    })
}

/// Business hours: none (see [`Props::unset`]), or a row a day (ticked when open, from and to)
/// and holidays.
#[function_component(HoursEditor)]
pub fn hours_editor(props: &Props) -> Html {
    let r = routing_texts(props.locale);
    let unset = props.hours.is_none();
    let on_unset = change::<Event>(props, |hours, event| {
        *hours = (!checked_of(event)).then(weekdays);
    });
    let day_row = |day: u8| {
        let period = props
            .hours
            .as_ref()
            .and_then(|hours| hours.week.iter().find(|period| period.day == day));
        let open = period.is_some();
        let (from, to) = period.map_or(("09:00".into(), "18:00".into()), |period| {
            (period.from.clone(), period.to.clone())
        });
        let on_open = change::<Event>(props, move |hours, event| {
            if let Some(hours) = hours {
                hours.week.retain(|period| period.day != day);
                if checked_of(event) {
                    hours.week.push(OpenPeriod {
                        day,
                        from: "09:00".into(),
                        to: "18:00".into(),
                    });
                    hours.week.sort_by_key(|period| period.day);
                }
            }
        });
        let time = move |is_from: bool| {
            change::<InputEvent>(props, move |hours, event| {
                let typed = value_of(event);
                let period = hours
                    .as_mut()
                    .and_then(|hours| hours.week.iter_mut().find(|period| period.day == day));
                if let Some(period) = period {
                    if is_from {
                        period.from = typed;
                    } else {
                        period.to = typed;
                    }
                }
            })
        };
        let name = r.days[usize::from(day)];
        html! {
            <li class="day" data-day={day.to_string()}>
                <label class="check"><input type="checkbox" name={format!("open-{day}")}
                    checked={open} onchange={on_open} />{ name }</label>
                if open {
                    <label>{ r.from }<input type="time" name={format!("from-{day}")} value={from}
                        oninput={time(true)} /></label>
                    <label>{ r.to }<input type="time" name={format!("to-{day}")} value={to}
                        oninput={time(false)} /></label>
                }
            </li>
        }
    };
    let holidays = props
        .hours
        .as_ref()
        .map(|hours| hours.holidays.clone())
        .unwrap_or_default();
    let holiday_row = |(n, holiday): (usize, &Holiday)| {
        let edit = move |is_date: bool| {
            change::<InputEvent>(props, move |hours, event| {
                if let Some(holiday) = hours.as_mut().and_then(|hours| hours.holidays.get_mut(n)) {
                    let typed = value_of(event);
                    if is_date {
                        holiday.date = typed;
                    } else {
                        holiday.name = typed;
                    }
                }
            })
        };
        let remove = change::<MouseEvent>(props, move |hours, _| {
            if let Some(hours) = hours {
                hours.holidays.remove(n);
            }
        });
        html! {
            <li class="holiday">
                <input type="date" name="holiday-date" aria-label={r.holidays}
                    value={holiday.date.clone()} oninput={edit(true)} />
                <input name="holiday-name" aria-label={r.holiday_name} maxlength="80"
                    value={holiday.name.clone()} oninput={edit(false)} />
                <button type="button" class="remove" onclick={remove}>{ r.remove }</button>
            </li>
        }
    };
    let add_holiday = change::<MouseEvent>(props, |hours, _| {
        if let Some(hours) = hours {
            hours.holidays.push(Holiday {
                date: String::new(),
                name: String::new(),
            });
        }
    });
    html! {
        <div class="hours-editor">
            <p class="hint">{ r.hours_zone.replace("{zone}", &props.zone) }</p>
            <label class="check"><input type="checkbox" name="always-open" checked={unset}
                onchange={on_unset} />{ props.unset }</label>
            if !unset {
                <ul class="week">{ for WEEK.into_iter().map(day_row) }</ul>
                <h3>{ r.holidays }</h3>
                <ul class="holidays">{ for holidays.iter().enumerate().map(holiday_row) }</ul>
                <button type="button" class="add-holiday" onclick={add_holiday}>
                    { "+ " }{ r.add_holiday }</button>
            }
        </div>
    }
}
