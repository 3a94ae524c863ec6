//! Checks shared by the hand-written parsers, mirroring xmpp-parsers' `check_*!` macros.

use xmpp_parsers::minidom::{Element, Node};
use xmpp_parsers::{Error, FromElementError};

/// An invalid-payload error with a fixed message.
pub(crate) fn invalid(message: &'static str) -> FromElementError {
    FromElementError::Invalid(Error::Other(message))
}

/// Refuses attributes outside `allowed`. Namespaced ones (`xml:lang`) are annotations, not
/// payload, so they pass.
pub(crate) fn check_attributes(
    elem: &Element,
    allowed: &[&str],
    message: &'static str,
) -> Result<(), FromElementError> {
    let unknown = elem
        .attrs()
        .iter()
        .any(|((ns, name), _)| ns.is_none() && !allowed.contains(&name.as_str()));
    if unknown {
        Err(invalid(message))
    } else {
        Ok(())
    }
}

/// Refuses text other than the whitespace pretty-printed XML puts between children.
pub(crate) fn check_no_text(elem: &Element, message: &'static str) -> Result<(), FromElementError> {
    let text = elem.nodes().any(|node| match node {
        Node::Text(text) => !text.trim().is_empty(),
        Node::Element(_) => false,
    });
    if text { Err(invalid(message)) } else { Ok(()) }
}

/// The text of a leaf element such as `<reason/>`: no attributes, no children.
pub(crate) fn leaf_text(elem: &Element, message: &'static str) -> Result<String, FromElementError> {
    check_attributes(elem, &[], message)?;
    if elem.children().next().is_some() {
        return Err(invalid(message));
    }
    Ok(elem.text())
}

/// Puts `value` in the slot, refusing a second occurrence of the same child.
pub(crate) fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    message: &'static str,
) -> Result<(), FromElementError> {
    if slot.is_some() {
        return Err(invalid(message));
    }
    *slot = Some(value);
    Ok(())
}
