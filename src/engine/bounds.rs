//! Bounds on what users may write into the service, checked once for every stanza before any
//! feature sees it.
//!
//! The room repeats what it is given — a reason in three places of an invitation, a presence to
//! every occupant and to every later joiner, a room name in every disco#items answer — so each
//! user-controlled field has a bound here, far above ordinary use, and a stanza over one is
//! refused with `not-acceptable` and a sentence naming the field. The link already bounds a
//! stanza's depth and size (`link::framer`); this is about what a field may hold.

use xmpp_parsers::minidom::{Element, Node};
use xmpp_parsers::stanza::Stanza;

/// The bounds, in characters (text) or bytes (whole payloads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// A nickname (the resource of `room@service/nick`).
    pub nick: usize,
    /// A room's name (`muc#roomconfig_roomname`).
    pub room_name: usize,
    /// Any other data form value: a description, a password, a registration field.
    pub form_value: usize,
    /// A `<reason/>` (kick, ban, invitation, decline, destroy) or a presence `<status/>`.
    pub reason: usize,
    /// A message `<subject/>`.
    pub subject: usize,
    /// A presence to a room, in bytes: it is stored and sent to every occupant and joiner.
    pub presence_bytes: usize,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            nick: 100,
            room_name: 100,
            form_value: 2_000,
            reason: 500,
            subject: 2_000,
            presence_bytes: 16 * 1024,
        }
    }
}

/// Why a stanza is refused: a plain sentence for the error's text.
pub type Refusal = String;

/// Checks a stanza against the bounds.
pub fn check(bounds: &Bounds, stanza: &Stanza) -> Result<(), Refusal> {
    match stanza {
        Stanza::Presence(p) => {
            if let Some(nick) = p.to.as_ref().and_then(|t| t.resource()) {
                at_most("A nickname", nick.as_str(), bounds.nick)?;
            }
            for status in p.statuses.values() {
                at_most("A status text", status, bounds.reason)?;
            }
            let bytes: usize = p.payloads.iter().map(size).sum();
            if bytes > bounds.presence_bytes {
                return Err(format!(
                    "A presence to a room may carry at most {} bytes of payloads.",
                    bounds.presence_bytes
                ));
            }
            payloads(bounds, &p.payloads)
        }
        Stanza::Message(m) => {
            for subject in m.subjects.values() {
                at_most("A subject", subject, bounds.subject)?;
            }
            payloads(bounds, &m.payloads)
        }
        Stanza::Iq(iq) => match iq {
            xmpp_parsers::iq::Iq::Get { payload, .. }
            | xmpp_parsers::iq::Iq::Set { payload, .. } => {
                payloads(bounds, std::slice::from_ref(payload))
            }
            // Answers to relayed IQs are the asker's business, bounded by the link.
            _ => Ok(()),
        },
    }
}

fn at_most(what: &str, text: &str, max: usize) -> Result<(), Refusal> {
    // Counting stops at the bound: a long text is not walked to its end.
    if text.chars().nth(max).is_some() {
        return Err(format!("{what} may be at most {max} characters long."));
    }
    Ok(())
}

/// Walks the payloads (their depth is bounded by the link) for reasons, statuses and form values.
fn payloads(bounds: &Bounds, elements: &[Element]) -> Result<(), Refusal> {
    let mut stack: Vec<&Element> = elements.iter().collect();
    while let Some(e) = stack.pop() {
        match e.name() {
            "reason" => at_most("A reason", &e.text(), bounds.reason)?,
            "status" => at_most("A status text", &e.text(), bounds.reason)?,
            "password" => at_most("A password", &e.text(), bounds.form_value)?,
            "field" => {
                let (what, max) = match e.attr("var") {
                    Some("muc#roomconfig_roomname") => ("The room's name", bounds.room_name),
                    Some("muc#register_roomnick") => ("A nickname", bounds.nick),
                    _ => ("A form value", bounds.form_value),
                };
                for value in e.children().filter(|c| c.name() == "value") {
                    at_most(what, &value.text(), max)?;
                }
            }
            _ => {}
        }
        stack.extend(e.children());
    }
    Ok(())
}

/// About how many bytes an element takes as XML (names, attributes and text).
pub fn size(e: &Element) -> usize {
    let mut total = 0;
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        total += 2 * e.name().len() + 5;
        total += e
            .attrs()
            .iter()
            .map(|((_, k), v)| k.len() + v.len() + 4)
            .sum::<usize>();
        for node in e.nodes() {
            match node {
                Node::Element(child) => stack.push(child),
                Node::Text(t) => total += t.len(),
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::parse;

    fn checked(xml: &str) -> Result<(), Refusal> {
        let stanza = Stanza::try_from(parse(xml)).expect("a stanza");
        check(&Bounds::default(), &stanza)
    }

    #[test]
    fn ordinary_stanzas_pass() {
        let ok = [
            "<presence from='a@x/r' to='room@conference.localhost/Alice'>\
             <x xmlns='http://jabber.org/protocol/muc'/><status>Away for lunch</status></presence>",
            "<message from='a@x/r' to='room@conference.localhost' type='groupchat'>\
             <subject>Today: chess</subject></message>",
            "<iq from='a@x/r' to='room@conference.localhost' type='set' id='k'>\
             <query xmlns='http://jabber.org/protocol/muc#admin'>\
             <item nick='b' role='none'><reason>spam</reason></item></query></iq>",
        ];
        for xml in ok {
            assert_eq!(checked(xml), Ok(()), "{xml}");
        }
    }

    #[test]
    fn each_field_has_its_bound() {
        let long = |n: usize| "é".repeat(n);
        let cases = [
            (
                format!(
                    "<presence from='a@x/r' to='room@conference.localhost/{}'/>",
                    long(101)
                ),
                "A nickname may be at most 100",
            ),
            (
                format!(
                    "<presence from='a@x/r' to='room@conference.localhost/n'><status>{}</status></presence>",
                    long(501)
                ),
                "A status text may be at most 500",
            ),
            (
                format!(
                    "<message from='a@x/r' to='room@conference.localhost' type='groupchat'><subject>{}</subject></message>",
                    long(2001)
                ),
                "A subject may be at most 2000",
            ),
            (
                format!(
                    "<message from='a@x/r' to='room@conference.localhost'>\
                         <x xmlns='http://jabber.org/protocol/muc#user'><invite to='b@x'><reason>{}</reason></invite></x></message>",
                    long(501)
                ),
                "A reason may be at most 500",
            ),
            (
                format!(
                    "<iq from='a@x/r' to='room@conference.localhost' type='set' id='c'>\
                         <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
                         <field var='muc#roomconfig_roomname'><value>{}</value></field></x></query></iq>",
                    long(101)
                ),
                "The room's name may be at most 100",
            ),
            (
                format!(
                    "<presence from='a@x/r' to='room@conference.localhost/n'><c xmlns='urn:x'>{}</c></presence>",
                    "y".repeat(17_000)
                ),
                "at most 16384 bytes",
            ),
        ];
        for (xml, expected) in cases {
            let refusal = checked(&xml).expect_err(expected);
            assert!(refusal.contains(expected), "{refusal}");
        }
        // The bounds are inclusive.
        let at_bound = format!(
            "<presence from='a@x/r' to='room@conference.localhost/{}'/>",
            long(100)
        );
        assert_eq!(checked(&at_bound), Ok(()));
    }
}
