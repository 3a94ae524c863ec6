//! XEP-0313 queries on a room's archive (`urn:xmpp:mam:2` and its `#extended` features): the
//! form of supported fields, queries filtered by time, publisher and archive ids with XEP-0059
//! paging in both directions and flipped pages, and the archive's metadata.
//!
//! Who may read (XEP-0313 §6.1.2, XEP-0045's privacy): occupants; members (and admins, owners) of
//! the room even when away; anyone else who could enter it (not members-only, no password)
//! unless its owner keeps the archive to occupants; never an outcast. The publisher's real JID shows
//! only to who may see real JIDs (§5.1's whois, moderators, admins, owners), and `with` may name
//! one only for them. palaver's game rooms: while a game runs and spectators are kept apart, only
//! an occupant who is no player gets the spectators' messages.

use bevy_ecs::prelude::*;
use chrono::{DateTime, Utc};
use xmpp_parsers::data_forms::DataForm;
use xmpp_parsers::date::DateTime as XmppDateTime;
use xmpp_parsers::delay::Delay;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::mam::{End, MetadataResponse, Query as MamQuery, Start};
use xmpp_parsers::message::Message;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::minidom::{Element, Node};
use xmpp_parsers::muc::user::Role;
use xmpp_parsers::ns;
use xmpp_parsers::rsm::{First, SetQuery, SetResult};
use xmpp_parsers::stanza_error::StanzaError;

use super::archive::{Archive, ArchiveEntry, Retention};
use super::config::{ArchiveReaders, Whois};
use super::player::{GameRunning, Player, spectators_separated};
use super::privileges::rank;
use super::room::{Rooms, muc_user};
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Now, Outbox, Phase, Service};
use crate::stanza::errors;
use crate::xmpp::muc_admin::AdminAffiliation;

/// `urn:xmpp:mam:2#extended`: before-id, after-id, ids, flipped pages, metadata.
pub const EXTENDED: &str = "urn:xmpp:mam:2#extended";
/// A page holds this many results unless the query asks fewer…
const DEFAULT_PAGE: usize = 50;
/// …and never more than this many.
const MAX_PAGE: usize = 100;
/// How many ids one `ids` field may name.
const MAX_IDS: usize = 100;

const CLIENT_NS: &str = "jabber:client";
const XDATA_VALIDATE: &str = "http://jabber.org/protocol/xdata-validate";

pub struct MamPlugin;

impl Feature for MamPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Room, ns::MAM);
        engine.add_systems(queries.in_set(Phase::Iq));
    }
}

/// What the asker may be shown.
#[derive(Debug, Clone, Copy)]
struct Reader {
    /// Real JIDs of publishers.
    sees_jids: bool,
    /// Spectators' messages are left out.
    hide_spectators: bool,
}

impl Reader {
    fn shows(&self, e: &ArchiveEntry) -> bool {
        !(self.hide_spectators && e.spectator)
    }
}

/// A query's filters (XEP-0313 §4.1).
#[derive(Debug, Default)]
struct Filter {
    with: Option<Jid>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    after_id: Option<String>,
    before_id: Option<String>,
    ids: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn queries(
    mut iqs: MessageReader<IqIn>,
    rooms: Rooms,
    mut archives: Query<&mut Archive>,
    running: Query<(), With<GameRunning>>,
    players: Query<(), With<Player>>,
    service: Res<Service>,
    now: Res<Now>,
    mut out: ResMut<Outbox>,
) {
    for iq in iqs.read().filter(|iq| iq.ns == ns::MAM) {
        let IqTarget::Room(room_jid) = &iq.target else {
            continue;
        };
        let Some(room) = rooms.find(room_jid) else {
            out.send(iq.error(errors::item_not_found(
                &service.jid,
                Some("This room does not exist"),
            )));
            continue;
        };
        let name = iq.payload.name();
        if !iq.set && name == "query" {
            out.send(iq.reply(Some(fields_form())));
            continue;
        }
        let known = (iq.set && name == "query") || (!iq.set && name == "metadata");
        if !known {
            out.send(iq.error(errors::bad_request(
                &service.jid,
                Some("Ask with a query (set) or for the metadata (get)"),
            )));
            continue;
        }
        let reader = match reader(&rooms, room, &iq.from, &service, &running, &players) {
            Ok(r) => r,
            Err(e) => {
                out.send(iq.error(*e));
                continue;
            }
        };
        let (Some(config), Ok(mut archive)) = (rooms.config(room), archives.get_mut(room)) else {
            continue;
        };
        // Expired messages go before anyone is shown them.
        let bounds = Retention::of(config, &service.settings, now.0);
        if archive
            .entries
            .front()
            .is_some_and(|e| e.at < bounds.oldest)
        {
            archive.prune(bounds);
        }
        if name == "metadata" {
            out.send(iq.reply(Some(metadata(&archive, reader))));
            continue;
        }
        match answer(iq, room_jid, &archive, reader, &service) {
            Ok((results, fin)) => {
                for m in results {
                    out.send(m);
                }
                out.send(iq.reply(Some(fin)));
            }
            Err(e) => out.send(iq.error(*e)),
        }
    }
}

/// Whether `from` may read the archive, and what it is shown.
fn reader(
    rooms: &Rooms,
    room: Entity,
    from: &Jid,
    service: &Service,
    running: &Query<(), With<GameRunning>>,
    players: &Query<(), With<Player>>,
) -> Result<Reader, Box<StanzaError>> {
    let bare = from.to_bare();
    let mut affiliation = rooms
        .affiliations(room)
        .map_or(AdminAffiliation::None, |a| a.get(&bare));
    if service.is_admin(&bare) {
        affiliation = AdminAffiliation::Owner;
    }
    let config = rooms.config(room).cloned().unwrap_or_default();
    let forbidden = |text| Err(Box::new(errors::forbidden(&service.jid, Some(text))));
    if affiliation == AdminAffiliation::Outcast {
        return forbidden("You are banned from this room");
    }
    let occupant = rooms.occupant_by_sender(room, from);
    let member = rank(affiliation) >= rank(AdminAffiliation::Member);
    // XEP-0313 §6.1.2: whoever has the right to enter the room (open, no password), unless
    // the owner keeps the archive to occupants.
    let open_to_anyone = !config.members_only
        && !config.password_protected()
        && config.archive_readers == ArchiveReaders::Anyone;
    if occupant.is_none() && !member && !open_to_anyone {
        return forbidden(if config.members_only {
            "Only members may read the archive of this room"
        } else {
            "Only occupants may read the archive of this room"
        });
    }
    let privileged = rank(affiliation) >= rank(AdminAffiliation::Admin);
    let moderator = occupant.as_ref().is_some_and(|o| o.role == Role::Moderator);
    let separated = spectators_separated(&config, running.contains(room));
    let spectator_occupant = occupant
        .as_ref()
        .is_some_and(|o| !players.contains(o.entity));
    Ok(Reader {
        sees_jids: config.whois == Whois::Anyone || moderator || privileged,
        hide_spectators: separated && !spectator_occupant,
    })
}

/// The results and the `<fin/>` of a query, or why it cannot be answered.
fn answer(
    iq: &IqIn,
    room: &BareJid,
    archive: &Archive,
    reader: Reader,
    service: &Service,
) -> Result<(Vec<Message>, Element), Box<StanzaError>> {
    let bad = |text: &str| Box::new(errors::bad_request(&service.jid, Some(text)));
    let query = MamQuery::try_from(iq.payload.clone()).map_err(|e| bad(&e.to_string()))?;
    if query.node.is_some() {
        return Err(bad("A room's archive has no nodes"));
    }
    let filter = match &query.form {
        Some(form) => read_filter(form, service)?,
        None => Filter::default(),
    };
    let visible: Vec<&ArchiveEntry> = archive.entries.iter().filter(|e| reader.shows(e)).collect();
    // XEP-0313 §4.1.3: every id named must be in the archive (as this reader sees it).
    let seq_of = |id: &str| -> Result<u64, Box<StanzaError>> {
        visible
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.seq)
            .ok_or_else(|| {
                Box::new(errors::item_not_found(
                    &service.jid,
                    Some("No archived message has that id"),
                ))
            })
    };
    let after = filter.after_id.as_deref().map(seq_of).transpose()?;
    let before = filter.before_id.as_deref().map(seq_of).transpose()?;
    for id in &filter.ids {
        seq_of(id)?;
    }
    let matching: Vec<&ArchiveEntry> = visible
        .iter()
        .copied()
        .filter(|e| filter.start.is_none_or(|s| e.at >= s))
        .filter(|e| filter.end.is_none_or(|t| e.at <= t))
        .filter(|e| after.is_none_or(|a| e.seq > a))
        .filter(|e| before.is_none_or(|b| e.seq < b))
        .filter(|e| filter.ids.is_empty() || filter.ids.contains(&e.id))
        .filter(|e| {
            filter
                .with
                .as_ref()
                .is_none_or(|w| published_by(e, w, room, reader))
        })
        .collect();
    let (range, backwards) = page(&matching, query.set.as_ref(), &seq_of)?;
    let shown = &matching[range.clone()];
    let complete = if backwards {
        range.start == 0
    } else {
        range.end == matching.len()
    };
    let mut results: Vec<Message> = shown
        .iter()
        .map(|e| {
            result(
                e,
                room,
                &iq.from,
                query.queryid.as_ref().map(|q| q.0.as_str()),
                reader,
            )
        })
        .collect();
    if query.flip_page {
        results.reverse();
    }
    let set = SetResult {
        first: shown.first().map(|e| First {
            index: Some(range.start),
            item: e.id.clone(),
        }),
        last: shown.last().map(|e| e.id.clone()),
        count: Some(matching.len()),
    };
    let mut fin = Element::builder("fin", ns::MAM).build();
    if complete {
        fin.set_attr(
            xmpp_parsers::minidom::rxml::Namespace::NONE,
            xml_ncname!("complete").to_owned(),
            "true",
        );
    }
    fin.append_child(set.into());
    Ok((results, fin))
}

/// XEP-0059 over the matching entries: `after` pages forward, `before` backward (an empty
/// `<before/>` is the last page); returns the page's range and whether it went backward.
fn page(
    matching: &[&ArchiveEntry],
    set: Option<&SetQuery>,
    seq_of: &dyn Fn(&str) -> Result<u64, Box<StanzaError>>,
) -> Result<(std::ops::Range<usize>, bool), Box<StanzaError>> {
    let max = set
        .and_then(|s| s.max)
        .unwrap_or(DEFAULT_PAGE)
        .min(MAX_PAGE);
    let len = matching.len();
    let Some(set) = set else {
        return Ok((0..max.min(len), false));
    };
    if let Some(after) = &set.after {
        let seq = seq_of(after)?;
        let start = matching.partition_point(|e| e.seq <= seq);
        return Ok((start..(start + max).min(len), false));
    }
    if let Some(before) = &set.before {
        let end = if before.is_empty() {
            len
        } else {
            let seq = seq_of(before)?;
            matching.partition_point(|e| e.seq < seq)
        };
        return Ok((end.saturating_sub(max)..end, true));
    }
    let start = set.index.unwrap_or(0).min(len);
    Ok((start..(start + max).min(len), false))
}

/// XEP-0313 §4.1.1 for a room: `with` is an occupant JID (`room/nick`), the room itself (all),
/// or — for who may see real JIDs — a user's JID.
fn published_by(e: &ArchiveEntry, with: &Jid, room: &BareJid, reader: Reader) -> bool {
    if with.to_bare() == *room {
        return with.resource().is_none() || e.message.from.as_ref() == Some(with);
    }
    reader.sees_jids && !e.occupant_id.is_empty() && e.publisher == with.to_bare()
}

/// The filters of a submitted `urn:xmpp:mam:2` form.
fn read_filter(form: &DataForm, service: &Service) -> Result<Filter, Box<StanzaError>> {
    let bad = |text: String| Box::new(errors::bad_request(&service.jid, Some(&text)));
    if form.form_type().is_some_and(|t| t != ns::MAM) {
        return Err(bad("The form is not a urn:xmpp:mam:2 form".into()));
    }
    let mut filter = Filter::default();
    for field in &form.fields {
        let Some(var) = field.var.as_deref() else {
            continue;
        };
        let value = field
            .values
            .first()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty());
        let time = |v: Option<&str>| -> Result<Option<DateTime<Utc>>, Box<StanzaError>> {
            v.map(|v| {
                v.parse::<XmppDateTime>()
                    .map(|d| d.0.with_timezone(&Utc))
                    .map_err(|_| bad(format!("'{v}' is not a date and time (XEP-0082)")))
            })
            .transpose()
        };
        match var {
            "FORM_TYPE" => {}
            "with" => {
                filter.with = value.map(|v| v.parse::<Jid>()).transpose().map_err(|_| {
                    Box::new(errors::jid_malformed(
                        &service.jid,
                        Some("'with' is not a JID"),
                    ))
                })?;
            }
            "start" => filter.start = time(value)?,
            "end" => filter.end = time(value)?,
            "after-id" => filter.after_id = value.map(str::to_owned),
            "before-id" => filter.before_id = value.map(str::to_owned),
            "ids" => {
                if field.values.len() > MAX_IDS {
                    return Err(bad(format!(
                        "At most {MAX_IDS} ids may be asked for at once"
                    )));
                }
                filter.ids = field
                    .values
                    .iter()
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .collect();
            }
            other => {
                return Err(Box::new(errors::feature_not_implemented(
                    &service.jid,
                    Some(&format!("This archive has no field '{other}'")),
                )));
            }
        }
    }
    Ok(filter)
}

/// One result: the archived message forwarded from the room, stamped with when it was sent.
fn result(
    e: &ArchiveEntry,
    room: &BareJid,
    to: &Jid,
    queryid: Option<&str>,
    reader: Reader,
) -> Message {
    let mut inner = e.message.clone();
    inner.to = None;
    // The room's own messages have no publisher to name.
    if reader.sees_jids && !e.occupant_id.is_empty() {
        inner.payloads.push(real_jid(&e.publisher));
    }
    let delay: Element = Delay {
        from: None,
        stamp: XmppDateTime(e.at.fixed_offset()),
        data: None,
    }
    .into();
    let forwarded = Element::builder("forwarded", ns::FORWARD)
        .append(delay)
        .append(client_ns(&Element::from(inner)))
        .build();
    let mut result = Element::builder("result", ns::MAM)
        .attr(xml_ncname!("id").to_owned(), e.id.as_str())
        .append(forwarded)
        .build();
    if let Some(q) = queryid {
        result.set_attr(
            xmpp_parsers::minidom::rxml::Namespace::NONE,
            xml_ncname!("queryid").to_owned(),
            q,
        );
    }
    let mut m = Message::new(Some(to.clone()));
    m.type_ = xmpp_parsers::message::MessageType::Normal;
    m.from = Some(room.clone().into());
    m.payloads.push(result);
    m
}

/// muc#user naming the publisher's real JID, for a reader who may see it.
fn real_jid(publisher: &BareJid) -> Element {
    let mut x = muc_user(Vec::new(), Vec::new());
    let mut item = Element::builder("item", ns::MUC_USER)
        .attr(xml_ncname!("jid").to_owned(), publisher.as_str())
        .build();
    item.set_attr(
        xmpp_parsers::minidom::rxml::Namespace::NONE,
        xml_ncname!("affiliation").to_owned(),
        "none",
    );
    x.append_child(item);
    x
}

/// The archived stanza as clients expect it inside `<forwarded/>`: in `jabber:client`.
fn client_ns(e: &Element) -> Element {
    let ns = if e.ns() == ns::DEFAULT_NS {
        CLIENT_NS.to_owned()
    } else {
        e.ns()
    };
    let mut out = Element::builder(e.name(), ns).build();
    *out.attrs_mut() = e.attrs().clone();
    for node in e.nodes() {
        match node {
            Node::Element(child) => {
                out.append_child(client_ns(child));
            }
            Node::Text(t) => out.append_text_node(t.clone()),
        }
    }
    out
}

/// The archive's first and last messages as this reader sees it (XEP-0313 §6).
fn metadata(archive: &Archive, reader: Reader) -> Element {
    let mut visible = archive.entries.iter().filter(|e| reader.shows(e));
    let first = visible.next();
    let last = visible.next_back().or(first);
    MetadataResponse {
        start: first.map(|e| Start {
            id: e.id.clone(),
            timestamp: XmppDateTime(e.at.fixed_offset()),
        }),
        end: last.map(|e| End {
            id: e.id.clone(),
            timestamp: XmppDateTime(e.at.fixed_offset()),
        }),
    }
    .into()
}

/// The fields a query may use (XEP-0313 §4.1.5).
fn fields_form() -> Element {
    let field = |var: &str, type_: &str| {
        Element::builder("field", ns::DATA_FORMS)
            .attr(xml_ncname!("type").to_owned(), type_)
            .attr(xml_ncname!("var").to_owned(), var)
            .build()
    };
    let mut form_type = field("FORM_TYPE", "hidden");
    form_type.append_child(
        Element::builder("value", ns::DATA_FORMS)
            .append(ns::MAM)
            .build(),
    );
    let mut ids = field("ids", "list-multi");
    ids.append_child(
        Element::builder("validate", XDATA_VALIDATE)
            .attr(xml_ncname!("datatype").to_owned(), "xs:string")
            .append(Element::bare("open", XDATA_VALIDATE))
            .build(),
    );
    let x = Element::builder("x", ns::DATA_FORMS)
        .attr(xml_ncname!("type").to_owned(), "form")
        .append(form_type)
        .append(field("with", "jid-single"))
        .append(field("start", "text-single"))
        .append(field("end", "text-single"))
        .append(field("before-id", "text-single"))
        .append(field("after-id", "text-single"))
        .append(ids)
        .build();
    Element::builder("query", ns::MAM).append(x).build()
}

#[cfg(test)]
#[path = "tests/mam.rs"]
mod tests;
