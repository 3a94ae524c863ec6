//! Typed payloads xmpp-parsers lacks, in its style: `TryFrom<Element>` and `Into<Element>`.

pub mod commands;
pub mod muc_admin;
pub mod muc_owner;
pub mod rsm;

mod util;
