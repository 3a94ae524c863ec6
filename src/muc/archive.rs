//! The room's message archive (XEP-0313's storage side) and its stanza-ids (XEP-0359).
//!
//! Every groupchat message the room relays gets `<stanza-id by='room@service' id='…'/>`; the id
//! is a keyed hash of the room, the time and the message's number under the service key, so it
//! is unique, never reused (a room made again starts at another time) and says nothing of the
//! archive's size. What is archived — a message with content (a body, or a client's payload such
//! as a reaction, a retraction or a correction; not a bare chat state, nor what asks not to be
//! stored) — is kept in memory for every room, bounded by the service's `max_archive` and by the
//! room's retention in days, and in the store for persistent rooms. [`super::mam`] answers
//! queries; [`super::moderation`] replaces retracted messages with tombstones.

use std::collections::VecDeque;

use bevy_ecs::prelude::*;
use chrono::{DateTime, Duration, Utc};
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::message::Message;
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::ns;

use super::at_rest::{AtRest, Empty};
use super::config::{ArchiveReaders, RoomConfig, SharedConfig};
use super::form::{ConfigFields, FieldKind, FieldSpec, boolean, choice, flag, number, single};
use super::occupant_id::{ServiceKey, hex};
use super::room::Room;
use crate::engine::{EngineBuilder, Feature, Now, Phase, Service, Settings, Wakeup};

/// One archived message.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveEntry {
    /// Its number in the room's archive (the store keys on it).
    pub seq: u64,
    /// Its stanza-id.
    pub id: String,
    pub at: DateTime<Utc>,
    /// The real bare JID of who sent it (the room's own JID for the room's own messages).
    pub publisher: BareJid,
    /// The sender's XEP-0421 occupant-id (empty for the room's own messages).
    pub occupant_id: String,
    /// Sent by a non-player while a game ran: players are never given it (palaver).
    pub spectator: bool,
    /// Replaced by a tombstone (XEP-0424, XEP-0425).
    pub retracted: bool,
    /// As the room relayed it: from `room/nick`, no `to`, with its stanza-id and occupant-id.
    pub message: Message,
}

/// The room's archive, oldest first.
#[derive(Debug, Clone, Default)]
pub struct ArchiveLog {
    pub entries: VecDeque<ArchiveEntry>,
    /// The number the next message gets.
    pub next_seq: u64,
    /// Entries replaced by tombstones since the store last looked (their `seq`).
    pub edited: Vec<u64>,
}

/// A room's [`ArchiveLog`], allocated when the room relays its first message.
pub type Archive = AtRest<ArchiveLog>;

static NO_ARCHIVE: ArchiveLog = ArchiveLog {
    entries: VecDeque::new(),
    next_seq: 0,
    edited: Vec::new(),
};

impl Empty for ArchiveLog {
    fn empty() -> &'static Self {
        &NO_ARCHIVE
    }
}

impl ArchiveLog {
    /// The number and stanza-id of the next message the room relays (archived or not).
    pub fn next_id(
        &mut self,
        key: &ServiceKey,
        room: &BareJid,
        at: DateTime<Utc>,
    ) -> (u64, String) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let nanos = at.timestamp_nanos_opt().unwrap_or_default().to_le_bytes();
        let mac = key.mac(&[
            b"stanza-id",
            room.as_str().as_bytes(),
            &nanos,
            &seq.to_le_bytes(),
        ]);
        (seq, hex(&mac[..16]))
    }

    /// Keeps an entry, then drops what is past the room's bounds.
    pub fn record(&mut self, entry: ArchiveEntry, bounds: Retention) {
        self.entries.push_back(entry);
        self.prune(bounds);
    }

    /// Drops the oldest entries past `bounds` (XEP-0313 §3.2: only ever the oldest).
    pub fn prune(&mut self, bounds: Retention) {
        while self.entries.len() > bounds.max
            || self.entries.front().is_some_and(|e| e.at < bounds.oldest)
        {
            self.entries.pop_front();
        }
    }

    /// Where the entry with stanza-id `id` is.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// Replaces the message with stanza-id `id` by a tombstone; returns the entry as it was.
    pub fn retract(&mut self, id: &str, tombstone: Message) -> Option<ArchiveEntry> {
        let entry = self.entries.iter_mut().find(|e| e.id == id)?;
        let before = entry.clone();
        entry.message = tombstone;
        entry.retracted = true;
        self.edited.push(entry.seq);
        Some(before)
    }
}

/// A message the room itself sends to everyone (a moderation, an announcement): stamped with
/// its stanza-id and, while the room archives, archived as the room's own. Returns it to send.
pub fn room_message(
    archive: &mut Archive,
    key: &ServiceKey,
    room: &BareJid,
    bounds: Option<Retention>,
    at: DateTime<Utc>,
    mut message: Message,
) -> Message {
    message.from = Some(room.clone().into());
    message.to = None;
    let (seq, id) = archive.next_id(key, room, at);
    message.payloads.push(stanza_id_element(&id, room));
    if let Some(bounds) = bounds {
        let entry = ArchiveEntry {
            seq,
            id,
            at,
            publisher: room.clone(),
            occupant_id: String::new(),
            spectator: false,
            retracted: false,
            message: message.clone(),
        };
        archive.record(entry, bounds);
    }
    message
}

/// No retention is longer (a configured one is cut to it): ten thousand years keep the dates in
/// range.
const MAX_DAYS: u32 = 3_650_000;

/// How much of its archive a room keeps.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max: usize,
    pub oldest: DateTime<Utc>,
}

impl Retention {
    /// The room's bounds at `now`: the service's size, the room's days (never past the
    /// service's).
    pub fn of(config: &RoomConfig, settings: &Settings, now: DateTime<Utc>) -> Retention {
        let days = config
            .archive_days
            .map_or(settings.archive_days, |d| d.min(settings.archive_days))
            .min(MAX_DAYS);
        Retention {
            max: settings.max_archive,
            oldest: now
                .checked_sub_signed(Duration::days(i64::from(days)))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        }
    }
}

/// XEP-0359's `<stanza-id/>` by the room.
pub fn stanza_id_element(id: &str, room: &BareJid) -> Element {
    Element::builder("stanza-id", ns::SID)
        .attr(xml_ncname!("id").to_owned(), id)
        .attr(xml_ncname!("by").to_owned(), room.as_str())
        .build()
}

/// The stanza-id by `room` a message carries, if any.
pub fn stanza_id_of(m: &Message, room: &BareJid) -> Option<String> {
    m.payloads
        .iter()
        .find(|p| p.is("stanza-id", ns::SID) && p.attr("by") == Some(room.as_str()))
        .and_then(|p| p.attr("id").map(str::to_owned))
}

/// XEP-0334 hints and the payloads that carry no content of their own.
const HINTS: &str = "urn:xmpp:hints";
const CHATSTATES: &str = "http://jabber.org/protocol/chatstates";

/// Whether a relayed groupchat message belongs in the archive: it has content (a body, or a
/// payload of a client's own — a reaction, a retraction, a correction…), not only a chat state
/// or ids, and does not ask not to be stored (XEP-0334).
pub fn archivable(m: &Message) -> bool {
    let refused = m
        .payloads
        .iter()
        .any(|p| p.ns() == HINTS && matches!(p.name(), "no-store" | "no-permanent-store"));
    if refused {
        return false;
    }
    let content = |p: &&Element| {
        !matches!(
            p.ns().as_str(),
            CHATSTATES | HINTS | ns::SID | super::occupant_id::NS
        )
    };
    !m.bodies.is_empty() || m.payloads.iter().any(|p| content(&p))
}

/// When archives are next looked over for expired messages, and when the next one expires.
#[derive(Resource, Debug, Default)]
pub struct NextExpiry {
    sweep: Option<DateTime<Utc>>,
    due: Option<DateTime<Utc>>,
}

/// How often at the latest archives are looked over (a shorter retention takes effect by then).
const EXPIRY_SWEEP: Duration = Duration::hours(1);

/// Drops expired messages from every room's archive (and so from the store), also in rooms
/// where nobody writes, and wakes the engine when the next one expires.
fn expire(
    mut archives: Query<(&SharedConfig, &mut Archive)>,
    service: Res<Service>,
    now: Res<Now>,
    mut next: ResMut<NextExpiry>,
    mut wakeup: ResMut<Wakeup>,
) {
    if next.sweep.is_some_and(|at| now.0 < at) {
        // The engine forgets wake-up times each tick: ask again until the time comes.
        if let Some(due) = next.due {
            wakeup.at(due);
        }
        return;
    }
    let mut due: Option<DateTime<Utc>> = None;
    for (config, mut archive) in &mut archives {
        let bounds = Retention::of(config, &service.settings, now.0);
        if archive
            .entries
            .front()
            .is_some_and(|e| e.at < bounds.oldest)
        {
            archive.prune(bounds);
        }
        if let Some(front) = archive.entries.front() {
            // Kept while exactly as old as the retention: expired a second later.
            let expires = front
                .at
                .checked_add_signed(now.0 - bounds.oldest + Duration::seconds(1));
            if let Some(expires) = expires {
                due = Some(due.map_or(expires, |d| d.min(expires)));
            }
        }
    }
    let sweep = now.0 + EXPIRY_SWEEP;
    next.sweep = Some(due.map_or(sweep, |d| d.min(sweep)));
    next.due = due;
    if let Some(due) = due {
        wakeup.at(due);
    }
}

pub struct ArchivePlugin;

impl Feature for ArchivePlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.register_required_components::<Room, Archive>();
        engine.world.init_resource::<NextExpiry>();
        engine.add_systems(expire.in_set(Phase::Timers));
        let mut fields = engine.world.get_resource_or_init::<ConfigFields>();
        for spec in config_fields() {
            fields.push(spec);
        }
    }
}

const READERS: &[(&str, ArchiveReaders)] = &[
    ("occupants", ArchiveReaders::Occupants),
    ("anyone", ArchiveReaders::Anyone),
];

/// The archive's configuration fields.
fn config_fields() -> Vec<FieldSpec> {
    vec![
        FieldSpec::new(
            "muc#roomconfig_enablearchiving",
            "Archive Messages?",
            FieldKind::Boolean,
            |c| vec![flag(c.archiving).to_owned()],
            |c, v, _| {
                c.archiving = boolean("Archive Messages?", v)?;
                Ok(())
            },
        ),
        FieldSpec::new(
            "palaver#roomconfig_archiveretention",
            "Keep Archived Messages for How Many Days?",
            FieldKind::TextSingle,
            |c| vec![c.archive_days.map(|d| d.to_string()).unwrap_or_default()],
            |c, v, ctx| {
                let value = single(v).trim();
                if value.is_empty() {
                    c.archive_days = None;
                    return Ok(());
                }
                match number(value) {
                    Some(days) if days <= ctx.archive_days => {
                        c.archive_days = Some(days);
                        Ok(())
                    }
                    _ => Err(format!(
                        "Keep Archived Messages for How Many Days?: '{value}' is not a number of \
                         days from 0 to {}.",
                        ctx.archive_days
                    )),
                }
            },
        ),
        FieldSpec::new(
            "palaver#roomconfig_archivereaders",
            "Who May Read the Archive?",
            FieldKind::ListSingle(&[
                ("occupants", "Occupants and Members"),
                (
                    "anyone",
                    "Anyone Who Could Enter (Open Rooms without a Password)",
                ),
            ]),
            |c| {
                READERS
                    .iter()
                    .filter(|(_, r)| *r == c.archive_readers)
                    .map(|(n, _)| (*n).to_owned())
                    .collect()
            },
            |c, v, _| {
                c.archive_readers = choice("Who May Read the Archive?", v, READERS)?;
                Ok(())
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(xml: &str) -> Message {
        Message::try_from(crate::testing::parse(xml)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn what_is_archived() {
        assert!(archivable(&message(
            "<message type='groupchat'><body>hi</body></message>"
        )));
        assert!(archivable(&message(
            "<message type='groupchat'><reactions xmlns='urn:xmpp:reactions:0' id='x'><reaction>👍</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>"
        )));
        assert!(!archivable(&message(
            "<message type='groupchat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
        )));
        assert!(!archivable(&message(
            "<message type='groupchat'><body>secret</body><no-store xmlns='urn:xmpp:hints'/></message>"
        )));
    }

    #[test]
    fn a_retention_of_any_length_keeps_the_dates_in_range() {
        let mut settings = Settings::new("c.localhost".parse().unwrap_or_else(|e| panic!("{e}")));
        settings.archive_days = u32::MAX;
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let r = Retention::of(&RoomConfig::default(), &settings, now);
        assert!(r.oldest < now);
    }

    #[test]
    fn ids_are_unique_and_bounds_drop_the_oldest() {
        let key = ServiceKey([1; 32]);
        let room: BareJid = "r@c.localhost".parse().unwrap_or_else(|e| panic!("{e}"));
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(100);
        let mut a = Archive::default();
        let (s0, i0) = a.next_id(&key, &room, now);
        let (s1, i1) = a.next_id(&key, &room, now);
        assert_eq!((s0, s1), (0, 1));
        assert_ne!(i0, i1);
        // A room made again later starts at 0 again but gets other ids.
        let (_, again) = Archive::default().next_id(&key, &room, now + Duration::seconds(1));
        assert_ne!(again, i0);
        let entry = |seq: u64, at| ArchiveEntry {
            seq,
            id: seq.to_string(),
            at,
            publisher: room.clone(),
            occupant_id: String::new(),
            spectator: false,
            retracted: false,
            message: message("<message type='groupchat'><body>x</body></message>"),
        };
        let bounds = Retention {
            max: 3,
            oldest: now - Duration::days(1),
        };
        a.record(entry(0, now - Duration::days(2)), bounds);
        assert!(a.entries.is_empty(), "too old to keep");
        for seq in 1..=5 {
            a.record(entry(seq, now), bounds);
        }
        let kept: Vec<u64> = a.entries.iter().map(|e| e.seq).collect();
        assert_eq!(kept, [3, 4, 5]);
    }
}
