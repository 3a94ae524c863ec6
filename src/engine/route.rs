//! Routing: the round's inbound stanzas become typed feature messages addressed to the service,
//! a room or an occupant. What no feature can take gets its error here.

use std::collections::HashSet;

use bevy_ecs::prelude::*;
use tracing::{debug, warn};
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::presence::{Presence, Type as PresenceType};
use xmpp_parsers::stanza::Stanza;
use xmpp_parsers::stanza_error::StanzaError;

use super::{EngineBuilder, Feature, Inbox, Outbox, Phase, Service, bounds};
use crate::stanza::{self, Inbound, errors, iq_addresses};

/// A presence to `room@service[/nick]` from a user's full JID.
#[derive(Message, Debug, Clone)]
pub struct PresenceIn {
    pub from: FullJid,
    pub room: BareJid,
    pub nick: Option<String>,
    pub presence: Presence,
}

/// A message to `room@service[/nick]`.
#[derive(Message, Debug, Clone)]
pub struct MessageIn {
    pub from: Jid,
    pub room: BareJid,
    pub nick: Option<String>,
    pub message: Message,
}

/// Whom an IQ is addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IqTarget {
    Service,
    Room(BareJid),
    Occupant(BareJid, String),
}

/// [`IqTarget`] without the address, for handler registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IqTargetKind {
    Service,
    Room,
    Occupant,
}

impl IqTarget {
    pub fn kind(&self) -> IqTargetKind {
        match self {
            IqTarget::Service => IqTargetKind::Service,
            IqTarget::Room(_) => IqTargetKind::Room,
            IqTarget::Occupant(..) => IqTargetKind::Occupant,
        }
    }
}

/// An IQ to an occupant JID that no feature answers itself: a request in a namespace nobody
/// registered for occupants, or any result or error (the forwarding feature relays them, §17.4).
#[derive(Message, Debug, Clone)]
pub struct OccupantIq {
    pub room: BareJid,
    pub nick: String,
    pub iq: Iq,
}

/// An IQ request (get or set) whose payload namespace some feature registered for its target.
#[derive(Message, Debug, Clone)]
pub struct IqIn {
    pub from: Jid,
    pub to: Jid,
    pub id: String,
    pub set: bool,
    pub target: IqTarget,
    /// The payload's namespace.
    pub ns: String,
    pub payload: Element,
}

impl IqIn {
    /// The result, with an optional payload.
    pub fn reply(&self, payload: Option<Element>) -> Stanza {
        Stanza::Iq(Iq::Result {
            from: Some(self.to.clone()),
            to: Some(self.from.clone()),
            id: self.id.clone(),
            payload,
        })
    }
    /// The error reply, echoing the request's payload.
    pub fn error(&self, error: StanzaError) -> Stanza {
        Stanza::Iq(Iq::Error {
            from: Some(self.to.clone()),
            to: Some(self.from.clone()),
            id: self.id.clone(),
            error,
            payload: Some(self.payload.clone()),
        })
    }
}

/// Which (target, namespace) pairs some feature answers; the rest get service-unavailable.
#[derive(Resource, Default, Debug)]
pub struct IqHandlers {
    handled: HashSet<(IqTargetKind, String)>,
    /// Some feature relays the rest of the IQs to occupants (else they get service-unavailable).
    forwards_to_occupants: bool,
}

impl EngineBuilder {
    /// Declares that a feature answers IQs of namespace `ns` sent to `target`.
    pub fn handle_iq(&mut self, target: IqTargetKind, ns: &str) -> &mut Self {
        self.world
            .get_resource_or_init::<IqHandlers>()
            .handled
            .insert((target, ns.to_owned()));
        self
    }

    /// Declares that a feature takes every other IQ to an occupant as an [`OccupantIq`].
    pub fn forward_occupant_iqs(&mut self) -> &mut Self {
        self.world
            .get_resource_or_init::<IqHandlers>()
            .forwards_to_occupants = true;
        self
    }
}

pub struct RoutePlugin;

impl Feature for RoutePlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<IqHandlers>();
        engine
            .add_message::<PresenceIn>()
            .add_message::<MessageIn>()
            .add_message::<IqIn>()
            .add_message::<OccupantIq>()
            .add_systems(route.in_set(Phase::Route));
    }
}

/// Where a stanza to this service is going.
enum Address {
    Service,
    Room(BareJid, Option<String>),
}

fn address(service: &Service, to: Option<&Jid>) -> Option<Address> {
    let to = to?;
    if to.domain() != service.settings.domain.domain() {
        return None;
    }
    match to.node() {
        None => Some(Address::Service),
        Some(_) => Some(Address::Room(
            to.to_bare(),
            to.resource().map(|r| r.as_str().to_owned()),
        )),
    }
}

/// Where routed stanzas go: one writer per kind of feature message.
#[derive(bevy_ecs::system::SystemParam)]
pub struct Routed<'w> {
    presences: MessageWriter<'w, PresenceIn>,
    messages: MessageWriter<'w, MessageIn>,
    iqs: MessageWriter<'w, IqIn>,
    occupant_iqs: MessageWriter<'w, OccupantIq>,
}

pub fn route(
    mut inbox: ResMut<Inbox>,
    service: Res<Service>,
    handlers: Res<IqHandlers>,
    mut out: ResMut<Outbox>,
    mut routed: Routed,
) {
    for inbound in inbox.0.drain(..) {
        match inbound {
            Inbound::Invalid(header) => {
                debug!(reason = %header.reason, "stanza did not parse");
                out.send_opt(stanza::invalid_error(&header, &service.jid));
            }
            Inbound::Stanza(stanza) => {
                route_stanza(*stanza, &service, &handlers, &mut out, &mut routed)
            }
        }
    }
}

fn route_stanza(
    stanza: Stanza,
    service: &Service,
    handlers: &IqHandlers,
    out: &mut Outbox,
    routed: &mut Routed,
) {
    let Some(stanza) = within_bounds(stanza, service, out) else {
        return;
    };
    {
        match stanza {
            Stanza::Presence(p) => {
                if let Some(m) = route_presence(service, out, p) {
                    routed.presences.write(m);
                }
            }
            Stanza::Message(m) => {
                if let Some(m) = route_message(service, out, m) {
                    routed.messages.write(m);
                }
            }
            Stanza::Iq(iq) => match route_iq(service, handlers, out, iq) {
                Some(RoutedIq::Handled(m)) => {
                    routed.iqs.write(m);
                }
                Some(RoutedIq::Occupant(m)) => {
                    routed.occupant_iqs.write(m);
                }
                None => {}
            },
        }
    }
}

/// The stanza if its fields are within [`bounds`]; otherwise its sender is told which field is
/// too long. A leave or an error is never refused (the occupant must still go): it loses what
/// is too long instead.
fn within_bounds(stanza: Stanza, service: &Service, out: &mut Outbox) -> Option<Stanza> {
    let Err(refusal) = bounds::check(&service.settings.bounds, &stanza) else {
        return Some(stanza);
    };
    debug!(%refusal, "stanza over a bound");
    let error = || errors::not_acceptable(&service.jid, Some(&refusal));
    match stanza {
        Stanza::Presence(mut p)
            if matches!(p.type_, PresenceType::Unavailable | PresenceType::Error) =>
        {
            p.statuses.clear();
            p.payloads.retain(|e| e.ns() == xmpp_parsers::ns::MUC_USER);
            Some(Stanza::Presence(p))
        }
        Stanza::Presence(p) => {
            out.send_opt(stanza::presence_error(&p, error()));
            None
        }
        Stanza::Message(m) => {
            out.send_opt(stanza::message_error(&m, error()));
            None
        }
        Stanza::Iq(iq) => {
            out.send_opt(stanza::iq_error(&iq, error()));
            None
        }
    }
}

fn route_presence(service: &Service, out: &mut Outbox, p: Presence) -> Option<PresenceIn> {
    let Some(Address::Room(room, nick)) = address(service, p.to.as_ref()) else {
        // Presence to the service itself or to another domain: nothing to do.
        return None;
    };
    let from = match p.from.as_ref().map(|f| f.clone().try_into_full()) {
        Some(Ok(full)) => full,
        Some(Err(_)) => {
            if !matches!(p.type_, PresenceType::Error | PresenceType::Unavailable) {
                out.send_opt(stanza::presence_error(
                    &p,
                    errors::bad_request(&service.jid, Some("Presence must come from a full JID")),
                ));
            }
            return None;
        }
        None => {
            warn!("presence without a sender");
            return None;
        }
    };
    Some(PresenceIn {
        from,
        room,
        nick,
        presence: p,
    })
}

fn route_message(service: &Service, out: &mut Outbox, m: Message) -> Option<MessageIn> {
    let Some(from) = m.from.clone() else {
        warn!("message without a sender");
        return None;
    };
    match address(service, m.to.as_ref()) {
        Some(Address::Room(room, nick)) => Some(MessageIn {
            from,
            room,
            nick,
            message: m,
        }),
        Some(Address::Service) => {
            if m.type_ != MessageType::Error {
                out.send_opt(stanza::message_error(
                    &m,
                    errors::service_unavailable(&service.jid, None),
                ));
            }
            None
        }
        None => None,
    }
}

enum RoutedIq {
    Handled(IqIn),
    Occupant(OccupantIq),
}

fn route_iq(
    service: &Service,
    handlers: &IqHandlers,
    out: &mut Outbox,
    iq: Iq,
) -> Option<RoutedIq> {
    let (from, to) = iq_addresses(&iq);
    let from = from?.clone();
    let target = match address(service, to)? {
        Address::Service => IqTarget::Service,
        Address::Room(room, None) => IqTarget::Room(room),
        Address::Room(room, Some(nick)) => IqTarget::Occupant(room, nick),
    };
    let to = to?.clone();
    let forwardable = |iq: Iq| match &target {
        IqTarget::Occupant(room, nick) => Some(RoutedIq::Occupant(OccupantIq {
            room: room.clone(),
            nick: nick.clone(),
            iq,
        })),
        _ => None,
    };
    let ns = match &iq {
        Iq::Get { payload, .. } | Iq::Set { payload, .. } => payload.ns(),
        // Results and errors are never answered; those to occupants may be forwarded replies.
        Iq::Result { .. } | Iq::Error { .. } => return forwardable(iq),
    };
    let handled = handlers.handled.contains(&(target.kind(), ns.clone()));
    if !handled && target.kind() == IqTargetKind::Occupant && handlers.forwards_to_occupants {
        return forwardable(iq);
    }
    if !handled {
        out.send_opt(stanza::iq_error(
            &iq,
            errors::service_unavailable(&service.jid, None),
        ));
        return None;
    }
    let (id, set, payload) = match iq {
        Iq::Get { id, payload, .. } => (id, false, payload),
        Iq::Set { id, payload, .. } => (id, true, payload),
        Iq::Result { .. } | Iq::Error { .. } => return None,
    };
    Some(RoutedIq::Handled(IqIn {
        from,
        to,
        id,
        set,
        target,
        ns,
        payload,
    }))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
