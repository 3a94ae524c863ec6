//! palaver's `player` role and affiliation, made safe for ordinary clients.
//!
//! The player affiliation lives in [`super::room::Affiliations`] and shows as `member` on the
//! wire; the player role is the [`Player`] component on an occupant and shows as `participant`
//! (or the occupant's higher role), plus an XEP-0317 hat and a `<player/>` element in palaver's
//! own namespace, so that game-aware clients can tell seats apart and others lose nothing.

use bevy_ecs::prelude::*;
use xmpp_parsers::minidom::Element;

/// palaver's namespace for game information in stanzas.
pub const NS: &str = "urn:palaver:game:0";
/// XEP-0317.
pub const HATS_NS: &str = "urn:xmpp:hats:0";
/// The service's disco node listing the rooms with a game in progress.
pub const RUNNING_NODE: &str = "urn:palaver:game:0#running";

/// The domain of the real JIDs of occupants the service plays itself (a game's table, the
/// computer in a seat). `.invalid` never resolves (RFC 2606) and the outbox sends nothing there,
/// so these occupants sit in the roster like anyone else without ever receiving a stanza.
pub const HOUSE_DOMAIN: &str = "palaver.invalid";

/// Whether `jid` is the real JID of an occupant the service plays itself.
pub fn is_house(jid: &xmpp_parsers::jid::Jid) -> bool {
    jid.domain().as_str() == HOUSE_DOMAIN
}

/// The occupant plays: it holds a seat of the room's game (`None` before seats are dealt).
#[derive(Component, Debug, Clone, PartialEq, Eq, Default)]
pub struct Player {
    pub seat: Option<String>,
}

impl Player {
    /// The hat URI of this seat: one per seat so clients may colour seats apart.
    pub fn hat_uri(&self) -> String {
        match &self.seat {
            Some(seat) => format!("{NS}#seat-{}", uri_safe(seat)),
            None => format!("{NS}#player"),
        }
    }

    pub fn hat_title(&self) -> String {
        match &self.seat {
            Some(seat) => format!("Player {seat}"),
            None => "Player".to_owned(),
        }
    }

    /// The elements a player's presence carries: `<hats/>` and `<player/>`.
    pub fn badges(&self) -> Vec<Element> {
        let hat = Element::builder("hat", HATS_NS)
            .attr(
                xmpp_parsers::minidom::rxml::xml_ncname!("title").to_owned(),
                self.hat_title(),
            )
            .attr(
                xmpp_parsers::minidom::rxml::xml_ncname!("uri").to_owned(),
                self.hat_uri(),
            )
            .build();
        let hats = Element::builder("hats", HATS_NS).append(hat).build();
        let mut player = Element::bare("player", NS);
        if let Some(seat) = &self.seat {
            player.set_attr(
                xmpp_parsers::minidom::rxml::Namespace::NONE,
                xmpp_parsers::minidom::rxml::xml_ncname!("seat").to_owned(),
                seat.clone(),
            );
        }
        vec![hats, player]
    }
}

/// A room's game settings beyond the game itself (configuration fields of the game feature).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GameOptions {
    /// The time control games start with (`5+3`, `30s/move`…); empty: the rules' own.
    pub clock: String,
    /// Whether games here count for ratings (never against the computer).
    pub rated: bool,
}

impl Default for GameOptions {
    fn default() -> Self {
        GameOptions {
            clock: String::new(),
            rated: true,
        }
    }
}

/// The room's game is under way: the spectator separation applies (palaver's game rooms).
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct GameRunning;

/// Whether spectators' groupchat is kept from players right now.
pub fn spectators_separated(config: &super::config::RoomConfig, running: bool) -> bool {
    running && config.separate_spectators
}

/// Keeps letters, digits, `-` and `_`; percent-encodes the rest (seat names come from rules files).
fn uri_safe(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::muc::room::RoomIndex;
    use crate::testing::{Harness, assert_stanzas};

    /// Lobby with Alice (owner) and Bob seated as a player, Carol watching, game running.
    fn game_room() -> Harness {
        let mut h = Harness::lobby_with_alice_and_bob();
        h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
        h.send("<iq type='set' id='p' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='player'/></query></iq>");
        let world = h.engine.world_mut();
        let room = world.resource::<RoomIndex>().0.values().next().copied();
        if let Some(room) = room {
            world.entity_mut(room).insert(GameRunning);
        }
        h
    }

    #[test]
    fn spectators_chat_does_not_reach_players_while_a_game_runs() {
        let mut h = game_room();
        let out = h.send("<message type='groupchat' id='s' from='carol@localhost/c' to='lobby@conference.localhost'><body>play e4!</body></message>");
        assert_stanzas(
            &out,
            &[
                "<message type='groupchat' id='s' from='lobby@conference.localhost/Carol' to='alice@localhost/pc'><body>play e4!</body></message>",
                "<message type='groupchat' id='s' from='lobby@conference.localhost/Carol' to='carol@localhost/c'><body>play e4!</body></message>",
            ],
        );
        // Players are heard by everyone.
        let out = h.send("<message type='groupchat' id='b' from='bob@localhost/m' to='lobby@conference.localhost'><body>gg</body></message>");
        assert_eq!(out.len(), 3);
        // A player who rejoins gets no spectator chat in the history; a spectator does.
        let bodies = |out: &[Element]| -> Vec<String> {
            out.iter()
                .filter(|e| e.name() == "message")
                .filter_map(|e| {
                    e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                        .map(|b| b.text())
                })
                .collect()
        };
        let out = h.send("<presence from='bob@localhost/m' to='lobby@conference.localhost/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        assert_eq!(bodies(&out), ["gg"]);
        let out = h.join("dave@localhost/d", "lobby@conference.localhost/Dave");
        assert_eq!(bodies(&out), ["play e4!", "gg"]);
    }

    #[test]
    fn the_configuration_can_turn_the_separation_off() {
        let mut h = game_room();
        h.send("<iq type='set' id='c' from='alice@localhost/pc' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
            <field var='palaver#roomconfig_separatespectators'><value>0</value></field></x></query></iq>");
        let out = h.send("<message type='groupchat' id='s' from='carol@localhost/c' to='lobby@conference.localhost'><body>hi</body></message>");
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn seat_hat_and_element() {
        let p = Player {
            seat: Some("X 1".into()),
        };
        let [hats, player] = &p.badges()[..] else {
            panic!("two badges expected");
        };
        let xml = |e: &Element| String::from(e);
        assert_eq!(
            xml(hats),
            "<hats xmlns='urn:xmpp:hats:0'><hat title='Player X 1' uri='urn:palaver:game:0#seat-X%201'/></hats>"
        );
        assert_eq!(
            xml(player),
            "<player xmlns='urn:palaver:game:0' seat='X 1'/>"
        );
    }

    #[test]
    fn seatless_player() {
        let p = Player::default();
        assert_eq!(p.hat_uri(), "urn:palaver:game:0#player");
        assert_eq!(
            String::from(&p.badges()[1]),
            "<player xmlns='urn:palaver:game:0'/>"
        );
    }
}
