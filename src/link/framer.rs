//! The inbound half of the component stream without I/O: bytes in, top-level elements out.
//!
//! Everything here is bounded by [`Limits`], because the bytes come from any user of the server:
//! a stanza nested deeper, larger, or with a longer attribute than the limits allow is not
//! built; it comes out as [`Frame::Refused`] with its start tag (so that its sender can be
//! answered) and the stream goes on. Elements are built iteratively, and a built tree is never
//! deeper than `max_depth`, so nothing that later walks it (clone, drop, serialisation) can
//! recurse on a depth the sender chose.
//!
//! Built elements carry no namespace prefix declarations: namespaces are resolved while parsing
//! and the writer declares what it needs. Re-serialising a sender's own prefixes can make the
//! XML writer panic (a prefix bound to the `xml` namespace, say); resolved names cannot.

use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::error::EndOrError;
use xmpp_parsers::minidom::rxml::{AttrMap, Event, Options, Parse, Parser, WithOptions};

/// What one stanza may be. The defaults are in [`Limits::default`] and in README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting inside a stanza, counting the stanza element as level 1.
    pub max_depth: usize,
    /// Most bytes of XML in one stanza.
    pub max_stanza_bytes: usize,
    /// Longest attribute value (JIDs are at most 3,071 bytes).
    pub max_attribute_bytes: usize,
    /// Most elements in one stanza, the stanza included.
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 32,
            // What Prosody and ejabberd accept from a client by default.
            max_stanza_bytes: 256 * 1024,
            max_attribute_bytes: 4096,
            max_elements: 4096,
        }
    }
}

/// The lexer refuses (and so ends the stream on) any single token longer than this. It is far
/// above what a server forwards in one attribute, so in practice only our own limits refuse.
const MAX_TOKEN_BYTES: usize = 1024 * 1024;

/// One thing read off the stream.
#[derive(Debug)]
pub enum Frame {
    /// The peer's stream header, with its attributes (`id` among them).
    Header(AttrMap),
    /// A complete top-level element: a stanza, the handshake reply, a stream error.
    Element(Element),
    /// A top-level element that broke a limit: its name, namespace and the attributes of its
    /// start tag that were within limits (no children), and why it was refused.
    Refused { element: Element, reason: String },
    /// The peer closed the stream.
    End,
}

/// The XML is not well-formed (or not namespace-well-formed): the stream cannot go on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FramerError(pub String);

/// The state of the stanza being read.
#[derive(Default)]
struct Current {
    /// Open elements that are being built, outermost first; levels `1..=open.len()`.
    open: Vec<Element>,
    bytes: usize,
    elements: usize,
    /// Set once a limit is broken; from then on nothing more is built.
    refused: Option<String>,
}

pub struct Framer {
    parser: Parser,
    limits: Limits,
    /// 0 outside the stream's root, 1 between stanzas, 2 and more inside one.
    depth: usize,
    current: Current,
}

impl Framer {
    pub fn new(limits: Limits) -> Framer {
        let options = Options {
            max_token_length: MAX_TOKEN_BYTES.max(limits.max_attribute_bytes),
            ..Options::default()
        };
        Framer {
            parser: Parser::with_options(options),
            limits,
            depth: 0,
            current: Current::default(),
        }
    }

    /// Parses what `data` holds, appending complete frames to `out`. `at_eof` says the peer
    /// will send nothing more. Partial input is kept for the next call.
    pub fn feed(
        &mut self,
        mut data: &[u8],
        at_eof: bool,
        out: &mut Vec<Frame>,
    ) -> Result<(), FramerError> {
        loop {
            match self.parser.parse(&mut data, at_eof) {
                Ok(Some(event)) => self.event(event, out),
                Ok(None) => return Ok(()),
                Err(EndOrError::NeedMoreData) => return Ok(()),
                Err(EndOrError::Error(e)) => return Err(FramerError(e.to_string())),
            }
        }
    }

    fn event(&mut self, event: Event, out: &mut Vec<Frame>) {
        match event {
            Event::XmlDeclaration(..) => {}
            Event::StartElement(metrics, (ns, name), attrs) => {
                self.depth += 1;
                match self.depth {
                    1 => out.push(Frame::Header(attrs)),
                    depth => self.start(depth - 1, metrics.len(), &ns, &name, attrs),
                }
            }
            Event::EndElement(metrics) => {
                let depth = self.depth;
                self.depth = depth.saturating_sub(1);
                match depth {
                    0 => {}
                    1 => out.push(Frame::End),
                    depth => self.end(depth - 1, metrics.len(), out),
                }
            }
            Event::Text(metrics, text) => {
                // Whitespace between stanzas (keepalives) is not content.
                if self.depth >= 2 {
                    self.text(metrics.len(), text);
                }
            }
        }
    }

    /// An element starts at `level` (1 = a stanza).
    fn start(&mut self, level: usize, len: usize, ns: &str, name: &str, mut attrs: AttrMap) {
        let limits = self.limits;
        let c = &mut self.current;
        if level == 1 {
            *c = Current::default();
        }
        c.bytes += len;
        c.elements += 1;
        if c.refused.is_none() {
            if level > limits.max_depth {
                c.refused = Some(format!(
                    "The stanza is nested deeper than {} levels.",
                    limits.max_depth
                ));
            } else if c.elements > limits.max_elements {
                c.refused = Some(format!(
                    "The stanza has more than {} elements.",
                    limits.max_elements
                ));
            } else if c.bytes > limits.max_stanza_bytes {
                c.refused = Some(too_large(limits.max_stanza_bytes));
            }
        }
        // A refused stanza keeps its start tag (for the reply) but builds nothing more.
        if c.refused.is_some() && level > 1 {
            return;
        }
        let long: Vec<_> = attrs
            .iter()
            .filter(|(_, v)| v.len() > limits.max_attribute_bytes)
            .map(|((ns, n), _)| (ns.clone(), n.clone()))
            .collect();
        if !long.is_empty() {
            for (ns, n) in &long {
                attrs.remove(ns, n);
            }
            if c.refused.is_none() {
                c.refused = Some(format!(
                    "An attribute value is longer than {} bytes.",
                    limits.max_attribute_bytes
                ));
            }
        }
        let mut element = Element::bare(name, ns);
        *element.attrs_mut() = attrs;
        // `open` holds levels 1..=open.len(); a refusal may stop building below that.
        if level == c.open.len() + 1 {
            c.open.push(element);
        }
    }

    fn text(&mut self, len: usize, text: String) {
        let limits = self.limits;
        let c = &mut self.current;
        c.bytes += len;
        if c.refused.is_none() && c.bytes > limits.max_stanza_bytes {
            c.refused = Some(too_large(limits.max_stanza_bytes));
        }
        // Text belongs to the innermost open element only if that element is being built.
        if c.refused.is_none()
            && self.depth - 1 == c.open.len()
            && let Some(top) = c.open.last_mut()
        {
            top.append_text(text);
        }
    }

    /// The element at `level` ends.
    fn end(&mut self, level: usize, len: usize, out: &mut Vec<Frame>) {
        let c = &mut self.current;
        c.bytes += len;
        if level != c.open.len() {
            // The end of an element that was never built.
            return;
        }
        let Some(element) = c.open.pop() else {
            return;
        };
        if let Some(parent) = c.open.last_mut() {
            if c.refused.is_none() {
                parent.append_child(element);
            }
            return;
        }
        match c.refused.take() {
            None => out.push(Frame::Element(element)),
            Some(reason) => {
                let mut element = element;
                element.take_nodes();
                out.push(Frame::Refused { element, reason });
            }
        }
        *c = Current::default();
    }
}

fn too_large(max: usize) -> String {
    format!("The stanza is larger than {max} bytes.")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "<stream:stream xmlns='jabber:component:accept' \
        xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost'>";

    fn frames(limits: Limits, chunks: &[&str]) -> Vec<Frame> {
        let mut framer = Framer::new(limits);
        let mut out = Vec::new();
        for chunk in chunks {
            framer
                .feed(chunk.as_bytes(), false, &mut out)
                .expect("well-formed");
        }
        out
    }

    fn nested(depth: usize) -> String {
        format!(
            "<message to='r@muc.localhost' from='u@localhost/x' id='deep' type='groupchat'>{}{}</message>",
            "<a xmlns='urn:x'>".repeat(depth),
            "</a>".repeat(depth)
        )
    }

    #[test]
    fn header_then_stanzas_split_anywhere() {
        let stanza = "<message to='r@muc.localhost' from='u@localhost/x'><body>hi &amp; bye</body></message>";
        let text = format!("{HEADER}  {stanza}\n{stanza}</stream:stream>");
        // Split at every byte boundary: partial input must be kept.
        let bytes: Vec<String> = text.chars().map(|c| c.to_string()).collect();
        let chunks: Vec<&str> = bytes.iter().map(String::as_str).collect();
        let out = frames(Limits::default(), &chunks);
        assert_eq!(out.len(), 4, "{out:?}");
        let Frame::Header(attrs) = &out[0] else {
            panic!("{:?}", out[0])
        };
        assert_eq!(
            attrs
                .get(&xmpp_parsers::minidom::rxml::Namespace::NONE, "id")
                .map(String::as_str),
            Some("abc")
        );
        for f in &out[1..3] {
            let Frame::Element(e) = f else {
                panic!("{f:?}")
            };
            assert_eq!(e.name(), "message");
            assert_eq!(e.ns(), "jabber:component:accept");
            assert_eq!(
                e.get_child("body", "jabber:component:accept")
                    .map(|b| b.text()),
                Some("hi & bye".into())
            );
        }
        assert!(matches!(out[3], Frame::End));
    }

    #[test]
    fn a_deep_stanza_is_refused_with_its_header_and_the_stream_goes_on() {
        let deep = nested(5000);
        let after = "<presence to='r@muc.localhost/n' from='u@localhost/x'/>";
        let out = frames(Limits::default(), &[HEADER, &deep, after]);
        assert_eq!(out.len(), 3, "{out:?}");
        let Frame::Refused { element, reason } = &out[1] else {
            panic!("{:?}", out[1])
        };
        assert_eq!(element.name(), "message");
        assert_eq!(element.attr("id"), Some("deep"));
        assert_eq!(element.children().count(), 0);
        assert!(reason.contains("nested deeper than 32"), "{reason}");
        assert!(matches!(&out[2], Frame::Element(e) if e.name() == "presence"));
    }

    #[test]
    fn the_depth_limit_is_exact() {
        // The stanza is level 1, so 31 nested children reach level 32.
        let out = frames(Limits::default(), &[HEADER, &nested(31)]);
        assert!(matches!(&out[1], Frame::Element(_)), "{:?}", out[1]);
        let out = frames(Limits::default(), &[HEADER, &nested(32)]);
        assert!(matches!(&out[1], Frame::Refused { .. }), "{:?}", out[1]);
    }

    #[test]
    fn a_long_attribute_is_refused_not_fatal() {
        let long = "x".repeat(20_000);
        let stanza = format!(
            "<iq type='get' to='muc.localhost' from='u@localhost/x' id='q' xml:lang='{long}'>\
             <query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
        );
        let after = "<iq type='get' to='muc.localhost' from='u@localhost/x' id='ok'/>";
        let out = frames(Limits::default(), &[HEADER, &stanza, after]);
        let Frame::Refused { element, reason } = &out[1] else {
            panic!("{:?}", out[1])
        };
        assert_eq!(
            element.attr("id"),
            Some("q"),
            "the other attributes are kept"
        );
        assert!(reason.contains("longer than 4096"), "{reason}");
        assert!(matches!(&out[2], Frame::Element(e) if e.attr("id") == Some("ok")));
    }

    #[test]
    fn size_and_element_count_are_bounded() {
        let limits = Limits {
            max_stanza_bytes: 1000,
            max_elements: 10,
            ..Limits::default()
        };
        let big = format!(
            "<message from='u@localhost/x' to='r@muc.localhost'><body>{}</body></message>",
            "y".repeat(5000)
        );
        let many = format!(
            "<message from='u@localhost/x' to='r@muc.localhost'>{}</message>",
            "<e xmlns='urn:x'/>".repeat(20)
        );
        let out = frames(limits, &[HEADER, &big, &many]);
        assert!(
            matches!(&out[1], Frame::Refused { reason, .. } if reason.contains("larger than 1000")),
            "{:?}",
            out[1]
        );
        assert!(
            matches!(&out[2], Frame::Refused { reason, .. } if reason.contains("more than 10 elements")),
            "{:?}",
            out[2]
        );
    }

    #[test]
    fn declared_prefixes_are_resolved_and_reserialise_without_panicking() {
        let stanza = "<message from='u@localhost/x' to='r@muc.localhost' \
            xmlns:xml='http://www.w3.org/XML/1998/namespace' xmlns:tns0='urn:a'>\
            <tns0:x xmlns:p='urn:b' p:attr='1'><p:y/></tns0:x></message>";
        let out = frames(Limits::default(), &[HEADER, stanza]);
        let Frame::Element(e) = &out[1] else {
            panic!("{:?}", out[1])
        };
        let text = String::from(e);
        let again: Element = text.parse().expect("reparses");
        assert_eq!(
            again.get_child("x", "urn:a").map(|x| x.ns()),
            Some("urn:a".into())
        );
    }

    #[test]
    fn malformed_xml_is_an_error() {
        let mut framer = Framer::new(Limits::default());
        let mut out = Vec::new();
        framer
            .feed(HEADER.as_bytes(), false, &mut out)
            .expect("header");
        assert!(framer.feed(b"<a></b>", false, &mut out).is_err());
    }
}
