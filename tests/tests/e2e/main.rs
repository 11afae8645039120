//! The end-to-end tests: the real gateway binary (`GATEWAY_BIN`) with real mail servers,
//! Chromium and the providers' stand-ins. One test binary for all of them, so that the suite
//! links (and keeps on disk) one executable rather than one per area.

mod console;
mod console_channels;
mod console_contacts;
mod console_email;
mod console_integrations;
mod console_plugins;
mod console_settings;
mod durability;
mod email;
mod first_run;
mod mail_rig;
mod operator;
mod plugins;
mod routing;
mod scale_out;
mod scale_rig;
mod security;
mod signup;
mod sms;
mod telegram;
mod whatsapp;
mod widget;
mod wordpress;
mod wordpress_translations;
