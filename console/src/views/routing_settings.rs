//! Settings › Hours & rules: the workspace's business hours (one opening a day, in the
//! workspace's time zone) with its holidays, the away message sent outside them, and the
//! routing rules in order, all saved together. A refusal names the part to check.

use std::cell::RefCell;
use std::rc::Rc;

use switchboard_model::{BusinessHours, Id, Routing, RoutingRule};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{RoutingTexts, Texts, routing_texts, texts};
use crate::state::Console;
use crate::views::channel_editor::said_line;
use crate::views::hours_editor::HoursEditor;
use crate::views::profile::{checked_of, value_of};
use crate::views::workspace::signed_out_on;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

/// The routing being edited: one copy every callback changes in place (so that a change made
/// as a field loses focus is in what a click on Save sends), and a redraw after each change.
#[derive(Clone)]
struct Held {
    routing: Rc<RefCell<Option<Routing>>>,
    redraw: UseForceUpdateHandle,
}

/// A callback that changes the routing being edited with what the event says.
fn change<E: 'static>(held: &Held, apply: impl Fn(&mut Routing, E) + 'static) -> Callback<E> {
    let held = held.clone();
    Callback::from(move |event: E| {
        if let Some(routing) = held.routing.borrow_mut().as_mut() {
            apply(routing, event);
        }
        held.redraw.force_update();
    })
}

/// A list written with commas, as its entries.
fn entries(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words for the part of the routing a refused field is in.
fn part_named(field: &str, r: &RoutingTexts) -> String {
    if field.starts_with("hours.holidays") {
        r.holidays.to_string()
    } else if field.starts_with("hours") {
        r.hours.to_string()
    } else if field.starts_with("away_message") {
        r.away_message.to_string()
    } else if let Some(n) = field
        .strip_prefix("rules[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse::<usize>().ok())
    {
        r.rule_n.replace("{n}", &(n + 1).to_string())
    } else {
        r.rules.to_string()
    }
}

#[function_component(RoutingSettings)]
pub fn routing_settings(props: &Props) -> Html {
    let console = &props.console;
    let (t, r) = (texts(console.locale), routing_texts(console.locale));
    let held = Held {
        routing: use_mut_ref(|| None::<Routing>),
        redraw: use_force_update(),
    };
    let said = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    {
        let (held, said) = (held.clone(), said.setter());
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match api::get::<Routing>("/api/v1/routing").await {
                    Ok(routing) => {
                        *held.routing.borrow_mut() = Some(routing);
                        held.redraw.force_update();
                    }
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
            });
        });
    }
    let Some(routing) = held.routing.borrow().clone() else {
        return said_line(&said);
    };
    let onsubmit = {
        let (said, busy, held) = (said.clone(), busy.clone(), held.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (said, busy) = (said.clone(), busy.clone());
            let routing = held.routing.borrow().clone().unwrap_or_default();
            let on_signed_out = on_signed_out.clone();
            busy.set(true);
            spawn_local(async move {
                let saved = api::put::<Routing>("/api/v1/routing", &routing).await;
                busy.set(false);
                said.set(Some(match saved {
                    Ok(_) => Ok(t.saved.to_string()),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        let why = match &failure {
                            api::Failure::Refused {
                                field: Some(field), ..
                            } => t.check_field.replace("{field}", &part_named(field, r)),
                            _ => failure.said(t.unreachable),
                        };
                        Err(format!("{} {why}", t.not_saved))
                    }
                }));
            });
        })
    };
    let zone = console.me.workspace.time_zone.clone();
    html! {
        <form class="routing-settings" novalidate=true {onsubmit}>
            <section class="card hours">
                <h2>{ r.hours }</h2>
                <HoursEditor hours={routing.hours.clone()} zone={zone} locale={console.locale}
                    unset={r.always_open}
                    on_change={change(&held, |routing, hours: Option<BusinessHours>| routing.hours = hours)} />
            </section>
            <section class="card away">
                <h2><label for="away-message">{ r.away_message }</label></h2>
                <p class="hint">{ r.away_help }</p>
                <textarea id="away-message" name="away_message" rows="3" maxlength="2000"
                    value={routing.away_message.clone()}
                    oninput={change(&held, |routing, event: InputEvent| routing.away_message = value_of(&event))} />
            </section>
            { rules_card(&held, &routing, console, t, r) }
            { said_line(&said) }
            <div class="buttons">
                <button type="submit" class="primary" disabled={*busy}>{ t.save }</button>
            </div>
        </form>
    }
}

/// The rules in order, each with its conditions, its team and labels, and buttons to move or
/// remove it.
fn rules_card(
    held: &Held,
    routing: &Routing,
    console: &Console,
    t: &'static Texts,
    r: &'static RoutingTexts,
) -> Html {
    let count = routing.rules.len();
    let rule_card = |(n, rule): (usize, &RoutingRule)| {
        let text = move |apply: fn(&mut RoutingRule, String)| {
            change(held, move |routing, event: Event| {
                if let Some(rule) = routing.rules.get_mut(n) {
                    apply(rule, value_of(&event));
                }
            })
        };
        let pick_channel = text(|rule, picked| {
            rule.channel_ids = picked.parse::<Id>().ok().into_iter().collect();
        });
        let pick_team = text(|rule, picked| rule.team_id = picked.parse::<Id>().ok());
        let label_box = |name: &str| {
            let name = name.to_string();
            let checked = rule.labels.contains(&name);
            let onchange = {
                let name = name.clone();
                change(held, move |routing, event: Event| {
                    if let Some(rule) = routing.rules.get_mut(n) {
                        rule.labels.retain(|label| *label != name);
                        if checked_of(&event) {
                            rule.labels.push(name.clone());
                        }
                    }
                })
            };
            html! {
                <label class="check"><input type="checkbox" name="rule-label"
                    data-label={name.clone()} {checked} {onchange} />{ name }</label>
            }
        };
        let shift = move |by: isize| {
            change(held, move |routing, _: MouseEvent| {
                let to = n
                    .checked_add_signed(by)
                    .filter(|to| *to < routing.rules.len());
                if let Some(to) = to {
                    routing.rules.swap(n, to);
                }
            })
        };
        let remove = change(held, move |routing, _: MouseEvent| {
            routing.rules.remove(n);
        });
        let channel = rule.channel_ids.first().copied();
        html! {
            <li class="rule" data-rule={rule.name.clone()}>
                <h3>{ r.rule_n.replace("{n}", &(n + 1).to_string()) }</h3>
                <label>{ r.rule_name }<input name="rule-name" maxlength="100" required=true
                    value={rule.name.clone()} oninput={
                        change(held, move |routing, event: InputEvent| {
                            if let Some(rule) = routing.rules.get_mut(n) {
                                rule.name = value_of(&event);
                            }
                        })
                    } /></label>
                <label>{ r.channel }
                    <select name="rule-channel" onchange={pick_channel}>
                        <option value="" selected={channel.is_none()}>{ r.any_channel }</option>
                        { for console.channels.iter().filter(|channel| channel.deleted_at.is_none()).map(|one| html! {
                            <option value={one.id.to_string()} selected={channel == Some(one.id)}>{ &one.name }</option>
                        }) }
                    </select></label>
                <label>{ r.senders }<input name="rule-senders" value={rule.senders.join(", ")}
                    onchange={text(|rule, typed| rule.senders = entries(&typed))} /></label>
                <label>{ r.keywords }<input name="rule-keywords" value={rule.keywords.join(", ")}
                    onchange={text(|rule, typed| rule.keywords = entries(&typed))} /></label>
                <label>{ r.team }
                    <select name="rule-team" onchange={pick_team}>
                        <option value="" selected={rule.team_id.is_none()}>{ r.channels_team }</option>
                        { for console.teams.iter().map(|team| html! {
                            <option value={team.id.to_string()} selected={rule.team_id == Some(team.id)}>{ &team.name }</option>
                        }) }
                    </select></label>
                if !console.labels.is_empty() {
                    <fieldset class="rule-labels"><legend>{ t.labels }</legend>
                        { for console.labels.iter().map(|label| label_box(&label.name)) }
                    </fieldset>
                }
                <div class="rule-buttons">
                    <button type="button" class="up" disabled={n == 0} onclick={shift(-1)}>{ r.move_up }</button>
                    <button type="button" class="down" disabled={n + 1 == count} onclick={shift(1)}>{ r.move_down }</button>
                    <button type="button" class="remove" onclick={remove}>{ r.remove }</button>
                </div>
            </li>
        }
    };
    let add_rule = change(held, move |routing, _: MouseEvent| {
        let n = routing.rules.len() + 1;
        routing.rules.push(RoutingRule {
            name: r.rule_n.replace("{n}", &n.to_string()),
            ..RoutingRule::default()
        });
    });
    html! {
        <section class="card rules">
            <h2>{ r.rules }</h2>
            <p class="hint">{ r.rules_help }</p>
            if routing.rules.is_empty() {
                <p class="none">{ r.no_rules }</p>
            }
            <ol class="rule-list">{ for routing.rules.iter().enumerate().map(rule_card) }</ol>
            <button type="button" class="add-rule" onclick={add_rule}>{ "+ " }{ r.add_rule }</button>
        </section>
    }
}
