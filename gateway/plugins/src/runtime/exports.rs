//! The contract's exports, one method each: a call of the plugin's version of it (or what a
//! plugin of an older contract does instead), and a check of the size of what it returned.

use wasmtime::Store;

use super::{Linked, Plugin, Runtime};
use crate::PluginError;
use crate::call::{CallContext, CallOutput, CallState};
use crate::latest as types;
use crate::output::{
    action_size, check_output, inbound_size, outcome_size, read_response, template_size,
    transport_size,
};
use crate::{v0_1_0, v0_2_0};

impl Runtime {
    /// Turns a raw inbound payload into events, and the answer to give its sender.
    pub fn inbound(
        &self,
        plugin: &Plugin,
        context: CallContext,
        payload: &types::Transport,
    ) -> Result<CallOutput<types::InboundResult>, PluginError> {
        let output = self.call(plugin, context, |linked, store| match linked {
            Linked::V0_1_0(pre) => v0_1_0::inbound(pre, store, payload),
            Linked::V0_2_0(pre) => pre
                .instantiate(&mut *store)?
                .switchboard_channel_adapter()
                .call_inbound(store, payload),
        })?;
        check_output(plugin, inbound_size(&output.value))?;
        Ok(output)
    }

    /// Turns an agent's reply into delivery actions.
    pub fn outbound(
        &self,
        plugin: &Plugin,
        context: CallContext,
        reply: &types::Reply,
    ) -> Result<CallOutput<Vec<types::DeliveryAction>>, PluginError> {
        let output = self.call(plugin, context, |linked, store| match linked {
            Linked::V0_1_0(pre) => v0_1_0::outbound(pre, store, reply),
            Linked::V0_2_0(pre) => pre
                .instantiate(&mut *store)?
                .switchboard_channel_adapter()
                .call_outbound(store, reply),
        })?;
        check_output(plugin, output.value.iter().map(action_size).sum())?;
        Ok(output)
    }

    /// What the provider's answer to one of a reply's delivery requests meant; a 0.1.0
    /// plugin has it read by [`read_response`].
    pub fn response(
        &self,
        plugin: &Plugin,
        context: CallContext,
        reply_id: &str,
        response: &types::HttpResponse,
    ) -> Result<types::ResponseOutcome, PluginError> {
        match &plugin.linked {
            Linked::V0_1_0(_) => Ok(read_response(response)),
            Linked::V0_2_0(_) => {
                let output = self.call_newest(plugin, context, |adapter, store| {
                    adapter.call_response(store, reply_id, response)
                })?;
                check_output(plugin, outcome_size(&output.value))?;
                Ok(output.value)
            }
        }
    }

    /// The delivery actions that show an agent's typing or reading to the contact; none for a
    /// 0.1.0 plugin.
    pub fn signal(
        &self,
        plugin: &Plugin,
        context: CallContext,
        signal: &types::AgentSignal,
        reply_context: &types::ReplyContext,
    ) -> Result<Vec<types::DeliveryAction>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Ok(Vec::new());
        }
        let output = self.call_newest(plugin, context, |adapter, store| {
            adapter.call_signal(store, signal, reply_context)
        })?;
        check_output(plugin, output.value.iter().map(action_size).sum())?;
        Ok(output.value)
    }

    /// The plugin's scheduled call: the payloads it found by polling, each to be handled as
    /// an inbound one (a 0.1.0 plugin has no schedule).
    pub fn tick(
        &self,
        plugin: &Plugin,
        context: CallContext,
    ) -> Result<CallOutput<Vec<types::Transport>>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Err(PluginError::Unsupported(
                "a plugin of contract 0.1.0 has no scheduled call".into(),
            ));
        }
        let output =
            self.call_newest(plugin, context, |adapter, store| adapter.call_tick(store))?;
        check_output(plugin, output.value.iter().map(transport_size).sum())?;
        Ok(output)
    }

    /// Checks the channel with its provider and registers its webhook; the line for the admin.
    pub fn connect(
        &self,
        plugin: &Plugin,
        context: CallContext,
        webhook_url: Option<&str>,
    ) -> Result<CallOutput<String>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Err(PluginError::Unsupported(
                "a plugin of contract 0.1.0 cannot check its connection".into(),
            ));
        }
        let output = self.call_newest(plugin, context, |adapter, store| {
            adapter.call_connect(store, webhook_url)
        })?;
        check_output(plugin, output.value.len() as u64)?;
        Ok(output)
    }

    /// The messages the provider approved for use outside its reply window.
    pub fn templates(
        &self,
        plugin: &Plugin,
        context: CallContext,
    ) -> Result<Vec<types::Template>, PluginError> {
        if let Linked::V0_1_0(_) = plugin.linked {
            return Ok(Vec::new());
        }
        let output = self.call_newest(plugin, context, |adapter, store| {
            adapter.call_templates(store)
        })?;
        check_output(plugin, output.value.iter().map(template_size).sum())?;
        Ok(output.value)
    }

    /// A call of an export only the newest contract has.
    fn call_newest<T>(
        &self,
        plugin: &Plugin,
        context: CallContext,
        run: impl FnOnce(
            &v0_2_0::exports::switchboard::channel::adapter::Guest,
            &mut Store<CallState>,
        ) -> wasmtime::Result<Result<T, types::Error>>,
    ) -> Result<CallOutput<T>, PluginError> {
        self.call(plugin, context, |linked, store| match linked {
            Linked::V0_2_0(pre) => {
                let adapter = pre.instantiate(&mut *store)?;
                run(adapter.switchboard_channel_adapter(), store)
            }
            Linked::V0_1_0(_) => Err(wasmtime::Error::msg("not an export of contract 0.1.0")),
        })
    }
}
