//! The room subject (§7.2.15, §8.1): sent last to every joiner, changed by moderators or, where
//! the configuration allows it, by participants.

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::{FullJid, Jid};
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::Role;

use super::at_rest::{AtRest, Empty};
use super::join::{JoinSteps, Joined};
use super::room::{Room, Rooms};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::{errors, message_error};

/// The current subject and who set it (`room/nick` and its XEP-0421 occupant-id, or none when
/// the room set it).
#[derive(Debug, Clone, Default)]
pub struct SubjectInfo {
    pub text: String,
    pub by: Option<FullJid>,
    pub occupant_id: Option<String>,
    /// When an occupant set it (§7.2.15's delay stamp on join).
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A room's [`SubjectInfo`], allocated when a subject is set.
pub type Subject = AtRest<SubjectInfo>;

static NO_SUBJECT: SubjectInfo = SubjectInfo {
    text: String::new(),
    by: None,
    occupant_id: None,
    at: None,
};

impl Empty for SubjectInfo {
    fn empty() -> &'static Self {
        &NO_SUBJECT
    }
}

impl From<SubjectInfo> for Subject {
    fn from(info: SubjectInfo) -> Subject {
        let none = info.text.is_empty()
            && info.by.is_none()
            && info.occupant_id.is_none()
            && info.at.is_none();
        AtRest::new(info, none)
    }
}

/// An occupant's message that carries a subject and no body.
#[derive(Message, Debug, Clone)]
pub struct SubjectRequest {
    pub room: Entity,
    pub occupant: Entity,
    pub message: Message,
}

/// Ordering within [`Phase::Messages`]: subject changes after groupchat.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubjectChanges;

pub struct SubjectPlugin;

impl Feature for SubjectPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.register_required_components::<Room, Subject>();
        engine.add_message::<SubjectRequest>();
        engine.add_systems(send_subject.in_set(JoinSteps::Subject));
        engine.add_systems(
            change_subject
                .in_set(SubjectChanges)
                .in_set(Phase::Messages),
        );
    }
}

/// The subject message: from whoever set it (or the room), `<subject/>` when there is none.
pub fn subject_message(room: &Room, subject: &Subject, to: Jid, id: Option<String>) -> Message {
    let mut m = Message::groupchat(Some(to));
    m.from = Some(match &subject.by {
        Some(by) => by.clone().into(),
        None => room.jid.clone().into(),
    });
    m.id = id.map(xmpp_parsers::message::Id);
    m.subjects.insert(Default::default(), subject.text.clone());
    if let (Some(_), Some(oid)) = (&subject.by, &subject.occupant_id) {
        m.payloads.push(super::occupant_id::element(oid));
    }
    m
}

fn send_subject(
    mut joined: MessageReader<Joined>,
    rooms: Query<(&Room, &Subject)>,
    mut out: ResMut<Outbox>,
) {
    for j in joined.read() {
        if let Ok((room, subject)) = rooms.get(j.room) {
            let mut m = subject_message(room, subject, j.to.clone().into(), None);
            // §7.2.15: when an occupant set it, and from the room itself.
            if let (Some(_), Some(at)) = (&subject.by, subject.at) {
                m.payloads.push(
                    xmpp_parsers::delay::Delay {
                        from: Some(room.jid.clone().into()),
                        stamp: xmpp_parsers::date::DateTime(at.fixed_offset()),
                        data: None,
                    }
                    .into(),
                );
            }
            out.send(m);
        }
    }
}

fn change_subject(
    mut requests: MessageReader<SubjectRequest>,
    rooms: Rooms,
    mut subjects: Query<(&Room, &mut Subject)>,
    service: Res<Service>,
    now: Res<crate::engine::Now>,
    mut out: ResMut<Outbox>,
) {
    for req in requests.read() {
        let (Some(config), Some(me)) = (rooms.config(req.room), rooms.occupant(req.occupant))
        else {
            continue;
        };
        let allowed =
            me.role == Role::Moderator || (config.change_subject && me.role == Role::Participant);
        if !allowed {
            out.send_opt(message_error(
                &req.message,
                errors::forbidden(
                    &service.jid,
                    Some("Only moderators may change the subject in this room"),
                ),
            ));
            continue;
        }
        let Ok((room, mut subject)) = subjects.get_mut(req.room) else {
            continue;
        };
        subject.text = req
            .message
            .subjects
            .values()
            .next()
            .cloned()
            .unwrap_or_default();
        subject.by = Some(me.occupant_jid.clone());
        subject.occupant_id = Some(me.occupant_id.clone());
        subject.at = Some(now.0);
        let id = req.message.id.as_ref().map(|i| i.0.clone());
        for jid in rooms.real_jids(req.room) {
            let m = subject_message(room, &subject, jid.clone().into(), id.clone());
            out.send(m);
        }
    }
}

/// Whether a groupchat message is a subject change: a subject, no body and no thread (§8.1).
pub fn is_subject_change(m: &Message) -> bool {
    m.type_ == MessageType::Groupchat
        && !m.subjects.is_empty()
        && m.bodies.is_empty()
        && m.thread.is_none()
}
