//! The `http://jabber.org/protocol/muc#admin` `<query><item/>+</query>` (XEP-0045 §8–§10,
//! schema §19.3): role and affiliation lists and changes. palaver adds the `player`
//! affiliation, and accepts the `player` role palaver 0.6 clients still send.

use std::fmt;
use std::str::FromStr;

use xmpp_parsers::jid::Jid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::muc::user::{Affiliation, Role};
use xmpp_parsers::{Error, FromElementError};

use super::util::{check_attributes, check_no_text, invalid, leaf_text, set_once};

pub const NS: &str = "http://jabber.org/protocol/muc#admin";

/// XEP-0045's affiliations plus palaver's `player`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminAffiliation {
    Owner,
    Admin,
    Member,
    Outcast,
    None,
    /// palaver: seated at the game table of a room.
    Player,
}

/// XEP-0045's roles, plus the `player` role of palaver 0.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminRole {
    Moderator,
    Participant,
    Visitor,
    None,
    /// palaver 0.6 sent players as a role; kept so those clients keep working.
    Player,
}

/// An unknown `affiliation` or `role` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue(pub String);

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value '{}'", self.0)
    }
}

impl std::error::Error for UnknownValue {}

impl AdminAffiliation {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminAffiliation::Owner => "owner",
            AdminAffiliation::Admin => "admin",
            AdminAffiliation::Member => "member",
            AdminAffiliation::Outcast => "outcast",
            AdminAffiliation::None => "none",
            AdminAffiliation::Player => "player",
        }
    }

    /// The XEP-0045 affiliation; `None` for `player`, which muc#user cannot carry.
    pub fn standard(self) -> Option<Affiliation> {
        Some(match self {
            AdminAffiliation::Owner => Affiliation::Owner,
            AdminAffiliation::Admin => Affiliation::Admin,
            AdminAffiliation::Member => Affiliation::Member,
            AdminAffiliation::Outcast => Affiliation::Outcast,
            AdminAffiliation::None => Affiliation::None,
            AdminAffiliation::Player => return None,
        })
    }
}

impl From<Affiliation> for AdminAffiliation {
    fn from(a: Affiliation) -> AdminAffiliation {
        match a {
            Affiliation::Owner => AdminAffiliation::Owner,
            Affiliation::Admin => AdminAffiliation::Admin,
            Affiliation::Member => AdminAffiliation::Member,
            Affiliation::Outcast => AdminAffiliation::Outcast,
            Affiliation::None => AdminAffiliation::None,
        }
    }
}

impl FromStr for AdminAffiliation {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<AdminAffiliation, UnknownValue> {
        Ok(match s {
            "owner" => AdminAffiliation::Owner,
            "admin" => AdminAffiliation::Admin,
            "member" => AdminAffiliation::Member,
            "outcast" => AdminAffiliation::Outcast,
            "none" => AdminAffiliation::None,
            "player" => AdminAffiliation::Player,
            other => return Err(UnknownValue(other.to_owned())),
        })
    }
}

impl fmt::Display for AdminAffiliation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AdminRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Moderator => "moderator",
            AdminRole::Participant => "participant",
            AdminRole::Visitor => "visitor",
            AdminRole::None => "none",
            AdminRole::Player => "player",
        }
    }

    /// The XEP-0045 role; `None` for the legacy `player`.
    pub fn standard(self) -> Option<Role> {
        Some(match self {
            AdminRole::Moderator => Role::Moderator,
            AdminRole::Participant => Role::Participant,
            AdminRole::Visitor => Role::Visitor,
            AdminRole::None => Role::None,
            AdminRole::Player => return None,
        })
    }
}

impl From<Role> for AdminRole {
    fn from(r: Role) -> AdminRole {
        match r {
            Role::Moderator => AdminRole::Moderator,
            Role::Participant => AdminRole::Participant,
            Role::Visitor => AdminRole::Visitor,
            Role::None => AdminRole::None,
        }
    }
}

impl FromStr for AdminRole {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<AdminRole, UnknownValue> {
        Ok(match s {
            "moderator" => AdminRole::Moderator,
            "participant" => AdminRole::Participant,
            "visitor" => AdminRole::Visitor,
            "none" => AdminRole::None,
            "player" => AdminRole::Player,
            other => return Err(UnknownValue(other.to_owned())),
        })
    }
}

impl fmt::Display for AdminRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `<actor jid='…'? nick='…'?/>`: who made a change; at least one of the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminActor {
    Jid(Jid),
    Nick(String),
    Both(Jid, String),
}

impl AdminActor {
    pub fn jid(&self) -> Option<&Jid> {
        match self {
            AdminActor::Jid(j) | AdminActor::Both(j, _) => Some(j),
            AdminActor::Nick(_) => None,
        }
    }

    pub fn nick(&self) -> Option<&str> {
        match self {
            AdminActor::Nick(n) | AdminActor::Both(_, n) => Some(n),
            AdminActor::Jid(_) => None,
        }
    }
}

/// One `<item/>`. Which attributes a request needs depends on the use case (§8, §9, §10), so
/// the handler checks them, not the parser.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdminItem {
    pub affiliation: Option<AdminAffiliation>,
    pub role: Option<AdminRole>,
    pub jid: Option<Jid>,
    pub nick: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<AdminActor>,
}

/// The admin query: requests carry one or more items (the schema's minimum), results carry
/// the list asked for, which may be empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdminQuery {
    pub items: Vec<AdminItem>,
}

fn attr_value<T: FromStr>(
    elem: &Element,
    name: &str,
    message: &'static str,
) -> Result<Option<T>, FromElementError> {
    elem.attr(name)
        .map(|v| v.parse::<T>().map_err(|_| invalid(message)))
        .transpose()
}

fn parse_jid(elem: &Element) -> Result<Option<Jid>, FromElementError> {
    Ok(elem
        .attr("jid")
        .map(str::parse::<Jid>)
        .transpose()
        .map_err(Error::text_parse_error)?)
}

impl TryFrom<Element> for AdminActor {
    type Error = FromElementError;

    fn try_from(elem: Element) -> Result<AdminActor, FromElementError> {
        if !elem.is("actor", NS) {
            return Err(FromElementError::Mismatch(elem));
        }
        check_attributes(
            &elem,
            &["jid", "nick"],
            "Unknown attribute in actor element.",
        )?;
        if elem.nodes().next().is_some() {
            return Err(invalid("The actor element must be empty."));
        }
        let jid = parse_jid(&elem)?;
        let nick = elem.attr("nick").map(str::to_owned);
        match (jid, nick) {
            (Some(j), Some(n)) => Ok(AdminActor::Both(j, n)),
            (Some(j), None) => Ok(AdminActor::Jid(j)),
            (None, Some(n)) => Ok(AdminActor::Nick(n)),
            (None, None) => Err(invalid("The actor element needs a jid or a nick.")),
        }
    }
}

impl From<AdminActor> for Element {
    fn from(actor: AdminActor) -> Element {
        let (jid, nick) = match actor {
            AdminActor::Jid(j) => (Some(j), None),
            AdminActor::Nick(n) => (None, Some(n)),
            AdminActor::Both(j, n) => (Some(j), Some(n)),
        };
        Element::builder("actor", NS)
            .attr(xml_ncname!("jid").into(), jid.map(|j| j.to_string()))
            .attr(xml_ncname!("nick").into(), nick)
            .build()
    }
}

impl TryFrom<Element> for AdminItem {
    type Error = FromElementError;

    fn try_from(elem: Element) -> Result<AdminItem, FromElementError> {
        if !elem.is("item", NS) {
            return Err(FromElementError::Mismatch(elem));
        }
        check_attributes(
            &elem,
            &["affiliation", "role", "jid", "nick"],
            "Unknown attribute in muc#admin item element.",
        )?;
        check_no_text(&elem, "Unexpected text in muc#admin item element.")?;
        let mut item = AdminItem {
            affiliation: attr_value(&elem, "affiliation", "Unknown affiliation in item element.")?,
            role: attr_value(&elem, "role", "Unknown role in item element.")?,
            jid: parse_jid(&elem)?,
            nick: elem.attr("nick").map(str::to_owned),
            ..AdminItem::default()
        };
        for child in elem.children() {
            if child.is("actor", NS) {
                let actor = AdminActor::try_from(child.clone())?;
                set_once(
                    &mut item.actor,
                    actor,
                    "More than one actor in item element.",
                )?;
            } else if child.is("reason", NS) {
                let text = leaf_text(child, "Invalid reason element in item element.")?;
                set_once(
                    &mut item.reason,
                    text,
                    "More than one reason in item element.",
                )?;
            } else {
                return Err(invalid("Unknown child in muc#admin item element."));
            }
        }
        Ok(item)
    }
}

impl From<AdminItem> for Element {
    fn from(item: AdminItem) -> Element {
        Element::builder("item", NS)
            .attr(
                xml_ncname!("affiliation").into(),
                item.affiliation.map(AdminAffiliation::as_str),
            )
            .attr(xml_ncname!("jid").into(), item.jid.map(|j| j.to_string()))
            .attr(xml_ncname!("nick").into(), item.nick)
            .attr(xml_ncname!("role").into(), item.role.map(AdminRole::as_str))
            .append_all(item.actor.map(Element::from))
            .append_all(
                item.reason
                    .map(|r| Element::builder("reason", NS).append(r).build()),
            )
            .build()
    }
}

impl TryFrom<Element> for AdminQuery {
    type Error = FromElementError;

    fn try_from(elem: Element) -> Result<AdminQuery, FromElementError> {
        if !elem.is("query", NS) {
            return Err(FromElementError::Mismatch(elem));
        }
        check_attributes(&elem, &[], "Unknown attribute in muc#admin query element.")?;
        check_no_text(&elem, "Unexpected text in muc#admin query element.")?;
        let mut items = Vec::new();
        for child in elem.children() {
            if !child.is("item", NS) {
                return Err(invalid("Unknown child in muc#admin query element."));
            }
            items.push(AdminItem::try_from(child.clone())?);
        }
        Ok(AdminQuery { items })
    }
}

impl From<AdminQuery> for Element {
    fn from(query: AdminQuery) -> Element {
        Element::builder("query", NS)
            .append_all(query.items.into_iter().map(Element::from))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<AdminQuery, FromElementError> {
        let elem: Element = xml.parse().expect("test XML is well-formed");
        AdminQuery::try_from(elem)
    }

    fn one_item(xml_item: &str) -> AdminItem {
        let xml = format!("<query xmlns='{NS}'>{xml_item}</query>");
        let q = parse(&xml);
        match q {
            Ok(AdminQuery { mut items }) if items.len() == 1 => items.remove(0),
            other => panic!("expected one item from {xml}, got {other:?}"),
        }
    }

    fn round_trip(query: AdminQuery) {
        let elem = Element::from(query.clone());
        let back = AdminQuery::try_from(elem.clone());
        assert_eq!(
            back.ok(),
            Some(query),
            "round trip of {}",
            String::from(&elem)
        );
    }

    fn rejected(xml: &str) -> String {
        match parse(xml) {
            Err(FromElementError::Invalid(e)) => e.to_string(),
            other => panic!("expected an invalid payload for {xml}, got {other:?}"),
        }
    }

    fn jid(s: &str) -> Jid {
        s.parse().expect("test JID is valid")
    }

    #[test]
    fn kick_request() {
        // §8.2
        let item = one_item(
            "<item nick='pistol' role='none'><reason>Avaunt, you cullion!</reason></item>",
        );
        assert_eq!(
            item,
            AdminItem {
                role: Some(AdminRole::None),
                nick: Some("pistol".into()),
                reason: Some("Avaunt, you cullion!".into()),
                ..AdminItem::default()
            }
        );
    }

    #[test]
    fn ban_request() {
        // §9.1
        let item = one_item(
            "<item affiliation='outcast' jid='earlofcambridge@shakespeare.lit'>\
               <reason>Treason</reason></item>",
        );
        assert_eq!(item.affiliation, Some(AdminAffiliation::Outcast));
        assert_eq!(item.jid, Some(jid("earlofcambridge@shakespeare.lit")));
        assert_eq!(item.reason.as_deref(), Some("Treason"));
        assert_eq!(item.role, None);
    }

    #[test]
    fn list_request() {
        let item = one_item("<item affiliation='member'/>");
        assert_eq!(item.affiliation, Some(AdminAffiliation::Member));
        let item = one_item("<item role='moderator'/>");
        assert_eq!(item.role, Some(AdminRole::Moderator));
    }

    #[test]
    fn every_affiliation_and_role() {
        for a in [
            AdminAffiliation::Owner,
            AdminAffiliation::Admin,
            AdminAffiliation::Member,
            AdminAffiliation::Outcast,
            AdminAffiliation::None,
            AdminAffiliation::Player,
        ] {
            let item = one_item(&format!("<item affiliation='{a}' jid='a@b'/>"));
            assert_eq!(item.affiliation, Some(a));
            assert_eq!(a.as_str().parse::<AdminAffiliation>(), Ok(a));
            if let Some(std) = a.standard() {
                assert_eq!(AdminAffiliation::from(std), a);
            }
        }
        assert_eq!(AdminAffiliation::Player.standard(), None);
        for r in [
            AdminRole::Moderator,
            AdminRole::Participant,
            AdminRole::Visitor,
            AdminRole::None,
            AdminRole::Player,
        ] {
            let item = one_item(&format!("<item role='{r}' nick='n'/>"));
            assert_eq!(item.role, Some(r));
            if let Some(std) = r.standard() {
                assert_eq!(AdminRole::from(std), r);
            }
        }
        assert_eq!(AdminRole::Player.standard(), None);
    }

    #[test]
    fn actor() {
        let item = one_item("<item affiliation='none' jid='a@b'><actor nick='thirdwitch'/></item>");
        assert_eq!(item.actor, Some(AdminActor::Nick("thirdwitch".into())));
        let item = one_item("<item affiliation='none' jid='a@b'><actor jid='c@d/e'/></item>");
        assert_eq!(
            item.actor.as_ref().and_then(AdminActor::jid),
            Some(&jid("c@d/e"))
        );
        let item =
            one_item("<item affiliation='none' jid='a@b'><actor jid='c@d' nick='x'/></item>");
        assert_eq!(item.actor, Some(AdminActor::Both(jid("c@d"), "x".into())));
        assert_eq!(item.actor.as_ref().and_then(AdminActor::nick), Some("x"));
    }

    #[test]
    fn round_trips() {
        round_trip(AdminQuery::default());
        round_trip(AdminQuery {
            items: vec![
                AdminItem {
                    affiliation: Some(AdminAffiliation::Player),
                    jid: Some(jid("hag66@shakespeare.lit")),
                    nick: Some("thirdwitch".into()),
                    role: Some(AdminRole::Participant),
                    reason: Some("Dealt in".into()),
                    actor: Some(AdminActor::Both(
                        jid("crone1@shakespeare.lit"),
                        "crone".into(),
                    )),
                },
                AdminItem {
                    role: Some(AdminRole::Player),
                    nick: Some("legacy".into()),
                    ..AdminItem::default()
                },
                AdminItem {
                    actor: Some(AdminActor::Jid(jid("a@b"))),
                    ..AdminItem::default()
                },
                AdminItem {
                    actor: Some(AdminActor::Nick("n".into())),
                    ..AdminItem::default()
                },
                AdminItem::default(),
            ],
        });
    }

    #[test]
    fn serialised_item_omits_absent_attributes() {
        let elem = Element::from(AdminItem {
            role: Some(AdminRole::Visitor),
            ..AdminItem::default()
        });
        assert_eq!(elem.attr("role"), Some("visitor"));
        for name in ["affiliation", "jid", "nick"] {
            assert_eq!(elem.attr(name), None, "{name}");
        }
    }

    #[test]
    fn wrong_name_or_namespace_is_a_mismatch() {
        for xml in [
            "<query xmlns='http://jabber.org/protocol/muc#owner'/>",
            "<item xmlns='http://jabber.org/protocol/muc#admin'/>",
        ] {
            assert!(
                matches!(parse(xml), Err(FromElementError::Mismatch(_))),
                "{xml}"
            );
        }
        let elem: Element = "<item xmlns='http://jabber.org/protocol/muc#user' role='none'/>"
            .parse()
            .expect("well-formed");
        assert!(matches!(
            AdminItem::try_from(elem),
            Err(FromElementError::Mismatch(_))
        ));
    }

    #[test]
    fn rejects() {
        for item in [
            "<item affiliation='king' jid='a@b'/>",
            "<item role='god' nick='a'/>",
            "<item role='Moderator' nick='a'/>",
            "<item jid='@@' affiliation='member'/>",
            "<item role='none' nick='a' foo='bar'/>",
            "<item role='none' nick='a'>text</item>",
            "<item role='none' nick='a'><reason>a</reason><reason>b</reason></item>",
            "<item role='none' nick='a'><reason><b/></reason></item>",
            "<item role='none' nick='a'><reason lang='x'>a</reason></item>",
            "<item role='none' nick='a'><actor nick='x'/><actor nick='y'/></item>",
            "<item role='none' nick='a'><actor/></item>",
            "<item role='none' nick='a'><actor nick='x'>t</actor></item>",
            "<item role='none' nick='a'><actor nick='x' role='y'/></item>",
            "<item role='none' nick='a'><actor jid='@@'/></item>",
            "<item role='none' nick='a'><continue/></item>",
            "<item role='none' nick='a'><reason xmlns='urn:x'>r</reason></item>",
            "<foo/>",
            "<item xmlns='http://jabber.org/protocol/muc#user' role='none' nick='a'/>",
        ] {
            rejected(&format!("<query xmlns='{NS}'>{item}</query>"));
        }
        rejected(&format!("<query xmlns='{NS}'>text</query>"));
        rejected(&format!("<query xmlns='{NS}' node='x'/>"));
    }
}
