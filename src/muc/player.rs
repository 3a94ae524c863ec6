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
            .attr(xmpp_parsers::minidom::rxml::xml_ncname!("title").to_owned(), self.hat_title())
            .attr(xmpp_parsers::minidom::rxml::xml_ncname!("uri").to_owned(), self.hat_uri())
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
        assert_eq!(xml(player), "<player xmlns='urn:palaver:game:0' seat='X 1'/>");
    }

    #[test]
    fn seatless_player() {
        let p = Player::default();
        assert_eq!(p.hat_uri(), "urn:palaver:game:0#player");
        assert_eq!(String::from(&p.badges()[1]), "<player xmlns='urn:palaver:game:0'/>");
    }
}
