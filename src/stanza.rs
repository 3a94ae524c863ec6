//! Inbound stanzas as the link hands them over, and the error replies every feature shares.

use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::Jid;
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::presence::{Presence, Type as PresenceType};
use xmpp_parsers::stanza::Stanza;
use xmpp_parsers::stanza_error::{DefinedCondition, ErrorType, StanzaError};

/// What the link read off the stream: a stanza xmpp-parsers accepted, or the header of one it
/// refused (so that the sender still gets an error reply).
#[derive(Debug)]
pub enum Inbound {
    Stanza(Box<Stanza>),
    Invalid(InvalidStanza),
}

/// Which of the three stanza kinds an unparseable element was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StanzaKind {
    Iq,
    Message,
    Presence,
}

/// The raw header of a stanza that failed to parse or broke a limit, and why.
#[derive(Debug, Clone)]
pub struct InvalidStanza {
    pub kind: StanzaKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub id: Option<String>,
    pub type_: Option<String>,
    /// `bad-request` for what did not parse, `policy-violation` for what broke a limit.
    pub condition: DefinedCondition,
    pub reason: String,
}

impl InvalidStanza {
    fn from_header(element: &Element, condition: DefinedCondition, reason: String) -> Self {
        InvalidStanza {
            kind: match element.name() {
                "iq" => StanzaKind::Iq,
                "message" => StanzaKind::Message,
                _ => StanzaKind::Presence,
            },
            from: element.attr("from").map(str::to_owned),
            to: element.attr("to").map(str::to_owned),
            id: element.attr("id").map(str::to_owned),
            type_: element.attr("type").map(str::to_owned),
            condition,
            reason,
        }
    }
}

impl Inbound {
    /// Parses one top-level element the way the link does (used by tests and tools).
    pub fn from_element(element: Element) -> Inbound {
        // The header is kept aside because a failed parse consumes the element.
        let header =
            InvalidStanza::from_header(&element, DefinedCondition::BadRequest, String::new());
        match Stanza::try_from(element) {
            Ok(stanza) => Inbound::Stanza(Box::new(stanza)),
            Err(e) => {
                // An address that is no JID (RFC 6120 §8.3.3.8), such as a room nickname that
                // is empty once resourceprep drops its invisible characters: jid-malformed,
                // said plainly. Looked at only once the parse failed (never twice per stanza).
                if let Some(Err(bad)) = header.to.as_deref().map(str::parse::<Jid>) {
                    return Inbound::Invalid(InvalidStanza {
                        condition: DefinedCondition::JidMalformed,
                        reason: format!("The address this was sent to is not a valid JID: {bad}"),
                        ..header
                    });
                }
                Inbound::Invalid(InvalidStanza {
                    reason: e.to_string(),
                    ..header
                })
            }
        }
    }

    /// A stanza the link would not take (a limit), from its start tag.
    pub fn refused(element: &Element, reason: String) -> Inbound {
        Inbound::Invalid(InvalidStanza::from_header(
            element,
            DefinedCondition::PolicyViolation,
            reason,
        ))
    }

    /// Parses XML text holding one stanza; `None` when it is not even well-formed XML.
    pub fn from_xml(xml: &str) -> Option<Inbound> {
        let element: Element = xml.parse().ok()?;
        Some(Inbound::from_element(element))
    }

    /// The sender and the addressee, for batching and for the log span.
    pub fn addresses(&self) -> (Option<String>, Option<String>) {
        match self {
            Inbound::Stanza(stanza) => stanza_addresses(stanza),
            Inbound::Invalid(h) => (h.from.clone(), h.to.clone()),
        }
    }
}

/// The sender and the addressee of a stanza, as text.
pub fn stanza_addresses(stanza: &Stanza) -> (Option<String>, Option<String>) {
    {
        match stanza {
            Stanza::Iq(iq) => {
                let (from, to) = iq_addresses(iq);
                (from.map(|j| j.to_string()), to.map(|j| j.to_string()))
            }
            Stanza::Message(m) => (
                m.from.as_ref().map(|j| j.to_string()),
                m.to.as_ref().map(|j| j.to_string()),
            ),
            Stanza::Presence(p) => (
                p.from.as_ref().map(|j| j.to_string()),
                p.to.as_ref().map(|j| j.to_string()),
            ),
        }
    }
}

/// `(from, to)` of any IQ variant.
pub fn iq_addresses(iq: &Iq) -> (Option<&Jid>, Option<&Jid>) {
    match iq {
        Iq::Get { from, to, .. }
        | Iq::Set { from, to, .. }
        | Iq::Result { from, to, .. }
        | Iq::Error { from, to, .. } => (from.as_ref(), to.as_ref()),
    }
}

/// A stanza error with an English text and `by` set to the entity that refused.
pub fn error(
    type_: ErrorType,
    condition: DefinedCondition,
    by: &Jid,
    text: Option<&str>,
) -> StanzaError {
    let mut e = StanzaError::new(type_, condition, "en", "");
    e.texts.clear();
    if let Some(text) = text {
        e.texts.insert("en".into(), text.to_owned());
    }
    e.by = Some(by.clone());
    e
}

/// Shorthands for the errors XEP-0045 prescribes, each with its type from RFC 6120 §8.3.3.
pub mod errors {
    use super::*;

    macro_rules! condition {
        ($name:ident, $type_:ident, $cond:ident) => {
            pub fn $name(by: &Jid, text: Option<&str>) -> StanzaError {
                error(ErrorType::$type_, DefinedCondition::$cond, by, text)
            }
        };
    }
    condition!(bad_request, Modify, BadRequest);
    condition!(conflict, Cancel, Conflict);
    condition!(feature_not_implemented, Cancel, FeatureNotImplemented);
    condition!(forbidden, Auth, Forbidden);
    condition!(item_not_found, Cancel, ItemNotFound);
    condition!(jid_malformed, Modify, JidMalformed);
    condition!(not_acceptable, Modify, NotAcceptable);
    condition!(not_allowed, Cancel, NotAllowed);
    condition!(not_authorized, Auth, NotAuthorized);
    condition!(registration_required, Auth, RegistrationRequired);
    condition!(service_unavailable, Cancel, ServiceUnavailable);
    condition!(internal_server_error, Wait, InternalServerError);
    condition!(policy_violation, Modify, PolicyViolation);
    condition!(resource_constraint, Wait, ResourceConstraint);
}

/// The error reply to an IQ request; `None` for results and errors, which are never answered.
pub fn iq_error(iq: &Iq, err: StanzaError) -> Option<Stanza> {
    let (from, to, id, payload) = match iq {
        Iq::Get {
            from,
            to,
            id,
            payload,
        }
        | Iq::Set {
            from,
            to,
            id,
            payload,
        } => (from, to, id, payload),
        Iq::Result { .. } | Iq::Error { .. } => return None,
    };
    Some(Stanza::Iq(Iq::Error {
        from: to.clone(),
        to: from.clone(),
        id: id.clone(),
        error: err,
        payload: Some(payload.clone()),
    }))
}

/// An empty IQ result for a request.
pub fn iq_result(iq: &Iq, payload: Option<Element>) -> Option<Stanza> {
    match iq {
        Iq::Get { from, to, id, .. } | Iq::Set { from, to, id, .. } => {
            Some(Stanza::Iq(Iq::Result {
                from: to.clone(),
                to: from.clone(),
                id: id.clone(),
                payload,
            }))
        }
        Iq::Result { .. } | Iq::Error { .. } => None,
    }
}

/// The error reply to a message (its payloads echoed back); `None` for an error message.
pub fn message_error(m: &Message, err: StanzaError) -> Option<Stanza> {
    if m.type_ == MessageType::Error {
        return None;
    }
    let mut reply = m.clone();
    reply.type_ = MessageType::Error;
    reply.from = m.to.clone();
    reply.to = m.from.clone();
    reply.payloads.push(err.into());
    Some(Stanza::Message(reply))
}

/// The error reply to a presence, keeping the payloads that say what was asked (the muc `<x/>`).
pub fn presence_error(p: &Presence, err: StanzaError) -> Option<Stanza> {
    if p.type_ == PresenceType::Error {
        return None;
    }
    let mut reply = Presence::new(PresenceType::Error);
    reply.from = p.to.clone();
    reply.to = p.from.clone();
    reply.id = p.id.clone();
    reply.payloads = p
        .payloads
        .iter()
        .filter(|e| e.ns() == xmpp_parsers::ns::MUC)
        .cloned()
        .collect();
    reply.payloads.push(err.into());
    Some(Stanza::Presence(reply))
}

/// The error reply refusing an inbound stanza, whatever its kind (none to an answer or error).
pub fn refusal(inbound: &Inbound, err: StanzaError) -> Option<Stanza> {
    match inbound {
        Inbound::Invalid(_) => None,
        Inbound::Stanza(stanza) => match stanza.as_ref() {
            Stanza::Iq(iq) => iq_error(iq, err),
            Stanza::Message(m) => message_error(m, err),
            Stanza::Presence(p) => presence_error(p, err),
        },
    }
}

/// The error reply to a stanza that did not parse (bad-request) or broke a limit
/// (policy-violation); never to an error or a result, and only where the header names a sender
/// we can address.
pub fn invalid_error(h: &InvalidStanza, by: &Jid) -> Option<Stanza> {
    if matches!(h.type_.as_deref(), Some("error" | "result")) {
        return None;
    }
    let to: Jid = h.from.as_deref()?.parse().ok()?;
    // The reply comes from where the stanza went if that is an address of ours, else from the
    // service: a component may only send from its own domain (the server ends the stream
    // otherwise), and a `to` that does not parse names no one.
    let from =
        h.to.as_deref()
            .and_then(|t| t.parse::<Jid>().ok())
            .filter(|t| t.domain() == by.domain())
            .unwrap_or_else(|| by.clone());
    let from = Some(from);
    let err = error(ErrorType::Modify, h.condition.clone(), by, Some(&h.reason));
    Some(match h.kind {
        StanzaKind::Iq => Stanza::Iq(Iq::Error {
            from,
            to: Some(to),
            id: h.id.clone()?,
            error: err,
            payload: None,
        }),
        StanzaKind::Message => {
            let mut m = Message::new(Some(to));
            m.type_ = MessageType::Error;
            m.from = from;
            m.id = h.id.clone().map(xmpp_parsers::message::Id);
            m.payloads.push(err.into());
            Stanza::Message(m)
        }
        StanzaKind::Presence => {
            let mut p = Presence::new(PresenceType::Error);
            p.to = Some(to);
            p.from = from;
            p.id = h.id.clone();
            p.payloads.push(err.into());
            Stanza::Presence(p)
        }
    })
}
