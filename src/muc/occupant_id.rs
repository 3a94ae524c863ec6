//! XEP-0421 occupant identifiers, and the service key behind them and behind stanza-ids.
//!
//! Every presence and message the room sends about an occupant carries
//! `<occupant-id xmlns='urn:xmpp:occupant-id:0' id='…'/>`: HMAC-SHA-256 of the room's and the
//! user's bare JIDs under a per-service secret, as XEP-0421 §4 suggests. It is the same for a user
//! in a room whatever the nick, session or restart, differs from room to room, and reveals nothing
//! of the JID without the secret, which is generated once and kept in the store.

use bevy_ecs::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::minidom::Element;

/// XEP-0421's namespace.
pub const NS: &str = "urn:xmpp:occupant-id:0";

/// The per-service secret: occupant-ids and stanza-ids are keyed hashes under it.
#[derive(Resource, Clone)]
pub struct ServiceKey(pub [u8; 32]);

impl std::fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceKey(…)")
    }
}

impl ServiceKey {
    /// A fresh random key (the service replaces it with the stored one before it connects).
    pub fn random() -> ServiceKey {
        let mut key = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut key) {
            // No OS randomness: ids stay unique, only less unpredictable.
            tracing::warn!("no randomness for the service key: {e}");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            key[..16].copy_from_slice(&now.to_le_bytes());
        }
        ServiceKey(key)
    }

    /// HMAC-SHA-256 of `parts`, each followed by a NUL (so that parts cannot run together).
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return [0; 32];
        };
        for part in parts {
            mac.update(part);
            mac.update(&[0]);
        }
        mac.finalize().into_bytes().into()
    }

    /// The occupant-id of `user` in `room`.
    pub fn occupant_id(&self, room: &BareJid, user: &BareJid) -> String {
        hex(&self.mac(&[
            b"occupant-id",
            room.as_str().as_bytes(),
            user.as_str().as_bytes(),
        ])[..16])
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The `<occupant-id/>` element.
pub fn element(id: &str) -> Element {
    Element::builder("occupant-id", NS)
        .attr(
            xmpp_parsers::minidom::rxml::xml_ncname!("id").to_owned(),
            id,
        )
        .build()
}

/// Whether a payload is an occupant-id (a client's own is never relayed: XEP-0421 §4).
pub fn is_occupant_id(e: &Element) -> bool {
    e.is("occupant-id", NS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_user_and_room_and_unlinkable_across_rooms_and_keys() {
        let key = ServiceKey([7; 32]);
        let room: BareJid = "lobby@conference.localhost"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let other: BareJid = "chess@conference.localhost"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let bob: BareJid = "bob@localhost".parse().unwrap_or_else(|e| panic!("{e}"));
        let id = key.occupant_id(&room, &bob);
        assert_eq!(id.len(), 32);
        assert_eq!(id, key.occupant_id(&room, &bob));
        assert_ne!(id, key.occupant_id(&other, &bob));
        assert_ne!(id, ServiceKey([8; 32]).occupant_id(&room, &bob));
        assert_ne!(ServiceKey::random().0, ServiceKey::random().0);
    }
}

#[cfg(test)]
#[path = "tests/occupant_id.rs"]
mod stanza_tests;
