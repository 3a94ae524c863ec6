//! Destroying a room (§10.9): every occupant gets its own unavailable presence carrying
//! `<destroy/>` with the reason and the alternate venue, then the room and its state go.

use bevy_ecs::prelude::*;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::muc::user::{Item, Role};
use xmpp_parsers::presence::{Presence, Type as PresenceType};

use super::room::{Rooms, muc_user};
use crate::engine::Outbox;
use crate::xmpp::muc_owner::Destroy;

/// A room was destroyed (features holding state elsewhere, such as the store, react).
#[derive(Message, Debug, Clone)]
pub struct RoomDestroyed {
    pub jid: xmpp_parsers::jid::BareJid,
}

/// Tells every occupant the room is gone, then despawns it.
pub fn destroy(
    rooms: &mut Rooms,
    room: Entity,
    how: &Destroy,
    destroyed: &mut MessageWriter<RoomDestroyed>,
    out: &mut Outbox,
) {
    let ns = xmpp_parsers::ns::MUC_USER;
    for occupant in rooms.occupants_of(room) {
        let mut p = Presence::new(PresenceType::Unavailable);
        p.from = Some(occupant.occupant_jid.clone().into());
        p.to = Some(occupant.jid.clone().into());
        let mut x = muc_user(
            Vec::new(),
            vec![Item::new(occupant.affiliation.clone(), Role::None)],
        );
        let mut element = Element::builder("destroy", ns)
            .attr(
                xml_ncname!("jid").to_owned(),
                how.jid.as_ref().map(|j| j.to_string()),
            )
            .build();
        if let Some(reason) = &how.reason {
            element.append_child(
                Element::builder("reason", ns)
                    .append(reason.clone())
                    .build(),
            );
        }
        if let Some(password) = &how.password {
            element.append_child(
                Element::builder("password", ns)
                    .append(password.clone())
                    .build(),
            );
        }
        x.append_child(element);
        p.payloads.push(x);
        p.payloads
            .push(super::occupant_id::element(&occupant.occupant_id));
        for p in super::room::to_sessions(&occupant, p) {
            out.send(p);
        }
        rooms.remove_occupant(room, &occupant);
    }
    if let Some(jid) = rooms.jid(room).cloned() {
        destroyed.write(RoomDestroyed { jid });
    }
    rooms.destroy_room(room);
}

/// A destroy notice with only a reason (the service's own destructions).
pub fn because(reason: &str) -> Destroy {
    Destroy {
        jid: None,
        password: None,
        reason: Some(reason.to_owned()),
    }
}
