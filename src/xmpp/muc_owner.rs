//! The `http://jabber.org/protocol/muc#owner` `<query/>` (XEP-0045 §10, schema §19.1): empty to
//! ask for the configuration form, holding a data form to submit or cancel it, or holding
//! `<destroy/>` to destroy the room.

use xmpp_parsers::data_forms::DataForm;
use xmpp_parsers::jid::Jid;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::{Error, FromElementError, ns};

use super::util::{check_attributes, check_no_text, invalid, leaf_text, set_once};

pub const NS: &str = "http://jabber.org/protocol/muc#owner";

/// The owner query: the schema allows at most one payload.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnerQuery {
    /// `<query/>`: a request for the configuration form (§10.1.3, §10.2).
    Empty,
    /// A `jabber:x:data` form: the service's form (type form), or the owner's submit or cancel.
    Form(DataForm),
    /// `<destroy/>` (§10.9).
    Destroy(Destroy),
}

/// `<destroy jid='…'?><password/>?<reason/>?</destroy>`: the room is destroyed, occupants may
/// be pointed to an alternate venue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Destroy {
    /// The alternate venue.
    pub jid: Option<Jid>,
    /// The alternate venue's password.
    pub password: Option<String>,
    pub reason: Option<String>,
}

impl TryFrom<Element> for OwnerQuery {
    type Error = FromElementError;

    fn try_from(elem: Element) -> Result<OwnerQuery, FromElementError> {
        if !elem.is("query", NS) {
            return Err(FromElementError::Mismatch(elem));
        }
        check_attributes(&elem, &[], "Unknown attribute in muc#owner query element.")?;
        check_no_text(&elem, "Unexpected text in muc#owner query element.")?;
        let mut payload = None;
        for child in elem.children() {
            let parsed = if child.is("x", ns::DATA_FORMS) {
                OwnerQuery::Form(DataForm::try_from(child.clone())?)
            } else if child.is("destroy", NS) {
                OwnerQuery::Destroy(Destroy::try_from(child.clone())?)
            } else {
                return Err(invalid("Unknown child in muc#owner query element."));
            };
            set_once(
                &mut payload,
                parsed,
                "More than one payload in muc#owner query element.",
            )?;
        }
        Ok(payload.unwrap_or(OwnerQuery::Empty))
    }
}

impl From<OwnerQuery> for Element {
    fn from(query: OwnerQuery) -> Element {
        let builder = Element::builder("query", NS);
        match query {
            OwnerQuery::Empty => builder,
            OwnerQuery::Form(form) => builder.append(Element::from(form)),
            OwnerQuery::Destroy(destroy) => builder.append(Element::from(destroy)),
        }
        .build()
    }
}

impl TryFrom<Element> for Destroy {
    type Error = FromElementError;

    fn try_from(elem: Element) -> Result<Destroy, FromElementError> {
        if !elem.is("destroy", NS) {
            return Err(FromElementError::Mismatch(elem));
        }
        check_attributes(&elem, &["jid"], "Unknown attribute in destroy element.")?;
        check_no_text(&elem, "Unexpected text in destroy element.")?;
        let jid = elem
            .attr("jid")
            .map(str::parse::<Jid>)
            .transpose()
            .map_err(Error::text_parse_error)?;
        let mut destroy = Destroy {
            jid,
            ..Destroy::default()
        };
        for child in elem.children() {
            if child.is("password", NS) {
                let text = leaf_text(child, "Invalid password element in destroy element.")?;
                set_once(
                    &mut destroy.password,
                    text,
                    "More than one password in destroy element.",
                )?;
            } else if child.is("reason", NS) {
                let text = leaf_text(child, "Invalid reason element in destroy element.")?;
                set_once(
                    &mut destroy.reason,
                    text,
                    "More than one reason in destroy element.",
                )?;
            } else {
                return Err(invalid("Unknown child in destroy element."));
            }
        }
        Ok(destroy)
    }
}

impl From<Destroy> for Element {
    fn from(destroy: Destroy) -> Element {
        let leaf = |name: &str, text: String| Element::builder(name, NS).append(text).build();
        Element::builder("destroy", NS)
            .attr(
                xml_ncname!("jid").into(),
                destroy.jid.map(|j| j.to_string()),
            )
            .append_all(destroy.password.map(|p| leaf("password", p)))
            .append_all(destroy.reason.map(|r| leaf("reason", r)))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xmpp_parsers::data_forms::{DataFormType, Field};

    fn parse(xml: &str) -> Result<OwnerQuery, FromElementError> {
        let elem: Element = xml.parse().expect("test XML is well-formed");
        OwnerQuery::try_from(elem)
    }

    fn round_trip(query: OwnerQuery) {
        let elem = Element::from(query.clone());
        let back = OwnerQuery::try_from(elem.clone());
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

    #[test]
    fn empty_query() {
        let q = parse("<query xmlns='http://jabber.org/protocol/muc#owner'/>");
        assert_eq!(q.ok(), Some(OwnerQuery::Empty));
        let pretty = parse("<query xmlns='http://jabber.org/protocol/muc#owner'>\n  </query>");
        assert_eq!(pretty.ok(), Some(OwnerQuery::Empty));
        round_trip(OwnerQuery::Empty);
    }

    #[test]
    fn submit_form() {
        let q = parse(
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='submit'>\
                 <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>\
                 <field var='muc#roomconfig_roomname'><value>A Dark Cave</value></field>\
               </x>\
             </query>",
        );
        let Ok(OwnerQuery::Form(form)) = q else {
            panic!("expected a form, got {q:?}");
        };
        assert_eq!(form.type_, DataFormType::Submit);
        assert_eq!(
            form.form_type(),
            Some("http://jabber.org/protocol/muc#roomconfig")
        );
        assert_eq!(form.fields.len(), 2);
        round_trip(OwnerQuery::Form(form));
    }

    #[test]
    fn cancel_form() {
        let q = parse(
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='cancel'/>\
             </query>",
        );
        let Ok(OwnerQuery::Form(form)) = q else {
            panic!("expected a form, got {q:?}");
        };
        assert_eq!(form.type_, DataFormType::Cancel);
        round_trip(OwnerQuery::Form(form));
    }

    #[test]
    fn form_of_type_form_round_trips() {
        let form = DataForm::new(
            DataFormType::Form,
            "http://jabber.org/protocol/muc#roomconfig",
            vec![Field::text_single("muc#roomconfig_roomname", "Cave")],
        );
        round_trip(OwnerQuery::Form(form));
    }

    #[test]
    fn destroy_full() {
        let q = parse(
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <destroy jid='coven@chat.shakespeare.lit'>\
                 <password>cauldronburn</password>\
                 <reason>Macbeth doth come.</reason>\
               </destroy>\
             </query>",
        );
        let expected = Destroy {
            jid: "coven@chat.shakespeare.lit".parse().ok(),
            password: Some("cauldronburn".into()),
            reason: Some("Macbeth doth come.".into()),
        };
        assert!(expected.jid.is_some());
        assert_eq!(q.ok(), Some(OwnerQuery::Destroy(expected.clone())));
        round_trip(OwnerQuery::Destroy(expected));
    }

    #[test]
    fn destroy_bare() {
        let q = parse("<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>");
        assert_eq!(q.ok(), Some(OwnerQuery::Destroy(Destroy::default())));
        round_trip(OwnerQuery::Destroy(Destroy::default()));
        round_trip(OwnerQuery::Destroy(Destroy {
            jid: None,
            password: None,
            reason: Some("bye".into()),
        }));
    }

    #[test]
    fn serialised_destroy_has_no_empty_jid() {
        let elem = Element::from(Destroy::default());
        assert_eq!(elem.attr("jid"), None);
        assert_eq!(elem.children().count(), 0);
    }

    #[test]
    fn wrong_name_or_namespace_is_a_mismatch() {
        for xml in [
            "<query xmlns='http://jabber.org/protocol/muc#admin'/>",
            "<destroy xmlns='http://jabber.org/protocol/muc#owner'/>",
        ] {
            assert!(
                matches!(parse(xml), Err(FromElementError::Mismatch(_))),
                "{xml}"
            );
        }
        let elem: Element = "<destroy xmlns='http://jabber.org/protocol/muc#user'/>"
            .parse()
            .expect("well-formed");
        assert!(matches!(
            Destroy::try_from(elem),
            Err(FromElementError::Mismatch(_))
        ));
    }

    #[test]
    fn rejects_two_payloads() {
        let msg = rejected(
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='submit'/><destroy/>\
             </query>",
        );
        assert!(msg.contains("More than one payload"), "{msg}");
        rejected(
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='submit'/><x xmlns='jabber:x:data' type='submit'/>\
             </query>",
        );
    }

    #[test]
    fn rejects_unknown_content() {
        for xml in [
            // A child in another namespace.
            "<query xmlns='http://jabber.org/protocol/muc#owner'><item xmlns='urn:x'/></query>",
            // <destroy/> in the wrong namespace inside the query.
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <destroy xmlns='http://jabber.org/protocol/muc#user'/></query>",
            "<query xmlns='http://jabber.org/protocol/muc#owner' node='x'/>",
            "<query xmlns='http://jabber.org/protocol/muc#owner'>text</query>",
            "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy foo='1'/></query>",
            "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy><other/></destroy></query>",
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <destroy><reason>a</reason><reason>b</reason></destroy></query>",
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <destroy><password>a</password><password>b</password></destroy></query>",
            "<query xmlns='http://jabber.org/protocol/muc#owner'>\
               <destroy><reason><b/></reason></destroy></query>",
            "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy>text</destroy></query>",
            // A form xmpp-parsers refuses: no type.
            "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data'/></query>",
        ] {
            rejected(xml);
        }
    }

    #[test]
    fn rejects_bad_destroy_jid() {
        let msg = rejected(
            "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='@@'/></query>",
        );
        assert!(!msg.is_empty());
    }
}
