//! Between the World and the store: each tick, what changed in persistent rooms becomes
//! [`Change`]s in the [`StoreQueue`] (bevy's change detection tells what changed); at start,
//! stored rooms become entities again.

use bevy_ecs::prelude::*;
use chrono::{DateTime, Utc};
use tracing::warn;
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::message::Message;
use xmpp_parsers::minidom::Element;

use std::collections::HashMap;
use std::hash::BuildHasher;

use xmpp_parsers::muc::user::Role;

use super::{
    Change, StoredAffiliation, StoredArchived, StoredInvitation, StoredMessage, StoredOccupant,
    StoredRequest, StoredRoom, StoredSubject,
};
use crate::engine::{Engine, EngineBuilder, Feature, Now, Phase};
use crate::muc::archive::{Archive, ArchiveEntry};
use crate::muc::config::{RoomConfig, SharedConfig};
use crate::muc::destroy::RoomDestroyed;
use crate::muc::history::History;
use crate::muc::invite::PendingInvitations;
use crate::muc::liveness::{Restorable, StoredSession};
use crate::muc::lock::Locked;
use crate::muc::player::GameRunning;
use crate::muc::player::HOUSE_DOMAIN;
use crate::muc::register::{PendingRegistrations, Request};
use crate::muc::room::{AffiliationEntry, Affiliations, Room, RoomIndex, Roster};
use crate::muc::room::{InRoom, Nick, OccupantRole, RealJid, Sessions};
use crate::muc::subject::{Subject, SubjectInfo};
use crate::play::{GameCatalog, StoredTable, Table};
use crate::xmpp::muc_admin::AdminAffiliation;

/// This tick's changes, for the service to hand to the store task.
#[derive(Resource, Debug, Default)]
pub struct StoreQueue(pub Vec<Change>);

/// A room the store holds: how far its history is stored, whether a game is.
#[derive(Component, Debug, Clone, Copy)]
pub struct Persisted {
    next_seq: u64,
    next_archive_seq: u64,
    had_game: bool,
}

pub struct CapturePlugin;

impl Feature for CapturePlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<StoreQueue>();
        // After cleanup, so that rooms destroyed this tick are gone.
        engine.add_systems(
            (capture, capture_occupants)
                .chain()
                .in_set(Phase::Cleanup)
                .after(crate::muc::cleanup::CleanupSet),
        );
    }
}

type RoomState<'a> = (
    Entity,
    &'a Room,
    Ref<'a, SharedConfig>,
    Ref<'a, Affiliations>,
    Ref<'a, Subject>,
    Mut<'a, History>,
    Mut<'a, Archive>,
    Option<Ref<'a, Table>>,
    Option<Ref<'a, PendingRegistrations>>,
    Option<Ref<'a, PendingInvitations>>,
    Option<&'a mut Persisted>,
);

/// Rooms something changed in this tick: the others cost the capture nothing. (A table is only
/// ever removed with a configuration change, so its removal is seen too.)
type Dirty = Or<(
    Changed<SharedConfig>,
    Changed<Affiliations>,
    Changed<Subject>,
    Changed<History>,
    Changed<Archive>,
    Changed<Table>,
    Changed<PendingRegistrations>,
    Changed<PendingInvitations>,
)>;

fn capture(
    mut destroyed: MessageReader<RoomDestroyed>,
    mut rooms: Query<RoomState, Dirty>,
    locked: Query<(), With<Locked>>,
    mut queue: ResMut<StoreQueue>,
    mut commands: Commands,
) {
    for d in destroyed.read() {
        queue.0.push(Change::DeleteRoom {
            jid: d.jid.to_string(),
        });
    }
    for (
        entity,
        room,
        config,
        affs,
        subject,
        mut history,
        mut archive,
        table,
        requests,
        invitations,
        persisted,
    ) in &mut rooms
    {
        let jid = room.jid.to_string();
        let keep = config.persistent && !locked.contains(entity);
        match (keep, persisted) {
            (false, None) => {}
            (false, Some(_)) => {
                queue.0.push(Change::DeleteRoom { jid });
                commands.entity(entity).remove::<Persisted>();
            }
            (true, persisted) => {
                let first = persisted.is_none();
                let (next_seq, next_archive_seq, had_game) =
                    persisted.as_ref().map_or((0, 0, false), |p| {
                        (p.next_seq, p.next_archive_seq, p.had_game)
                    });
                if first || config.is_changed() {
                    queue.0.push(Change::PutRoom {
                        jid: jid.clone(),
                        config: ron::to_string(&**config).unwrap_or_default(),
                    });
                }
                if first || affs.is_changed() {
                    queue.0.push(Change::SetAffiliations {
                        room: jid.clone(),
                        list: stored_affiliations(&affs),
                    });
                }
                if first || subject.is_changed() {
                    queue.0.push(Change::SetSubject {
                        room: jid.clone(),
                        subject: (!subject.text.is_empty() || subject.by.is_some()).then(|| {
                            StoredSubject {
                                text: subject.text.clone(),
                                by: subject.by.as_ref().map(ToString::to_string),
                                occupant_id: subject.occupant_id.clone(),
                                stamp_ms: subject.at.map(|a| a.timestamp_millis()),
                            }
                        }),
                    });
                }
                if first || history.is_changed() {
                    let messages: Vec<StoredMessage> = history
                        .0
                        .iter()
                        .filter(|e| e.seq >= next_seq)
                        .map(|e| StoredMessage {
                            seq: e.seq as i64,
                            stamp_ms: e.at.timestamp_millis(),
                            spectator: e.spectator,
                            xml: e.xml.clone(),
                        })
                        .collect();
                    let keep_from = history.0.front().map_or(history.1, |e| e.seq) as i64;
                    queue.0.push(Change::AppendHistory {
                        room: jid.clone(),
                        messages,
                        keep_from,
                    });
                    // Entries made tombstones that were stored before (the new ones went above
                    // as they are now). Draining the list is no change to the history.
                    // (Only when there are any: taking from an empty history would allocate it.)
                    let edits = if history.2.0.is_empty() {
                        Vec::new()
                    } else {
                        std::mem::take(&mut history.bypass_change_detection().2.0)
                    };
                    for seq in edits.into_iter().filter(|s| *s < next_seq) {
                        if let Some(e) = history.0.iter().find(|e| e.seq == seq) {
                            queue.0.push(Change::ReplaceHistory {
                                room: jid.clone(),
                                seq: seq as i64,
                                xml: e.xml.clone(),
                            });
                        }
                    }
                }
                if first || archive.is_changed() {
                    capture_archive(&jid, &mut archive, next_archive_seq, &mut queue);
                }
                let game_changed = table.as_ref().is_some_and(|t| first || t.is_changed());
                if game_changed || (table.is_none() && had_game) {
                    queue.0.push(Change::SetGame {
                        room: jid.clone(),
                        game: table
                            .as_ref()
                            .and_then(|t| ron::to_string(&t.to_stored()).ok()),
                    });
                }
                if let Some(requests) = requests.filter(|r| first || r.is_changed()) {
                    queue.0.push(Change::SetRequests {
                        room: jid.clone(),
                        list: requests
                            .0
                            .iter()
                            .map(|(user, r)| StoredRequest {
                                jid: user.to_string(),
                                nick: r.nick.clone(),
                                form: r.stored_form(),
                            })
                            .collect(),
                    });
                }
                if let Some(invitations) = invitations.filter(|i| first || i.is_changed()) {
                    queue.0.push(Change::SetInvitations {
                        room: jid.clone(),
                        list: invitations
                            .entries()
                            .map(|(invitee, inviter)| StoredInvitation {
                                invitee: invitee.to_string(),
                                inviter: inviter.to_string(),
                            })
                            .collect(),
                    });
                }
                let now = Persisted {
                    next_seq: history.1,
                    next_archive_seq: archive.next_seq,
                    had_game: table.is_some(),
                };
                match persisted {
                    Some(mut p) => *p = now,
                    None => {
                        commands.entity(entity).insert(now);
                    }
                }
            }
        }
    }
}

/// The sessions of a persistent room as the store holds them: real JID → a digest of (nick,
/// role) under the map's own random key, enough to tell what changed (the store has the text;
/// keeping it here too would cost three strings per occupant).
#[derive(Component, Debug, Clone, Default)]
pub struct StoredSessions(HashMap<String, u64>);

impl StoredSessions {
    fn from_text<'a>(sessions: impl Iterator<Item = (String, (&'a str, &'a str))>) -> Self {
        let mut map = HashMap::new();
        for (jid, what) in sessions {
            let digest = map.hasher().hash_one(what);
            map.insert(jid, digest);
        }
        StoredSessions(map)
    }
}

fn role_name(role: &Role) -> &'static str {
    match role {
        Role::Moderator => "moderator",
        Role::Participant => "participant",
        Role::Visitor => "visitor",
        Role::None => "none",
    }
}

fn role_from(name: &str) -> Role {
    match name {
        "moderator" => Role::Moderator,
        "visitor" => Role::Visitor,
        _ => Role::Participant,
    }
}

/// Who is in each persistent room, as sessions: what a crash would otherwise lose silently
/// (see `muc::liveness`). Only rooms whose roster or occupants changed are compared with what the
/// store holds, and only the differences are written.
#[allow(clippy::type_complexity)]
fn capture_occupants(
    changed_rooms: Query<Entity, Or<(Changed<Roster>, Changed<SharedConfig>)>>,
    changed_occupants: Query<
        &InRoom,
        Or<(Changed<OccupantRole>, Changed<Sessions>, Changed<Nick>)>,
    >,
    mut rooms: Query<(
        &Room,
        &SharedConfig,
        &Roster,
        Has<Locked>,
        Option<&mut StoredSessions>,
    )>,
    occupants: Query<(&Nick, &OccupantRole, &RealJid, &Sessions)>,
    mut queue: ResMut<StoreQueue>,
    mut commands: Commands,
) {
    let mut dirty: Vec<Entity> = changed_rooms.iter().collect();
    dirty.extend(changed_occupants.iter().map(|r| r.0));
    dirty.sort();
    dirty.dedup();
    for entity in dirty {
        let Ok((room, config, roster, locked, stored)) = rooms.get_mut(entity) else {
            continue;
        };
        let jid = room.jid.to_string();
        let mut now: HashMap<String, (&str, &'static str)> = HashMap::new();
        if config.persistent && !locked {
            for occupant in &roster.order {
                let Ok((nick, role, real, sessions)) = occupants.get(*occupant) else {
                    continue;
                };
                // The room's own occupants (the game's table, the computer) come back with
                // the game, not from here.
                for jid in sessions
                    .jids(real)
                    .filter(|jid| !jid.domain().as_str().eq(HOUSE_DOMAIN))
                {
                    now.insert(jid.to_string(), (nick.name(), role_name(&role.0)));
                }
            }
        }
        let before = stored.as_ref().map(|s| &s.0);
        for (session, what) in &now {
            let stored = before.is_some_and(|b| b.get(session) == Some(&b.hasher().hash_one(what)));
            if !stored {
                queue.0.push(Change::PutOccupant {
                    room: jid.clone(),
                    occupant: StoredOccupant {
                        jid: session.clone(),
                        nick: what.0.to_owned(),
                        role: what.1.to_owned(),
                    },
                });
            }
        }
        for session in before.into_iter().flat_map(|b| b.keys()) {
            if !now.contains_key(session) {
                queue.0.push(Change::DeleteOccupant {
                    room: jid.clone(),
                    jid: session.clone(),
                });
            }
        }
        let now = StoredSessions::from_text(now.into_iter());
        match stored {
            Some(mut s) => *s = now,
            None if !now.0.is_empty() => {
                commands.entity(entity).insert(now);
            }
            None => {}
        }
    }
}

/// The archive's new entries, its forgotten ones, and the tombstones of stored ones.
fn capture_archive(
    jid: &str,
    archive: &mut Mut<Archive>,
    stored_up_to: u64,
    queue: &mut StoreQueue,
) {
    let entries: Vec<StoredArchived> = archive
        .entries
        .iter()
        .filter(|e| e.seq >= stored_up_to)
        .map(|e| StoredArchived {
            seq: e.seq as i64,
            id: e.id.clone(),
            stamp_ms: e.at.timestamp_millis(),
            publisher: e.publisher.to_string(),
            occupant_id: e.occupant_id.clone(),
            spectator: e.spectator,
            retracted: e.retracted,
            xml: String::from(&Element::from(e.message.clone())),
        })
        .collect();
    let keep_from = archive.entries.front().map_or(archive.next_seq, |e| e.seq) as i64;
    queue.0.push(Change::AppendArchive {
        room: jid.to_owned(),
        entries,
        keep_from,
    });
    let edits = if archive.edited.is_empty() {
        Vec::new()
    } else {
        std::mem::take(&mut archive.bypass_change_detection().edited)
    };
    for seq in edits.into_iter().filter(|s| *s < stored_up_to) {
        if let Some(e) = archive.entries.iter().find(|e| e.seq == seq) {
            queue.0.push(Change::RetractArchived {
                room: jid.to_owned(),
                seq: seq as i64,
                xml: String::from(&Element::from(e.message.clone())),
            });
        }
    }
}

fn stored_affiliations(affs: &Affiliations) -> Vec<StoredAffiliation> {
    affs.iter()
        .map(|(jid, e)| StoredAffiliation {
            jid: jid.to_string(),
            affiliation: e.affiliation.as_str().to_owned(),
            nick: e.nick.clone(),
            reason: e.reason.clone(),
        })
        .collect()
}

/// Puts stored rooms back into the World (before the component connects). A room whose record
/// cannot be read is skipped with a warning; the others load.
pub fn restore(engine: &mut Engine, stored: Vec<StoredRoom>, now: DateTime<Utc>) -> usize {
    let world = engine.world_mut();
    let catalog = world.resource::<GameCatalog>().clone();
    let mut loaded = 0;
    for s in stored {
        let Ok(jid) = s.jid.parse::<BareJid>() else {
            warn!(room = %s.jid, "stored room with an invalid JID skipped");
            continue;
        };
        let config: RoomConfig = match ron::from_str(&s.config) {
            Ok(c) => c,
            Err(e) => {
                warn!(room = %s.jid, "stored configuration unreadable, room skipped: {e}");
                continue;
            }
        };
        let mut affiliations = Affiliations::default();
        for a in &s.affiliations {
            let (Ok(user), Ok(affiliation)) = (
                a.jid.parse::<BareJid>(),
                a.affiliation.parse::<AdminAffiliation>(),
            ) else {
                warn!(room = %s.jid, user = %a.jid, "stored affiliation unreadable, skipped");
                continue;
            };
            affiliations.insert(
                user,
                AffiliationEntry {
                    affiliation,
                    nick: a.nick.clone(),
                    reason: a.reason.clone(),
                },
            );
        }
        let subject = Subject::from(SubjectInfo {
            text: s
                .subject
                .as_ref()
                .map(|x| x.text.clone())
                .unwrap_or_default(),
            by: s
                .subject
                .as_ref()
                .and_then(|x| x.by.as_ref())
                .and_then(|b| b.parse::<FullJid>().ok()),
            occupant_id: s.subject.as_ref().and_then(|x| x.occupant_id.clone()),
            at: s
                .subject
                .as_ref()
                .and_then(|x| x.stamp_ms)
                .and_then(DateTime::<Utc>::from_timestamp_millis),
        });
        let mut history = History::default();
        for m in &s.history {
            let Ok(el) = m.xml.parse::<Element>() else {
                continue;
            };
            let Ok(message) = Message::try_from(el) else {
                continue;
            };
            let at = DateTime::<Utc>::from_timestamp_millis(m.stamp_ms).unwrap_or(now);
            history.1 = m.seq.max(0) as u64;
            history.push(message, at, m.xml.clone(), m.spectator);
        }
        if let Some(last) = s.history.last() {
            history.1 = last.seq.max(0) as u64 + 1;
        }
        let next_seq = history.1;
        let mut archive = Archive::default();
        for a in &s.archive {
            let read = (
                a.xml
                    .parse::<Element>()
                    .ok()
                    .and_then(|e| Message::try_from(e).ok()),
                a.publisher.parse::<BareJid>(),
            );
            let (Some(message), Ok(publisher)) = read else {
                warn!(room = %s.jid, seq = a.seq, "stored archived message unreadable, skipped");
                continue;
            };
            archive.entries.push_back(ArchiveEntry {
                seq: a.seq.max(0) as u64,
                id: a.id.clone(),
                at: DateTime::<Utc>::from_timestamp_millis(a.stamp_ms).unwrap_or(now),
                publisher,
                occupant_id: a.occupant_id.clone(),
                spectator: a.spectator,
                retracted: a.retracted,
                message,
            });
        }
        if let Some(last) = s.archive.last() {
            archive.next_seq = last.seq.max(0) as u64 + 1;
        }
        let next_archive_seq = archive.next_seq;
        let table = s
            .game
            .as_deref()
            .and_then(|g| ron::from_str::<StoredTable>(g).ok())
            .and_then(|t| Table::from_stored(t, &catalog, now));
        let running = table.as_ref().is_some_and(Table::running);
        let had_game = table.is_some();
        let mut requests = PendingRegistrations::default();
        for r in &s.requests {
            match (
                r.jid.parse::<BareJid>(),
                Request::from_stored(r.nick.clone(), &r.form),
            ) {
                (Ok(user), Some(request)) => {
                    requests.0.insert(user, request);
                }
                _ => {
                    warn!(room = %s.jid, user = %r.jid, "stored registration request unreadable, skipped")
                }
            }
        }
        let invitations = PendingInvitations::from_entries(s.invitations.iter().filter_map(|i| {
            let read = (i.invitee.parse::<BareJid>(), i.inviter.parse::<Jid>());
            match read {
                (Ok(invitee), Ok(inviter)) => Some((invitee, inviter)),
                _ => {
                    warn!(room = %s.jid, "stored invitation unreadable, skipped");
                    None
                }
            }
        }));
        // Who was in the room: asked whether they are still there once the link is up.
        let mut sessions = Vec::new();
        for o in &s.occupants {
            let Ok(session) = o.jid.parse::<FullJid>() else {
                warn!(room = %s.jid, session = %o.jid, "stored occupant unreadable, skipped");
                continue;
            };
            sessions.push((o.jid.clone(), (o.nick.as_str(), o.role.as_str())));
            world.resource_mut::<Restorable>().0.push(StoredSession {
                room: jid.clone(),
                jid: session,
                nick: o.nick.clone(),
                role: role_from(&o.role),
            });
        }
        let mut entity = world.spawn((
            Room { jid: jid.clone() },
            StoredSessions::from_text(sessions.into_iter()),
            SharedConfig::from(config),
            Roster::default(),
            affiliations,
            subject,
            history,
            Persisted {
                next_seq,
                next_archive_seq,
                had_game,
            },
            archive,
            requests,
            invitations,
        ));
        if let Some(table) = table {
            entity.insert(table);
        }
        if running {
            entity.insert(GameRunning);
        }
        let id = entity.id();
        world.resource_mut::<RoomIndex>().0.insert(jid, id);
        loaded += 1;
    }
    world.insert_resource(Now(now));
    loaded
}
