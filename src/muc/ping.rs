//! XEP-0199 pings to the service and rooms, and XEP-0410 self-pings to one's own occupant JID.

use bevy_ecs::prelude::*;

use super::room::Rooms;
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::errors;

pub struct PingPlugin;

impl Feature for PingPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        for target in [
            IqTargetKind::Service,
            IqTargetKind::Room,
            IqTargetKind::Occupant,
        ] {
            engine.handle_iq(target, xmpp_parsers::ns::PING);
        }
        engine.add_systems(ping.in_set(Phase::Iq));
    }
}

fn ping(
    mut iqs: MessageReader<IqIn>,
    rooms: Rooms,
    service: Res<Service>,
    mut out: ResMut<Outbox>,
) {
    for iq in iqs.read().filter(|iq| iq.ns == xmpp_parsers::ns::PING) {
        if iq.set || !iq.payload.is("ping", xmpp_parsers::ns::PING) {
            out.send(iq.error(errors::bad_request(&service.jid, None)));
            continue;
        }
        let reply = match &iq.target {
            IqTarget::Service => Ok(()),
            IqTarget::Room(room) => rooms
                .find(room)
                .map(|_| ())
                .ok_or_else(|| errors::item_not_found(&service.jid, None)),
            // XEP-0410: the answer tells the client whether it is still in the room.
            IqTarget::Occupant(room, nick) => {
                let me = rooms
                    .find(room)
                    .and_then(|r| rooms.occupant_by_sender(r, &iq.from));
                match me {
                    Some(me) if super::nick::same(&me.nick, nick) => Ok(()),
                    Some(_) => Err(errors::feature_not_implemented(&service.jid, None)),
                    None => Err(errors::not_acceptable(
                        &service.jid,
                        Some("You are not an occupant of this room"),
                    )),
                }
            }
        };
        out.send(match reply {
            Ok(()) => iq.reply(None),
            Err(e) => iq.error(e),
        });
    }
}

#[cfg(test)]
#[path = "tests/ping.rs"]
mod tests;
