//! A minimal c2s client: plaintext TCP, SASL ANONYMOUS, resource binding, and stanzas as raw
//! bytes.
//!
//! Why not an XMPP library: a load generator shares this machine's two cores with the server it
//! measures, so what a receiver spends per stanza is taken from the server. A full client
//! (tokio-xmpp's `Client`) parses every received stanza into a tree and then into a typed
//! stanza; here a receiver only finds where a stanza ends and looks for a few byte strings in
//! it. It also keeps this crate free of xmpp-parsers, whose `component` feature (palaver's)
//! changes the namespace of its typed stanzas: in a workspace-wide build (`cargo build
//! --workspace`) features are unified, and a c2s client built on xmpp-parsers would then reject
//! every `jabber:client` stanza.
//!
//! The input comes from a server this tool started on loopback, but it is still treated as
//! untrusted: nothing here panics on it, and a stanza larger than [`MAX_STANZA`] ends the
//! connection with an error.

use std::ops::Range;
use std::time::Duration;

use memchr::memmem;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The largest stanza (or unfinished stanza) a receiver holds before it gives up.
pub const MAX_STANZA: usize = 1 << 20;
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Finds complete depth-1 elements (stanzas) in a c2s byte stream.
///
/// It tracks element depth only: start tags (attribute values may hold `>`), end tags,
/// self-closing tags, XML declarations, comments and CDATA. Text is skipped.
#[derive(Default)]
pub struct Splitter {
    pub buf: Vec<u8>,
    scan: usize,
    depth: u32,
    start: usize,
}

#[derive(Debug)]
pub enum SplitError {
    StreamClosed,
    Malformed(&'static str),
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::StreamClosed => f.write_str("the server closed the stream"),
            SplitError::Malformed(why) => write!(f, "malformed XML: {why}"),
        }
    }
}

impl Splitter {
    /// The next complete stanza as a range of `buf`; `None` when more input is needed.
    pub fn next(&mut self) -> Result<Option<Range<usize>>, SplitError> {
        loop {
            let Some(lt) = memchr::memchr(b'<', &self.buf[self.scan..]) else {
                self.scan = self.buf.len();
                return Ok(None);
            };
            let i = self.scan + lt;
            let rest = &self.buf[i..];
            if rest.len() < 2 {
                self.scan = i;
                return Ok(None);
            }
            match rest[1] {
                b'?' => match memmem::find(&rest[2..], b"?>") {
                    Some(e) => self.scan = i + 2 + e + 2,
                    None => return self.more(i),
                },
                b'!' => {
                    let (open, close): (&[u8], &[u8]) = if rest.starts_with(b"<!--") {
                        (b"<!--", b"-->")
                    } else if rest.starts_with(b"<![CDATA[") {
                        (b"<![CDATA[", b"]]>")
                    } else if b"<![CDATA[".starts_with(rest) || b"<!--".starts_with(rest) {
                        return self.more(i);
                    } else {
                        return Err(SplitError::Malformed("unknown <! construct"));
                    };
                    match memmem::find(&rest[open.len()..], close) {
                        Some(e) => self.scan = i + open.len() + e + close.len(),
                        None => return self.more(i),
                    }
                }
                b'/' => {
                    let Some(e) = memchr::memchr(b'>', rest) else {
                        return self.more(i);
                    };
                    let end = i + e + 1;
                    self.scan = end;
                    match self.depth {
                        0 => return Err(SplitError::Malformed("end tag at depth 0")),
                        1 => return Err(SplitError::StreamClosed),
                        2 => {
                            self.depth = 1;
                            return Ok(Some(self.start..end));
                        }
                        _ => self.depth -= 1,
                    }
                }
                _ => {
                    let Some(e) = tag_end(rest) else {
                        return self.more(i);
                    };
                    let end = i + e + 1;
                    self.scan = end;
                    if self.buf[end - 2] == b'/' {
                        if self.depth == 1 {
                            return Ok(Some(i..end));
                        }
                    } else {
                        self.depth += 1;
                        if self.depth == 2 {
                            self.start = i;
                        }
                    }
                }
            }
        }
    }

    fn more(&mut self, at: usize) -> Result<Option<Range<usize>>, SplitError> {
        self.scan = at;
        Ok(None)
    }

    /// Drops the bytes no stanza needs any more; call between reads, after handling every
    /// range [`Splitter::next`] gave.
    pub fn compact(&mut self) {
        let keep = if self.depth >= 2 {
            self.start.min(self.scan)
        } else {
            self.scan
        };
        self.buf.drain(..keep);
        self.scan -= keep;
        self.start = self.start.saturating_sub(keep);
    }

    /// A new stream begins (after SASL success): the server sends a new header.
    pub fn restart(&mut self) {
        self.buf.drain(..self.scan);
        self.scan = 0;
        self.start = 0;
        self.depth = 0;
    }
}

/// The index of the `>` that ends the start tag at the beginning of `s`, skipping quoted
/// attribute values.
fn tag_end(s: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in s.iter().enumerate().skip(1) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'>' => return Some(i),
            None => {}
        }
    }
    None
}

/// The element name of a stanza (`message`, `presence`, `iq`, …).
pub fn name(s: &[u8]) -> &[u8] {
    let body = s.get(1..).unwrap_or_default();
    let end = body
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
        .unwrap_or(body.len());
    &body[..end]
}

/// An attribute of the stanza's own start tag.
pub fn attr<'a>(s: &'a [u8], attr: &str) -> Option<&'a [u8]> {
    let head = &s[..tag_end(s).unwrap_or(s.len())];
    for quote in [b'\'', b'"'] {
        let mut needle = Vec::with_capacity(attr.len() + 3);
        needle.push(b' ');
        needle.extend_from_slice(attr.as_bytes());
        needle.push(b'=');
        needle.push(quote);
        if let Some(at) = memmem::find(head, &needle) {
            let value = &head[at + needle.len()..];
            let end = memchr::memchr(quote, value)?;
            return Some(&value[..end]);
        }
    }
    None
}

/// The text of the first `<body>` of a message.
pub fn body(s: &[u8]) -> Option<&[u8]> {
    let at = memmem::find(s, b"<body")?;
    let open = at + tag_end(&s[at..])? + 1;
    let len = memmem::find(&s[open..], b"</body>")?;
    Some(&s[open..open + len])
}

pub fn contains(s: &[u8], needle: &[u8]) -> bool {
    memmem::find(s, needle).is_some()
}

/// A `status code='N'` (either quote) anywhere in the stanza.
pub fn has_status(s: &[u8], code: &str) -> bool {
    contains(s, format!("code='{code}'").as_bytes())
        || contains(s, format!("code=\"{code}\"").as_bytes())
}

/// Replaces `&`, `<`, `'` in text meant for an attribute or element.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('\'', "&apos;")
}

/// A logged-in client, split into its halves.
pub struct Session {
    /// The full JID the server bound.
    pub jid: String,
    pub reader: Reader,
    pub writer: BufWriter<OwnedWriteHalf>,
}

pub struct Reader {
    pub half: OwnedReadHalf,
    pub split: Splitter,
}

impl Reader {
    /// Reads until the next stanza and returns a copy of it.
    async fn stanza(&mut self) -> Result<Vec<u8>, String> {
        loop {
            match self.split.next() {
                Ok(Some(r)) => return Ok(self.split.buf[r].to_vec()),
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
            self.fill().await?;
        }
    }

    /// Reads more bytes into the splitter's buffer.
    pub async fn fill(&mut self) -> Result<(), String> {
        self.split.compact();
        if self.split.buf.len() > MAX_STANZA {
            return Err(format!("a stanza larger than {MAX_STANZA} bytes"));
        }
        self.split.buf.reserve(64 * 1024);
        let n = self
            .half
            .read_buf(&mut self.split.buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        Ok(())
    }
}

fn header(host: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream to='{host}' version='1.0' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams'>"
    )
}

async fn send(w: &mut BufWriter<OwnedWriteHalf>, xml: &str) -> Result<(), String> {
    w.write_all(xml.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    w.flush().await.map_err(|e| format!("write: {e}"))
}

/// Connects to `port` on loopback and logs in anonymously on `host`.
pub async fn login(port: u16, host: String, resource: String) -> Result<Session, String> {
    tokio::time::timeout(LOGIN_TIMEOUT, login_inner(port, &host, &resource))
        .await
        .map_err(|_| format!("login timed out after {LOGIN_TIMEOUT:?}"))?
}

async fn login_inner(port: u16, host: &str, resource: &str) -> Result<Session, String> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect to 127.0.0.1:{port}: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let (half, write) = tcp.into_split();
    let mut writer = BufWriter::with_capacity(64 * 1024, write);
    let mut reader = Reader {
        half,
        split: Splitter::default(),
    };
    send(&mut writer, &header(host)).await?;
    let features = reader.stanza().await?;
    if !contains(&features, b">ANONYMOUS<") {
        return Err(format!(
            "the server offers no SASL ANONYMOUS: {}",
            String::from_utf8_lossy(&features)
        ));
    }
    // "=" is an empty initial response (RFC 6120 6.4.2).
    send(
        &mut writer,
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'>=</auth>",
    )
    .await?;
    loop {
        let reply = reader.stanza().await?;
        match name(&reply) {
            b"success" => break,
            b"challenge" => {
                send(
                    &mut writer,
                    "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
                )
                .await?
            }
            _ => {
                return Err(format!(
                    "SASL ANONYMOUS refused: {}",
                    String::from_utf8_lossy(&reply)
                ));
            }
        }
    }
    reader.split.restart();
    send(&mut writer, &header(host)).await?;
    let _features = reader.stanza().await?;
    send(
        &mut writer,
        &format!(
            "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
             <resource>{}</resource></bind></iq>",
            escape(resource)
        ),
    )
    .await?;
    let reply = reader.stanza().await?;
    let jid = memmem::find(&reply, b"<jid>")
        .and_then(|at| {
            let rest = &reply[at + 5..];
            memmem::find(rest, b"</jid>").map(|end| &rest[..end])
        })
        .ok_or_else(|| format!("bind failed: {}", String::from_utf8_lossy(&reply)))?;
    let jid = String::from_utf8_lossy(jid).into_owned();
    Ok(Session {
        jid,
        reader,
        writer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&str]) -> Vec<String> {
        let mut s = Splitter::default();
        let mut out = Vec::new();
        for chunk in chunks {
            s.buf.extend_from_slice(chunk.as_bytes());
            while let Some(r) = s.next().expect("well-formed") {
                out.push(String::from_utf8_lossy(&s.buf[r]).into_owned());
            }
            s.compact();
        }
        out
    }

    #[test]
    fn splits_stanzas_across_reads() {
        let stream = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='x'>\
            <stream:features><mechanisms><mechanism>PLAIN</mechanism></mechanisms></stream:features>\
            <message type='groupchat' from='a@b/c' title='1 > 0'><body>lg 1 2 3</body><!-- c > --></message>\
            <presence from='r@m/n'/><iq type='result' id='x'><![CDATA[<not/>]]></iq>";
        let whole = all(&[stream]);
        assert_eq!(whole.len(), 4, "{whole:?}");
        assert!(whole[1].starts_with("<message") && whole[1].ends_with("</message>"));
        assert_eq!(whole[2], "<presence from='r@m/n'/>");
        // The same bytes one at a time give the same stanzas.
        let bytes: Vec<String> = stream.chars().map(String::from).collect();
        let refs: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(all(&refs), whole);
    }

    #[test]
    fn reads_attributes_and_bodies() {
        let m = b"<message type=\"groupchat\" from='r@m/n'><x><status code='110'/></x><body xml:lang='en'>lg 7 8 9</body></message>";
        assert_eq!(name(m), b"message");
        assert_eq!(attr(m, "type"), Some(&b"groupchat"[..]));
        assert_eq!(attr(m, "from"), Some(&b"r@m/n"[..]));
        assert_eq!(attr(m, "id"), None);
        assert_eq!(body(m), Some(&b"lg 7 8 9"[..]));
        assert!(has_status(m, "110"));
        assert!(!has_status(m, "201"));
    }

    #[test]
    fn end_of_stream_is_reported() {
        let mut s = Splitter::default();
        s.buf
            .extend_from_slice(b"<stream:stream><a/></stream:stream>");
        assert!(matches!(s.next(), Ok(Some(_))));
        assert!(matches!(s.next(), Err(SplitError::StreamClosed)));
    }
}
