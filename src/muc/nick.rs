//! Room nicknames (Business Rules §17.1's addresses; RFC 8266, the PRECIS nickname profile).
//!
//! A nickname reaches palaver as the resourcepart of an occupant JID, which the jid crate has
//! already passed through resourceprep (RFC 7622's predecessor profile: NFKC, characters mapped to
//! nothing dropped, controls and unassigned code points refused). On top of that, as RFC 8266
//! §2.2 enforces: every space character becomes an ASCII space, spaces at either end go and runs
//! of spaces become one; PRECIS FreeformClass refuses default-ignorable code points and old Hangul
//! jamo (fillers that look like nothing); and a nickname must hold at least one visible character.
//! Two nicknames are the same when their enforced forms are equal after case mapping (§2.3), so
//! that "Bob", "bob" and "Bob" followed by an invisible character cannot all be in one room.

use xmpp_parsers::jid::BareJid;

/// Why a nickname is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadNick {
    /// Nothing left once spaces are trimmed (jid-malformed, as a missing nick is: §7.2.17).
    Empty,
    /// A character the nickname profile disallows (not-acceptable).
    Disallowed,
    /// Only characters that show nothing (not-acceptable).
    Invisible,
}

impl BadNick {
    pub fn text(self) -> &'static str {
        match self {
            BadNick::Empty => "A room nickname is required",
            BadNick::Disallowed => "That nickname holds a character that nicknames may not use",
            BadNick::Invisible => "A nickname must hold at least one visible character",
        }
    }
}

/// The nickname as the room uses it (RFC 8266 enforcement), or why it cannot be one.
pub fn enforce(nick: &str) -> Result<String, BadNick> {
    if nick.chars().any(disallowed) {
        return Err(BadNick::Disallowed);
    }
    let spaced: String = nick
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let enforced = spaced
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if enforced.is_empty() {
        return Err(BadNick::Empty);
    }
    if !enforced.chars().any(visible) {
        return Err(BadNick::Invisible);
    }
    Ok(enforced)
}

/// What two nicknames are compared by (RFC 8266 §2.3: enforcement, then case mapping). A
/// nickname that cannot be enforced is compared as given, lower-cased.
pub fn key(nick: &str) -> String {
    enforce(nick).as_deref().unwrap_or(nick).to_lowercase()
}

/// Whether two nicknames are the same nickname.
pub fn same(a: &str, b: &str) -> bool {
    key(a) == key(b)
}

/// `room@service/nick` with the nickname enforced, or why not.
pub fn occupant_jid(room: &BareJid, nick: &str) -> Result<xmpp_parsers::jid::FullJid, BadNick> {
    let nick = enforce(nick)?;
    room.with_resource_str(&nick)
        .map_err(|_| BadNick::Disallowed)
}

/// PRECIS FreeformClass's disallowed code points that resourceprep lets through:
/// default-ignorable code points (Unicode's Default_Ignorable_Code_Point) and old Hangul jamo.
fn disallowed(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x034F
            | 0x061C
            | 0x1100..=0x11FF
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xA960..=0xA97F
            | 0xD7B0..=0xD7FF
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    ) || c.is_control()
}

/// Whether a character shows something on its own: not a space, not a blank such as the
/// Braille pattern blank, not a combining mark (which only decorates another character).
fn visible(c: char) -> bool {
    !c.is_whitespace()
        && c != '\u{2800}'
        && !matches!(
            c as u32,
            0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforcement_trims_and_collapses_spaces() {
        assert_eq!(enforce("Bob").as_deref(), Ok("Bob"));
        assert_eq!(
            enforce("  Bob  the   Builder ").as_deref(),
            Ok("Bob the Builder")
        );
        assert_eq!(enforce("Bob\u{3000}B").as_deref(), Ok("Bob B"));
    }

    #[test]
    fn empty_invisible_and_disallowed_nicknames_are_refused() {
        assert_eq!(enforce(""), Err(BadNick::Empty));
        assert_eq!(enforce("   "), Err(BadNick::Empty));
        assert_eq!(enforce("\u{2800}"), Err(BadNick::Invisible));
        assert_eq!(enforce("\u{0301}\u{0301}"), Err(BadNick::Invisible));
        assert_eq!(enforce("\u{1160}"), Err(BadNick::Disallowed));
        assert_eq!(enforce("\u{115F}x"), Err(BadNick::Disallowed));
        assert_eq!(enforce("Bob\u{200B}"), Err(BadNick::Disallowed));
        assert_eq!(enforce("Bob\u{2062}"), Err(BadNick::Disallowed));
        assert_eq!(enforce("e\u{0301}").as_deref(), Ok("e\u{0301}"));
    }

    #[test]
    fn comparison_ignores_case_and_spacing() {
        assert!(same("Bob", "bob"));
        assert!(same("Bob", " BOB "));
        assert!(same("Straße", "straße"));
        assert!(!same("Bob", "Bobby"));
        assert!(!same("Bo b", "Bob"));
    }
}
