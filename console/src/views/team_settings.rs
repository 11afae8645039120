//! Settings › Teams: the workspace's teams (departments) with their colour, members and
//! automatic assignment (in turn, with a limit per person), each changed or deleted in place,
//! and new ones added.

use switchboard_model::{BusinessHours, Id, NewTeam, Team, TeamUpdate};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{routing_texts, texts};
use crate::state::Console;
use crate::views::hours_editor::HoursEditor;
use crate::views::people_settings::reload;
use crate::views::profile::{checked_of, edit};
use crate::views::settings::{
    Catalogue, Editing, Row, catalogue_page, delete_entry, form_end, refusal,
};
use crate::views::webchat_settings::for_color_input;

/// A new team's colour until the admin picks one.
const FIRST_COLOUR: &str = "#1f6feb";

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

#[function_component(TeamSettings)]
pub fn team_settings(props: &Props) -> Html {
    let console = &props.console;
    let (t, r) = (texts(console.locale), routing_texts(console.locale));
    let editing = use_state(|| Editing::None);
    let name = use_state(String::new);
    let colour = use_state(|| FIRST_COLOUR.to_string());
    let members = use_state(Vec::<Id>::new);
    let auto_assign = use_state(|| false);
    // The limit as typed: empty for none.
    let limit = use_state(String::new);
    // The team's own hours; the workspace's when none.
    let hours = use_state(|| None::<BusinessHours>);
    let said = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    // The people to pick members from, as they are now.
    {
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Err(failure) = reload(dispatch).await {
                    crate::views::workspace::signed_out_on(&failure, &on_signed_out);
                }
            });
        });
    }
    let open = |to: Editing| {
        let (editing, name, colour, members, said) = (
            editing.setter(),
            name.setter(),
            colour.setter(),
            members.setter(),
            said.setter(),
        );
        let (auto_assign, limit, hours) = (auto_assign.setter(), limit.setter(), hours.setter());
        let known = match to {
            Editing::Existing(id) => console.teams.iter().find(|team| team.id == id).cloned(),
            _ => None,
        };
        Callback::from(move |_: MouseEvent| {
            name.set(
                known
                    .as_ref()
                    .map(|team| team.name.clone())
                    .unwrap_or_default(),
            );
            colour.set(known.as_ref().map_or(FIRST_COLOUR.to_string(), |team| {
                for_color_input(&team.colour)
            }));
            members.set(
                known
                    .as_ref()
                    .map(|team| team.member_ids.clone())
                    .unwrap_or_default(),
            );
            auto_assign.set(known.as_ref().is_some_and(|team| team.auto_assign));
            hours.set(known.as_ref().and_then(|team| team.hours.clone()));
            limit.set(
                known
                    .as_ref()
                    .and_then(|team| team.max_open_per_agent)
                    .map(|limit| limit.to_string())
                    .unwrap_or_default(),
            );
            said.set(None);
            editing.set(to);
        })
    };
    let onsubmit = {
        let (editing, name, colour, members, said, busy) = (
            editing.clone(),
            name.clone(),
            colour.clone(),
            members.clone(),
            said.clone(),
            busy.clone(),
        );
        let (auto_assign, limit, hours) = (auto_assign.clone(), limit.clone(), hours.clone());
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (typed_name, picked, member_ids) =
                ((*name).clone(), (*colour).clone(), (*members).clone());
            let (assigning, own_hours) = (*auto_assign, (*hours).clone());
            // A limit that is not a number counts as none; the field only takes numbers.
            let max_open = limit.trim().parse::<u32>().ok().filter(|limit| *limit > 0);
            let to = *editing;
            let (editing, said, busy) = (editing.clone(), said.clone(), busy.clone());
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let saved = match to {
                    Editing::Existing(id) => {
                        let change = TeamUpdate {
                            name: Some(typed_name),
                            colour: Some(picked),
                            member_ids: Some(member_ids),
                            auto_assign: Some(assigning),
                            max_open_per_agent: Some(max_open),
                            hours: Some(own_hours),
                        };
                        api::patch::<Team>(&format!("/api/v1/teams/{id}"), &change).await
                    }
                    _ => {
                        let new = NewTeam {
                            name: typed_name,
                            colour: picked,
                            member_ids,
                            auto_assign: assigning,
                            max_open_per_agent: max_open,
                            hours: own_hours,
                        };
                        api::post::<Team>("/api/v1/teams", &new).await
                    }
                };
                busy.set(false);
                match saved.and(reload(dispatch).await) {
                    Ok(()) => {
                        said.set(Some(Ok(t.saved.to_string())));
                        editing.set(Editing::None);
                    }
                    Err(failure) => said.set(Some(Err(refusal(
                        &failure,
                        t,
                        &[("name", t.name), ("colour", t.color)],
                        String::new(),
                        &on_signed_out,
                    )))),
                }
            });
        })
    };
    let on_delete = delete_entry(
        t,
        (&editing, &said, &busy),
        console.dispatcher(),
        &props.on_signed_out,
        "/api/v1/teams",
        reload,
    );
    let member_box = |agent: &switchboard_model::Agent| {
        let checked = members.contains(&agent.id);
        let (members, id) = (members.clone(), agent.id);
        let onchange = Callback::from(move |_: Event| {
            let mut picked = (*members).clone();
            if picked.contains(&id) {
                picked.retain(|known| *known != id);
            } else {
                picked.push(id);
            }
            members.set(picked);
        });
        html! {
            <label class="check"><input type="checkbox" name="member"
                data-email={agent.email.clone()} {checked} {onchange} />
                { &agent.name }</label>
        }
    };
    let member_names = |team: &Team| {
        team.member_ids
            .iter()
            .filter_map(|id| console.agent_name(*id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let form = match *editing {
        Editing::None => None,
        to => Some(html! {
            <form class="card team-editor" novalidate=true {onsubmit}>
                <h2>{ if to == Editing::New { t.new_team } else { t.edit_team } }</h2>
                <div class="field required">
                    <label><span>{ t.name }</span>
                        <input name="name" maxlength="80" autocomplete="off" required=true
                            value={(*name).clone()} oninput={edit(&name)} /></label>
                </div>
                <div class="field">
                    <label><span>{ t.color }</span>
                        <input type="color" name="colour" value={(*colour).clone()}
                            oninput={edit(&colour)} /></label>
                </div>
                <fieldset class="field members">
                    <legend>{ t.members }</legend>
                    { for console.agents.iter().filter(|agent| agent.active).map(member_box) }
                </fieldset>
                <label class="check"><input type="checkbox" name="auto_assign" checked={*auto_assign}
                    onchange={
                        let auto_assign = auto_assign.clone();
                        Callback::from(move |event: Event| auto_assign.set(checked_of(&event)))
                    } />{ r.auto_assign }</label>
                if *auto_assign {
                    <div class="field">
                        <label><span>{ r.max_open }</span>
                            <input type="number" name="max_open_per_agent" min="1" max="1000"
                                value={(*limit).clone()} oninput={edit(&limit)} /></label>
                    </div>
                }
                <fieldset class="field team-hours">
                    <legend>{ r.team_hours }</legend>
                    <HoursEditor hours={(*hours).clone()} zone={console.me.workspace.time_zone.clone()}
                        locale={console.locale} unset={r.workspace_hours}
                        on_change={{
                            let hours = hours.setter();
                            Callback::from(move |changed| hours.set(changed))
                        }} />
                </fieldset>
                { form_end(t, &said, &editing, *busy, t.delete_team_confirm, on_delete) }
            </form>
        }),
    };
    let rows = console.teams.iter().map(|team| Row {
        data: ("data-team", team.name.clone()),
        name: team.name.clone(),
        on_edit: open(Editing::Existing(team.id)),
        cells: html! {
            <>
                <span class="swatch" style={format!("background:{}", for_color_input(&team.colour))}></span>
                <span class="name">{ &team.name }</span>
                <span class="preview">{ member_names(team) }</span>
            </>
        },
    });
    let list = Catalogue {
        kind: "team",
        new: t.new_team,
        on_new: open(Editing::New),
        none: t.no_teams,
        title: t.teams,
        rows: rows.collect(),
    };
    catalogue_page(t, form, &said, list)
}
