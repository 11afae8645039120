//! Settings › People: the workspace's people with their role and whether they are active, each
//! edited in place (name, role) and deactivated or reactivated after a question; the pending
//! invitations with Resend and Revoke; and inviting someone by email, with their role and teams.
//! When the installation sends no email the invitation's link shows, to copy and hand over.

use std::rc::Rc;

use switchboard_model::{
    Agent, AgentUpdate, Id, Invitation, NewInvitation, Role, SentInvitation, Team,
};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Texts, texts};
use crate::state::{Action, Console};
use crate::views::channel_editor::{Said, copy_on_click, said_line};
use crate::views::profile::{edit, value_of};
use crate::views::settings::{ConfirmDelete, Editing, refusal};

const ROLES: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Admin];

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

/// Reads the people and the teams again into the console, after a change.
pub async fn reload(dispatch: UseReducerDispatcher<Console>) -> Result<(), Failure> {
    let agents = api::get::<Vec<Agent>>("/api/v1/agents").await?;
    let teams = api::get::<Vec<Team>>("/api/v1/teams").await?;
    dispatch.dispatch(Action::People { agents, teams });
    Ok(())
}

fn role_name(role: Role, t: &Texts) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Supervisor => t.role_supervisor,
        Role::Agent => t.role_agent,
    }
}

fn role_value(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Supervisor => "supervisor",
        Role::Agent => "agent",
    }
}

/// The role picker, with what each role may do below it.
fn role_field(t: &Texts, role: &UseStateHandle<Role>) -> Html {
    let onchange = {
        let role = role.setter();
        Callback::from(move |event: Event| {
            let picked = value_of(&event);
            if let Some(found) = ROLES.into_iter().find(|r| role_value(*r) == picked) {
                role.set(found);
            }
        })
    };
    html! {
        <div class="field">
            <label><span>{ t.role }</span>
                <select name="role" aria-describedby="role-help" {onchange}>
                    { for ROLES.into_iter().map(|choice| html! {
                        <option value={role_value(choice)} selected={**role == choice}>
                            { role_name(choice, t) }</option>
                    }) }
                </select></label>
            <small id="role-help" class="help">{ t.role_help }</small>
        </div>
    }
}

/// The link to hand over when no email went out, and why.
#[derive(Clone, PartialEq)]
struct Handed {
    link: String,
    why: String,
}

/// What an answer about an invitation tells the admin: that the email went, or the link.
fn tell_sent(
    t: &'static Texts,
    sent: &SentInvitation,
    said: &Said,
    handed: &UseStateHandle<Option<Handed>>,
) {
    let email = &sent.invitation.email;
    match (&sent.link, &sent.mail_problem) {
        (Some(link), problem) => {
            let why = match problem {
                Some(problem) => t.invitation_mail_failed.replace("{problem}", problem),
                None => t.invitation_no_mail.to_string(),
            };
            handed.set(Some(Handed {
                link: link.clone(),
                why: why.replace("{name}", &sent.invitation.name),
            }));
            said.set(None);
        }
        (None, _) => {
            handed.set(None);
            said.set(Some(Ok(t.invitation_sent.replace("{email}", email))));
        }
    }
}

#[function_component(PeopleSettings)]
pub fn people_settings(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let editing = use_state(|| Editing::None);
    let name = use_state(String::new);
    let email = use_state(String::new);
    let role = use_state(|| Role::Agent);
    let teams = use_state(Vec::<Id>::new);
    let invitations = use_state(|| Rc::new(Vec::<Invitation>::new()));
    let handed = use_state(|| None::<Handed>);
    let said = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    // The pending invitations, and the people (an accepted invitation made someone).
    let load_invitations = {
        let (invitations, on_signed_out) = (invitations.setter(), props.on_signed_out.clone());
        let dispatch = console.dispatcher();
        move || {
            let (invitations, on_signed_out) = (invitations.clone(), on_signed_out.clone());
            let dispatch = dispatch.clone();
            spawn_local(async move {
                let pending = api::get::<Vec<Invitation>>("/api/v1/invitations").await;
                let loaded = match pending {
                    Ok(pending) => {
                        invitations.set(Rc::new(pending));
                        reload(dispatch).await
                    }
                    Err(failure) => Err(failure),
                };
                if let Err(failure) = loaded {
                    crate::views::workspace::signed_out_on(&failure, &on_signed_out);
                }
            });
        }
    };
    {
        let load_invitations = load_invitations.clone();
        use_effect_with((), move |_| load_invitations());
    }
    let open = |to: Editing| {
        let (editing, name, email, role, teams, said, handed) = (
            editing.setter(),
            name.setter(),
            email.setter(),
            role.setter(),
            teams.setter(),
            said.setter(),
            handed.setter(),
        );
        let known = match to {
            Editing::Existing(id) => console.agents.iter().find(|agent| agent.id == id).cloned(),
            _ => None,
        };
        Callback::from(move |_: MouseEvent| {
            name.set(
                known
                    .as_ref()
                    .map(|agent| agent.name.clone())
                    .unwrap_or_default(),
            );
            email.set(
                known
                    .as_ref()
                    .map(|agent| agent.email.clone())
                    .unwrap_or_default(),
            );
            role.set(known.as_ref().map_or(Role::Agent, |agent| agent.role));
            teams.set(Vec::new());
            said.set(None);
            handed.set(None);
            editing.set(to);
        })
    };
    let onsubmit = {
        let (editing, name, email, role, teams, said, busy, handed) = (
            editing.clone(),
            name.clone(),
            email.clone(),
            role.clone(),
            teams.clone(),
            said.clone(),
            busy.clone(),
            handed.clone(),
        );
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        let language = console.locale.tag().to_string();
        let load_invitations = load_invitations.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let to = *editing;
            let (typed_name, typed_email, picked) = ((*name).clone(), (*email).clone(), *role);
            let team_ids = (*teams).clone();
            let (editing, said, busy, handed) =
                (editing.clone(), said.clone(), busy.clone(), handed.clone());
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            let (language, load_invitations) = (language.clone(), load_invitations.clone());
            busy.set(true);
            spawn_local(async move {
                let outcome = match to {
                    Editing::Existing(id) => {
                        let change = AgentUpdate {
                            name: Some(typed_name),
                            role: Some(picked),
                            ..AgentUpdate::default()
                        };
                        let saved =
                            api::patch::<Agent>(&format!("/api/v1/agents/{id}"), &change).await;
                        saved
                            .and(reload(dispatch).await)
                            .map(|()| said.set(Some(Ok(t.saved.to_string()))))
                            .map_err(|failure| (failure, t.last_admin.to_string()))
                    }
                    _ => {
                        let new = NewInvitation {
                            name: typed_name,
                            email: typed_email.trim().to_string(),
                            role: picked,
                            team_ids,
                            language: Some(language),
                        };
                        let taken = t.invitation_taken.replace("{email}", &new.email);
                        api::post::<SentInvitation>("/api/v1/invitations", &new)
                            .await
                            .map(|sent| {
                                tell_sent(t, &sent, &said, &handed);
                                load_invitations();
                            })
                            .map_err(|failure| (failure, taken))
                    }
                };
                busy.set(false);
                match outcome {
                    Ok(()) => editing.set(Editing::None),
                    Err((failure, taken)) => said.set(Some(Err(refusal(
                        &failure,
                        t,
                        &[("name", t.name), ("email", t.email)],
                        taken,
                        &on_signed_out,
                    )))),
                }
            });
        })
    };
    // Deactivates or reactivates the person the form shows.
    let switch_active = {
        let (editing, said, busy) = (editing.clone(), said.clone(), busy.clone());
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        let agents = console.agents.clone();
        Callback::from(move |()| {
            let Editing::Existing(id) = *editing else {
                return;
            };
            let active = agents.iter().any(|agent| agent.id == id && agent.active);
            let (editing, said, busy) = (editing.clone(), said.clone(), busy.clone());
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let change = AgentUpdate {
                    active: Some(!active),
                    ..AgentUpdate::default()
                };
                let saved = api::patch::<Agent>(&format!("/api/v1/agents/{id}"), &change).await;
                busy.set(false);
                match saved.and(reload(dispatch).await) {
                    Ok(()) => {
                        let done = if active {
                            t.deactivated_done
                        } else {
                            t.reactivated_done
                        };
                        said.set(Some(Ok(done.to_string())));
                        editing.set(Editing::None);
                    }
                    Err(failure) => said.set(Some(Err(refusal(
                        &failure,
                        t,
                        &[],
                        t.last_admin.to_string(),
                        &on_signed_out,
                    )))),
                }
            });
        })
    };
    // Resend or Revoke on a pending invitation.
    let on_invitation = |id: Id, revoke: bool| {
        let (said, handed, on_signed_out) =
            (said.clone(), handed.clone(), props.on_signed_out.clone());
        let load_invitations = load_invitations.clone();
        Callback::from(move |_: MouseEvent| {
            let (said, handed, on_signed_out) =
                (said.clone(), handed.clone(), on_signed_out.clone());
            let load_invitations = load_invitations.clone();
            spawn_local(async move {
                let path = format!("/api/v1/invitations/{id}");
                let done = if revoke {
                    api::delete_only(&path).await.map(|()| {
                        handed.set(None);
                        said.set(Some(Ok(t.invitation_revoked.to_string())));
                    })
                } else {
                    api::post::<SentInvitation>(&format!("{path}/resend"), &())
                        .await
                        .map(|sent| tell_sent(t, &sent, &said, &handed))
                };
                match done {
                    Ok(()) => load_invitations(),
                    Err(failure) => said.set(Some(Err(refusal(
                        &failure,
                        t,
                        &[],
                        String::new(),
                        &on_signed_out,
                    )))),
                }
            });
        })
    };
    let team_box = |team: &Team| {
        let checked = teams.contains(&team.id);
        let (teams, id) = (teams.clone(), team.id);
        let onchange = Callback::from(move |_: Event| {
            let mut picked = (*teams).clone();
            if picked.contains(&id) {
                picked.retain(|known| *known != id);
            } else {
                picked.push(id);
            }
            teams.set(picked);
        });
        html! {
            <label class="check"><input type="checkbox" name="team" {checked} {onchange} />
                { &team.name }</label>
        }
    };
    let cancel = {
        let editing = editing.setter();
        Callback::from(move |_: MouseEvent| editing.set(Editing::None))
    };
    let form = match *editing {
        Editing::None => None,
        Editing::New => Some(html! {
            <form class="card person-editor" novalidate=true onsubmit={onsubmit.clone()}>
                <h2>{ t.invite_person }</h2>
                <p class="help">{ t.invite_help }</p>
                <div class="field required">
                    <label><span>{ t.name }</span>
                        <input name="name" maxlength="120" autocomplete="off" required=true
                            value={(*name).clone()} oninput={edit(&name)} /></label>
                </div>
                <div class="field required">
                    <label><span>{ t.email }</span>
                        <input name="email" type="email" autocomplete="off" required=true
                            value={(*email).clone()} oninput={edit(&email)} /></label>
                </div>
                { role_field(t, &role) }
                if !console.teams.is_empty() {
                    <fieldset class="field teams">
                        <legend>{ t.teams }</legend>
                        { for console.teams.iter().map(team_box) }
                    </fieldset>
                }
                { said_line(&said) }
                <div class="buttons">
                    <button type="button" class="back-to-list" onclick={cancel.clone()}>{ t.cancel }</button>
                    <button type="submit" class="primary" disabled={*busy}>{ t.send_invitation }</button>
                </div>
            </form>
        }),
        Editing::Existing(id) => {
            let person = console.agents.iter().find(|agent| agent.id == id);
            let active = person.is_some_and(|agent| agent.active);
            Some(html! {
                <form class="card person-editor" novalidate=true onsubmit={onsubmit.clone()}>
                    <h2>{ t.edit_person }</h2>
                    <p class="help">{ person.map(|agent| agent.email.clone()).unwrap_or_default() }</p>
                    <div class="field required">
                        <label><span>{ t.name }</span>
                            <input name="name" maxlength="120" autocomplete="off" required=true
                                value={(*name).clone()} oninput={edit(&name)} /></label>
                    </div>
                    { role_field(t, &role) }
                    { said_line(&said) }
                    <div class="buttons">
                        <button type="button" class="back-to-list" onclick={cancel}>{ t.cancel }</button>
                        <button type="submit" class="primary" disabled={*busy}>{ t.save }</button>
                    </div>
                    if active {
                        <ConfirmDelete question={t.deactivate_confirm} delete={t.deactivate}
                            keep={t.keep} busy={*busy} on_delete={switch_active.clone()} />
                    } else {
                        <div class="danger">
                            <button type="button" class="reactivate" disabled={*busy}
                                onclick={switch_active.reform(|_: MouseEvent| ())}>{ t.reactivate }</button>
                        </div>
                    }
                </form>
            })
        }
    };
    let handed_box = handed.as_ref().map(|handed| html! {
        <div class="card handed" role="status">
            <p>{ &handed.why }</p>
            <input class="invitation-link" readonly=true value={handed.link.clone()} aria-label={t.invitation_link} />
            <button type="button" class="copy" onclick={copy_on_click(handed.link.clone(), &said, t)}>
                { t.copy }</button>
        </div>
    });
    html! {
        <>
            if let Some(form) = form {
                { form }
            } else {
                <button class="primary invite" onclick={open(Editing::New)}>
                    { "+ " }{ t.invite_person }</button>
                { said_line(&said) }
                { for handed_box }
                <ul class="settings-rows person-rows" aria-label={t.people}>
                    { for console.agents.iter().map(|agent| html! {
                        <li class="settings-row person-row" data-email={agent.email.clone()}>
                            <span class="name">{ &agent.name }</span>
                            <span class="preview">{ &agent.email }</span>
                            <span class="role">{ role_name(agent.role, t) }</span>
                            if agent.active {
                                <span class="state on">{ t.person_active }</span>
                            } else {
                                <span class="state">{ t.deactivated }</span>
                            }
                            <button class="edit" aria-label={format!("{} {}", t.edit, agent.name)}
                                onclick={open(Editing::Existing(agent.id))}>{ t.edit }</button>
                        </li>
                    }) }
                    { for invitations.iter().map(|invitation| html! {
                        <li class="settings-row person-row pending" data-email={invitation.email.clone()}>
                            <span class="name">{ &invitation.name }</span>
                            <span class="preview">{ &invitation.email }</span>
                            <span class="role">{ role_name(invitation.role, t) }</span>
                            <span class="state">{ t.pending_invitation }</span>
                            <span class="actions">
                                <button class="resend" onclick={on_invitation(invitation.id, false)}>{ t.resend }</button>
                                <button class="revoke" onclick={on_invitation(invitation.id, true)}>{ t.revoke }</button>
                            </span>
                        </li>
                    }) }
                </ul>
            }
        </>
    }
}
