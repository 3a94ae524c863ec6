//! Allowances (as Prosody's mod_muc_limits): how fast an occupant may talk, change presence or
//! nick, and invite, how busy a whole room may be, and who may create rooms and how many.
//!
//! Rates are token buckets checked when a stanza arrives ([`crate::engine::EngineBuilder::admit`]),
//! before it is queued: a sender over its allowance is answered at once with `resource-constraint`
//! (type wait) and a sentence, and its excess costs the room nothing. The buckets are kept per
//! sender per room, and forgotten once full again (a fresh bucket is a full one, so forgetting it
//! changes nothing), so their number stays bounded by who was active in the last minutes.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use bevy_ecs::prelude::*;
use chrono::{DateTime, Utc};
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::muc::user::Affiliation;
use xmpp_parsers::presence::Type as PresenceType;
use xmpp_parsers::stanza::Stanza;
use xmpp_parsers::stanza_error::StanzaError;

use super::config::SharedConfig;
use super::form::{ConfigFields, FieldKind, FieldSpec};
use super::join::{JoinRequests, PreJoinStep};
use super::room::{RoomIndex, Rooms, Roster};
use crate::engine::{EngineBuilder, Feature, Service};
use crate::stanza::{Inbound, errors};

/// Who may create rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum RoomCreation {
    /// Any user of any server.
    Anyone,
    /// Users of the server the service belongs to (`example.org` for `conference.example.org`)
    /// and its subdomains.
    #[default]
    Local,
    /// Service administrators only.
    Admins,
}

/// The service-wide allowances; a room's owner sets its own message rate (within 1–600).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allowances {
    pub room_creation: RoomCreation,
    /// Rooms a user may own at once (service administrators: no limit).
    pub max_rooms_per_user: usize,
    /// A room's default `palaver#roomconfig_messagerate`: messages a minute per occupant.
    pub messages_per_minute: u32,
    /// Messages an occupant may send at once before the rate applies.
    pub message_burst: u32,
    /// Bytes an occupant may send to a room at once, and per second after that.
    pub bytes_burst: u32,
    pub bytes_per_second: u32,
    /// Presence changes per minute per occupant, with a burst.
    pub presences_per_minute: u32,
    pub presence_burst: u32,
    /// Nick changes per hour per occupant, with a burst.
    pub nick_changes_per_hour: u32,
    pub nick_change_burst: u32,
    /// Invitations per minute per occupant, with a burst.
    pub invitations_per_minute: u32,
    pub invitation_burst: u32,
    /// Messages per second for a whole room, with a burst.
    pub room_messages_per_second: u32,
    pub room_message_burst: u32,
    /// IQ requests per second per sender, service-wide, with a burst.
    pub requests_per_second: u32,
    pub request_burst: u32,
}

impl Default for Allowances {
    fn default() -> Allowances {
        Allowances {
            room_creation: RoomCreation::Local,
            max_rooms_per_user: 20,
            messages_per_minute: 60,
            message_burst: 10,
            bytes_burst: 256 * 1024,
            bytes_per_second: 16 * 1024,
            presences_per_minute: 6,
            presence_burst: 10,
            nick_changes_per_hour: 60,
            nick_change_burst: 3,
            invitations_per_minute: 6,
            invitation_burst: 5,
            room_messages_per_second: 20,
            room_message_burst: 100,
            requests_per_second: 10,
            request_burst: 50,
        }
    }
}

/// How often full buckets are forgotten: a sweep walks every table once.
const SWEEP_EVERY_MS: i64 = 10_000;

/// A token bucket: `tokens` at `at_ms`, refilled continuously up to its capacity.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Bucket {
    fn full(capacity: f64, now_ms: i64) -> Bucket {
        Bucket {
            tokens: capacity,
            at_ms: now_ms,
        }
    }

    /// Tokens available at `now_ms`.
    fn level(&self, now_ms: i64, capacity: f64, per_ms: f64) -> f64 {
        let elapsed = (now_ms - self.at_ms).max(0) as f64;
        (self.tokens + elapsed * per_ms).min(capacity)
    }

    fn take(&mut self, now_ms: i64, capacity: f64, per_ms: f64, cost: f64) {
        self.tokens = self.level(now_ms, capacity, per_ms) - cost;
        self.at_ms = now_ms;
    }

    /// When the bucket is full again (never, for a rate of zero).
    fn full_at(&self, capacity: f64, per_ms: f64) -> i64 {
        let missing = capacity - self.tokens;
        if missing <= 0.0 {
            return self.at_ms;
        }
        if per_ms <= 0.0 {
            return i64::MAX;
        }
        // Rounded up, so that a bucket forgotten at that time is full.
        self.at_ms
            .saturating_add((missing / per_ms).ceil() as i64 + 1)
    }
}

/// The limits of one kind: capacity and refill per millisecond.
#[derive(Debug, Clone, Copy)]
struct Rate {
    capacity: f64,
    per_ms: f64,
}

impl Rate {
    fn per_minute(burst: u32, per_minute: u32) -> Rate {
        Rate {
            capacity: f64::from(burst.max(1)),
            per_ms: f64::from(per_minute) / 60_000.0,
        }
    }
    fn per_hour(burst: u32, per_hour: u32) -> Rate {
        Rate {
            capacity: f64::from(burst.max(1)),
            per_ms: f64::from(per_hour) / 3_600_000.0,
        }
    }
    fn per_second(burst: u32, per_second: u32) -> Rate {
        Rate {
            capacity: f64::from(burst.max(1)),
            per_ms: f64::from(per_second) / 1_000.0,
        }
    }
}

/// One occupant's buckets in one room. Entering costs a presence, so every occupant has that
/// bucket; the others (messages, bytes, nicks, invitations) are made on first use, full as a
/// fresh bucket is: an occupant that never talks keeps 32 bytes here, not 88.
#[derive(Debug, Clone)]
struct Occupancy {
    presences: Bucket,
    others: Option<Box<[Bucket; 4]>>,
    /// When every bucket is full again: from then on the entry may be forgotten.
    full_at_ms: i64,
}

/// Every bucket in use. Keys are keyed hashes of the room's and the sender's addresses, not the
/// text: an entry per active occupant costs no strings, and with a random key per process nobody
/// can make two senders share a bucket (64 bits: a collision is as unlikely as a guessed key).
#[derive(Resource, Default)]
pub struct Buckets {
    hasher: RandomState,
    occupants: HashMap<u64, Occupancy>,
    rooms: HashMap<u64, Bucket>,
    requests: HashMap<u64, Bucket>,
    next_sweep_ms: i64,
}

impl Buckets {
    /// Forgets, every [`SWEEP_EVERY_MS`], every bucket that is full again.
    fn sweep(&mut self, now_ms: i64, limits: &Allowances) {
        if now_ms < self.next_sweep_ms {
            return;
        }
        self.next_sweep_ms = now_ms.saturating_add(SWEEP_EVERY_MS);
        self.occupants.retain(|_, o| o.full_at_ms > now_ms);
        let room = Rate::per_second(limits.room_message_burst, limits.room_messages_per_second);
        self.rooms
            .retain(|_, b| b.full_at(room.capacity, room.per_ms) > now_ms);
        let request = Rate::per_second(limits.request_burst, limits.requests_per_second);
        self.requests
            .retain(|_, b| b.full_at(request.capacity, request.per_ms) > now_ms);
        // After a burst, the emptied tables' memory goes too.
        shrink(&mut self.occupants);
        shrink(&mut self.rooms);
        shrink(&mut self.requests);
    }

    fn key(&self, parts: &[&str]) -> u64 {
        self.hasher.hash_one(parts)
    }
}

/// Gives back a table's memory once it is at most a quarter full.
fn shrink<V>(map: &mut HashMap<u64, V>) {
    if map.capacity() > 64 && map.len() < map.capacity() / 4 {
        map.shrink_to_fit();
    }
}

/// The service's allowances, as a resource.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct Limits(pub Allowances);

pub struct LimitsPlugin;

impl Feature for LimitsPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<Buckets>();
        engine.world.init_resource::<Limits>();
        engine
            .world
            .get_resource_or_init::<ConfigFields>()
            .push(message_rate_field());
        engine.admit(admit);
        engine.add_systems(refuse_room_creation.in_set(PreJoinStep::Access));
    }
}

/// The owner's say on the room's message rate.
fn message_rate_field() -> FieldSpec {
    FieldSpec::new(
        "palaver#roomconfig_messagerate",
        "Messages per Minute per Occupant (1-600)",
        FieldKind::TextSingle,
        |c| {
            vec![
                c.messages_per_minute
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ]
        },
        |c, v, _| {
            let text = v.first().map_or("", |s| s.trim());
            match text.parse::<u32>() {
                // Empty: the service's default.
                _ if text.is_empty() => {
                    c.messages_per_minute = None;
                    Ok(())
                }
                Ok(n) if (1..=600).contains(&n) => {
                    c.messages_per_minute = Some(n);
                    Ok(())
                }
                _ => Err(format!(
                    "Messages per Minute per Occupant: '{text}' is not a number from 1 to 600."
                )),
            }
        },
    )
}

fn too_fast(service: &Service, text: &str) -> Box<StanzaError> {
    Box::new(errors::resource_constraint(&service.jid, Some(text)))
}

/// Refuses what goes over an allowance; see the module's documentation.
fn admit(world: &mut World, inbound: &Inbound, now: DateTime<Utc>) -> Result<(), Box<StanzaError>> {
    let Inbound::Stanza(stanza) = inbound else {
        return Ok(());
    };
    let now_ms = now.timestamp_millis();
    let service = world.resource::<Service>().clone();
    let limits = world.resource::<Limits>().0;
    let (from, to) = match stanza.as_ref() {
        Stanza::Iq(iq) => {
            let (from, _) = crate::stanza::iq_addresses(iq);
            let rate = Rate::per_second(limits.request_burst, limits.requests_per_second);
            let mut buckets = world.resource_mut::<Buckets>();
            buckets.sweep(now_ms, &limits);
            let key = buckets.key(&[from.map_or("", |f| f.as_str())]);
            let bucket = buckets
                .requests
                .entry(key)
                .or_insert_with(|| Bucket::full(rate.capacity, now_ms));
            if bucket.level(now_ms, rate.capacity, rate.per_ms) < 1.0 {
                return Err(too_fast(
                    &service,
                    "You are sending requests too fast; this one was not answered. Wait a moment.",
                ));
            }
            bucket.take(now_ms, rate.capacity, rate.per_ms, 1.0);
            return Ok(());
        }
        Stanza::Message(m) => (m.from.as_ref(), m.to.as_ref()),
        Stanza::Presence(p) => (p.from.as_ref(), p.to.as_ref()),
    };
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(());
    };
    if to.node().is_none() || to.domain() != service.settings.domain.domain() {
        return Ok(());
    }
    let room_jid = to.to_bare();
    let room = world.resource::<RoomIndex>().0.get(&room_jid).copied();
    let per_minute = room
        .and_then(|r| world.get::<SharedConfig>(r))
        .and_then(|c| c.messages_per_minute)
        .unwrap_or(limits.messages_per_minute);
    // A nick change: an occupant's presence to a nick it does not hold.
    let nick_change = matches!(stanza.as_ref(), Stanza::Presence(p) if p.type_ == PresenceType::None)
        && room
            .and_then(|r| world.get::<Roster>(r))
            .zip(from.clone().try_into_full().ok())
            .and_then(|(roster, full)| roster.by_jid.get(&full).copied())
            .and_then(|occupant| world.get::<super::room::Nick>(occupant))
            .zip(to.resource())
            .is_some_and(|(nick, wanted)| nick.name() != wanted.as_str());
    let rates = OccupantRates::new(&limits, per_minute);
    let room_rate = Rate::per_second(limits.room_message_burst, limits.room_messages_per_second);
    let mut buckets = world.resource_mut::<Buckets>();
    buckets.sweep(now_ms, &limits);
    let key = buckets.key(&[room_jid.as_str(), from.as_str()]);
    let room_key = buckets.key(&[room_jid.as_str()]);
    let occupancy = buckets
        .occupants
        .entry(key)
        .or_insert_with(|| rates.fresh(now_ms));
    match stanza.as_ref() {
        Stanza::Presence(_) => {
            let mut wants = vec![(Kind::Presence, 1.0)];
            if nick_change {
                wants.push((Kind::Nick, 1.0));
            }
            rates.spend(occupancy, now_ms, &wants, &service)
        }
        Stanza::Message(m) => {
            let invitations = m
                .payloads
                .iter()
                .filter(|p| p.is("x", xmpp_parsers::ns::MUC_USER))
                .flat_map(|x| x.children())
                .filter(|c| c.name() == "invite")
                .count();
            if invitations > 0 {
                return rates.spend(
                    occupancy,
                    now_ms,
                    &[(Kind::Invitation, invitations as f64)],
                    &service,
                );
            }
            let bytes = m.bodies.values().map(String::len).sum::<usize>()
                + m.payloads
                    .iter()
                    .map(crate::engine::bounds::size)
                    .sum::<usize>();
            rates.spend(
                occupancy,
                now_ms,
                &[(Kind::Message, 1.0), (Kind::Bytes, bytes as f64)],
                &service,
            )?;
            // The room as a whole: only messages that would be relayed count.
            let bucket = buckets
                .rooms
                .entry(room_key)
                .or_insert_with(|| Bucket::full(room_rate.capacity, now_ms));
            if bucket.level(now_ms, room_rate.capacity, room_rate.per_ms) < 1.0 {
                return Err(too_fast(
                    &service,
                    "The room is too busy right now; your message was not delivered. Try again \
                     in a moment.",
                ));
            }
            bucket.take(now_ms, room_rate.capacity, room_rate.per_ms, 1.0);
            Ok(())
        }
        Stanza::Iq(_) => Ok(()),
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Message,
    Bytes,
    Presence,
    Nick,
    Invitation,
}

/// An occupant's rates in one room.
struct OccupantRates {
    messages: Rate,
    bytes: Rate,
    presences: Rate,
    nicks: Rate,
    invitations: Rate,
    per_minute: u32,
}

impl OccupantRates {
    fn new(limits: &Allowances, per_minute: u32) -> OccupantRates {
        OccupantRates {
            messages: Rate::per_minute(limits.message_burst, per_minute),
            bytes: Rate::per_second(limits.bytes_burst, limits.bytes_per_second),
            presences: Rate::per_minute(limits.presence_burst, limits.presences_per_minute),
            nicks: Rate::per_hour(limits.nick_change_burst, limits.nick_changes_per_hour),
            invitations: Rate::per_minute(limits.invitation_burst, limits.invitations_per_minute),
            per_minute,
        }
    }

    fn fresh(&self, now_ms: i64) -> Occupancy {
        Occupancy {
            presences: Bucket::full(self.presences.capacity, now_ms),
            others: None,
            full_at_ms: now_ms,
        }
    }

    fn slot<'a>(&self, o: &'a mut Occupancy, kind: Kind, now_ms: i64) -> (&'a mut Bucket, Rate) {
        let (index, rate) = match kind {
            Kind::Presence => return (&mut o.presences, self.presences),
            Kind::Message => (0, self.messages),
            Kind::Bytes => (1, self.bytes),
            Kind::Nick => (2, self.nicks),
            Kind::Invitation => (3, self.invitations),
        };
        let others = o.others.get_or_insert_with(|| {
            Box::new(
                [self.messages, self.bytes, self.nicks, self.invitations]
                    .map(|r| Bucket::full(r.capacity, now_ms)),
            )
        });
        (&mut others[index], rate)
    }

    /// Takes every cost, or none of them and says which allowance is exhausted.
    fn spend(
        &self,
        o: &mut Occupancy,
        now_ms: i64,
        wants: &[(Kind, f64)],
        service: &Service,
    ) -> Result<(), Box<StanzaError>> {
        for &(kind, cost) in wants {
            let (bucket, rate) = self.slot(o, kind, now_ms);
            // A single message larger than the byte burst could never pass: it may empty it.
            let needed = match kind {
                Kind::Bytes => cost.min(rate.capacity),
                _ => cost,
            };
            if bucket.level(now_ms, rate.capacity, rate.per_ms) < needed {
                let text = match kind {
                    Kind::Message => format!(
                        "You are sending messages too fast for this room (at most {} a minute); \
                         this one was not delivered.",
                        self.per_minute
                    ),
                    Kind::Bytes => "You are sending too much text too fast; this message was \
                                    not delivered."
                        .to_owned(),
                    Kind::Presence => {
                        "You are changing your presence too often; this one was not taken."
                            .to_owned()
                    }
                    Kind::Nick => {
                        "You are changing your nickname too often; wait a while.".to_owned()
                    }
                    Kind::Invitation => {
                        "You are sending too many invitations; wait a minute.".to_owned()
                    }
                };
                return Err(too_fast(service, &text));
            }
        }
        for &(kind, cost) in wants {
            let (bucket, rate) = self.slot(o, kind, now_ms);
            bucket.take(now_ms, rate.capacity, rate.per_ms, cost);
            let full = bucket.full_at(rate.capacity, rate.per_ms);
            o.full_at_ms = o.full_at_ms.max(full);
        }
        Ok(())
    }
}

/// §10.1.1: a user who may not create rooms gets not-allowed; one who owns as many rooms as
/// allowed gets resource-constraint.
fn refuse_room_creation(
    mut requests: ResMut<JoinRequests>,
    rooms: Rooms,
    limits: Res<Limits>,
    service: Res<Service>,
) {
    let limits = limits.0;
    for req in requests
        .0
        .iter_mut()
        .filter(|r| r.is_open() && r.room.is_none())
    {
        let user = req.from.to_bare();
        if service.is_admin(&user) {
            continue;
        }
        let allowed = match limits.room_creation {
            RoomCreation::Anyone => true,
            RoomCreation::Admins => false,
            RoomCreation::Local => is_local(&user, &service.settings.domain),
        };
        if !allowed {
            req.refuse(errors::not_allowed(
                &service.jid,
                Some("You may not create rooms on this service"),
            ));
            continue;
        }
        let owned = rooms
            .rooms
            .iter()
            .filter(|(.., affiliations)| affiliations.of(&user) == Affiliation::Owner)
            .count();
        if owned >= limits.max_rooms_per_user {
            req.refuse(errors::resource_constraint(
                &service.jid,
                Some(&format!(
                    "You already own {owned} rooms, the most this service allows; destroy one \
                     first"
                )),
            ));
        }
    }
}

/// Whether `user` belongs to the server this service is a component of.
fn is_local(user: &BareJid, service: &BareJid) -> bool {
    let host = user.domain().as_str();
    let service = service.domain().as_str();
    let parent = service.split_once('.').map_or(service, |(_, p)| p);
    host == parent || host.ends_with(&format!(".{parent}")) || host == service
}

#[cfg(test)]
#[path = "tests/limits.rs"]
mod tests;
