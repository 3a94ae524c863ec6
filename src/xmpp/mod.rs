//! Typed payloads xmpp-parsers lacks, in its style: `TryFrom<Element>` and `Into<Element>`.
