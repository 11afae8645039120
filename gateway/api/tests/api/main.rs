//! API tests: the router driven without sockets (and, for the event stream, over a real
//! socket on port 0), asserting what a client sees.

mod audit_log;
mod bad_input;
mod catalogue;
mod channel_forms;
mod contacts;
mod events;
mod first_run;
mod flows;
mod inbox;
mod invitations;
mod operator;
mod people;
mod plugin_admin;
mod plugins;
mod roles;
mod routing;
mod search;
mod security;
mod support;
mod tenancy;
mod ticks;
mod webhooks;
mod widget;
