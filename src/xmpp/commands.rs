//! The XEP-0050 `<command xmlns='http://jabber.org/protocol/commands'/>`: a request to execute
//! (or go on with, or cancel) an ad-hoc command, and the responder's answer with its status,
//! allowed actions, notes and data form.

use xmpp_parsers::data_forms::DataForm;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::{Namespace, xml_ncname};
use xmpp_parsers::{FromElementError, ns};

use super::util::invalid;

pub const NS: &str = "http://jabber.org/protocol/commands";

/// What the requester asks (`action`), or what the responder allows (`<actions/>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Execute,
    Next,
    Prev,
    Complete,
    Cancel,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Execute => "execute",
            Action::Next => "next",
            Action::Prev => "prev",
            Action::Complete => "complete",
            Action::Cancel => "cancel",
        }
    }

    fn parse(s: &str) -> Option<Action> {
        [
            Action::Execute,
            Action::Next,
            Action::Prev,
            Action::Complete,
            Action::Cancel,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// The session's state in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Executing,
    Completed,
    Canceled,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Executing => "executing",
            Status::Completed => "completed",
            Status::Canceled => "canceled",
        }
    }
}

/// A `<note type='…'/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteType {
    Info,
    Warn,
    Error,
}

/// A request: the command's node, the session, the action, the submitted form.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub node: String,
    pub sessionid: Option<String>,
    /// `None` is "execute".
    pub action: Option<Action>,
    pub form: Option<DataForm>,
}

impl TryFrom<Element> for Request {
    type Error = FromElementError;

    fn try_from(elem: Element) -> Result<Request, FromElementError> {
        if !elem.is("command", NS) {
            return Err(FromElementError::Mismatch(elem));
        }
        let node = elem
            .attr("node")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("A command needs a node."))?
            .to_owned();
        let action = match elem.attr("action") {
            None => None,
            Some(a) => Some(Action::parse(a).ok_or_else(|| invalid("Unknown command action."))?),
        };
        let mut form = None;
        for child in elem.children() {
            if child.is("x", ns::DATA_FORMS) {
                if form.is_some() {
                    return Err(invalid("More than one form in a command."));
                }
                form = Some(DataForm::try_from(child.clone())?);
            }
        }
        Ok(Request {
            node,
            sessionid: elem.attr("sessionid").map(str::to_owned),
            action,
            form,
        })
    }
}

/// An answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub node: String,
    pub sessionid: String,
    pub status: Status,
    /// The actions allowed at this stage and the one "execute" stands for.
    pub actions: Option<(Vec<Action>, Action)>,
    pub notes: Vec<(NoteType, String)>,
    pub form: Option<DataForm>,
}

impl From<Response> for Element {
    fn from(r: Response) -> Element {
        let mut e = Element::builder("command", NS)
            .attr(xml_ncname!("node").to_owned(), r.node)
            .attr(xml_ncname!("sessionid").to_owned(), r.sessionid)
            .attr(xml_ncname!("status").to_owned(), r.status.as_str())
            .build();
        if let Some((allowed, execute)) = r.actions {
            let mut actions = Element::builder("actions", NS)
                .attr(xml_ncname!("execute").to_owned(), execute.as_str())
                .build();
            for a in allowed {
                actions.append_child(Element::bare(a.as_str(), NS));
            }
            e.append_child(actions);
        }
        for (kind, text) in r.notes {
            let kind = match kind {
                NoteType::Info => "info",
                NoteType::Warn => "warn",
                NoteType::Error => "error",
            };
            let mut note = Element::builder("note", NS).append(text).build();
            note.set_attr(Namespace::NONE, xml_ncname!("type").to_owned(), kind);
            e.append_child(note);
        }
        if let Some(form) = r.form {
            e.append_child(form.into());
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Result<Request, FromElementError> {
        Request::try_from(xml.parse::<Element>().unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn requests_parse_and_bad_ones_are_refused() {
        let r = parse(&format!(
            "<command xmlns='{NS}' node='stats' sessionid='s1' action='cancel'/>"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.node.as_str(), r.sessionid.as_deref(), r.action),
            ("stats", Some("s1"), Some(Action::Cancel))
        );
        assert!(parse(&format!("<command xmlns='{NS}'/>")).is_err());
        assert!(parse(&format!("<command xmlns='{NS}' node='x' action='jump'/>")).is_err());
    }

    #[test]
    fn responses_serialise() {
        let r = Response {
            node: "announce".into(),
            sessionid: "s".into(),
            status: Status::Executing,
            actions: Some((vec![Action::Complete], Action::Complete)),
            notes: vec![(NoteType::Info, "Hi".into())],
            form: None,
        };
        assert_eq!(
            String::from(&Element::from(r)),
            format!(
                "<command xmlns='{NS}' node='announce' sessionid='s' status='executing'>\
                 <actions execute='complete'><complete/></actions><note type='info'>Hi</note></command>"
            )
        );
    }
}
