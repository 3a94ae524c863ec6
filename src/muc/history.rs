//! Discussion history (§7.2.13, §7.2.14): the room keeps its last messages and sends them, with
//! XEP-0203 delay stamps, to each new occupant as far as its history wishes allow.

use std::collections::VecDeque;

use bevy_ecs::prelude::*;
use chrono::{DateTime, Utc};
use xmpp_parsers::date::DateTime as XmppDateTime;
use xmpp_parsers::delay::Delay;
use xmpp_parsers::jid::Jid;
use xmpp_parsers::message::Message;
use xmpp_parsers::minidom::Element;

use super::at_rest::{AtRest, Empty};
use super::config::{RoomConfig, SharedConfig};
use super::join::{JoinSteps, Joined};
use super::player::{GameRunning, Player, spectators_separated};
use super::room::Room;
use crate::engine::{EngineBuilder, Feature, Now, Outbox};

/// One message as the room reflected it (from `room/nick`, no `to`), and when.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub message: Message,
    pub at: DateTime<Utc>,
    /// The stanza as sent (its length counts for `maxchars`; the store keeps this text).
    pub xml: String,
    /// Sent by a non-player while a game ran: players do not get it (palaver's game rooms).
    pub spectator: bool,
    /// The message's number in the room since it was created (the store keys on it).
    pub seq: u64,
}

/// The room's recent messages, oldest first, and the number the next one gets.
#[derive(Debug, Clone, Default)]
pub struct HistoryLog(pub VecDeque<HistoryEntry>, pub u64, pub HistoryEdits);

/// Entries replaced in place (tombstones) since the store last looked, by `seq`.
#[derive(Debug, Clone, Default)]
pub struct HistoryEdits(pub Vec<u64>);

/// A room's [`HistoryLog`], allocated at the room's first message.
pub type History = AtRest<HistoryLog>;

static NO_HISTORY: HistoryLog = HistoryLog(VecDeque::new(), 0, HistoryEdits(Vec::new()));

impl Empty for HistoryLog {
    fn empty() -> &'static Self {
        &NO_HISTORY
    }
}

impl HistoryLog {
    /// Keeps a reflected groupchat message, dropping the oldest past `limit`.
    pub fn record(&mut self, message: &Message, at: DateTime<Utc>, limit: u32, spectator: bool) {
        if limit == 0 {
            self.0.clear();
            return;
        }
        let mut message = message.clone();
        message.to = None;
        let xml = String::from(&Element::from(message.clone()));
        self.push(message, at, xml, spectator);
        while self.0.len() > limit as usize {
            self.0.pop_front();
        }
    }

    /// Replaces the message with stanza-id `id` (by `room`) with `tombstone` (XEP-0424,
    /// XEP-0425); whether there was one.
    pub fn replace(
        &mut self,
        room: &xmpp_parsers::jid::BareJid,
        id: &str,
        tombstone: &Message,
    ) -> bool {
        let Some(entry) = self
            .0
            .iter_mut()
            .find(|e| super::archive::stanza_id_of(&e.message, room).as_deref() == Some(id))
        else {
            return false;
        };
        let mut message = tombstone.clone();
        message.to = None;
        entry.xml = String::from(&Element::from(message.clone()));
        entry.message = message;
        self.2.0.push(entry.seq);
        true
    }

    /// Adds an entry as it was kept (a restored history goes through here too).
    pub fn push(&mut self, message: Message, at: DateTime<Utc>, xml: String, spectator: bool) {
        let seq = self.1;
        self.1 += 1;
        self.0.push_back(HistoryEntry {
            message,
            at,
            xml,
            spectator,
            seq,
        });
    }
}

pub struct HistoryPlugin;

impl Feature for HistoryPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.register_required_components::<Room, History>();
        engine.add_systems(send_history.in_set(JoinSteps::History));
    }
}

fn send_history(
    mut joined: MessageReader<Joined>,
    rooms: Query<(&Room, &SharedConfig, &History, Has<GameRunning>)>,
    players: Query<(), With<Player>>,
    now: Res<Now>,
    mut out: ResMut<Outbox>,
) {
    for j in joined.read() {
        let Ok((room, config, history, running)) = rooms.get(j.room) else {
            continue;
        };
        let hide_spectators = spectators_separated(config, running) && players.contains(j.occupant);
        let wishes = j.muc.history.clone().unwrap_or_default();
        let room_jid = Jid::from(room.jid.clone());
        for entry in select(history, config, &wishes, now.0, hide_spectators) {
            let mut m = entry.message.clone();
            m.to = Some(j.to.clone().into());
            m.payloads.push(
                Delay {
                    from: Some(room_jid.clone()),
                    stamp: XmppDateTime(entry.at.fixed_offset()),
                    data: None,
                }
                .into(),
            );
            out.send(m);
        }
    }
}

/// What a joiner who states no history wishes gets at most.
pub const DEFAULT_STANZAS: usize = 20;
pub const DEFAULT_CHARS: u32 = 64 * 1024;

/// The entries to send, oldest first: the newest ones that satisfy every limit the joiner set
/// (§7.2.14), never more than the room keeps.
fn select<'h>(
    history: &'h History,
    config: &RoomConfig,
    wishes: &xmpp_parsers::muc::muc::History,
    now: DateTime<Utc>,
    hide_spectators: bool,
) -> Vec<&'h HistoryEntry> {
    let mut max_stanzas = config.history_length as usize;
    if let Some(n) = wishes.maxstanzas {
        max_stanzas = max_stanzas.min(n as usize);
    }
    // A join that asks for no particular history gets a bounded default (as Prosody's 20):
    // every joiner of a busy room would otherwise be sent its whole history.
    let asked = wishes.maxstanzas.is_some()
        || wishes.maxchars.is_some()
        || wishes.seconds.is_some()
        || wishes.since.is_some();
    let mut wishes = wishes.clone();
    if !asked {
        max_stanzas = max_stanzas.min(DEFAULT_STANZAS);
        wishes.maxchars = Some(DEFAULT_CHARS);
    }
    let wishes = &wishes;
    let oldest = wishes
        .seconds
        .map(|s| now - chrono::Duration::seconds(i64::from(s)));
    let since = wishes.since.as_ref().map(|d| d.0.with_timezone(&Utc));
    let mut chars_left = wishes.maxchars.map(|c| c as usize);
    let mut picked = Vec::new();
    for entry in history
        .0
        .iter()
        .rev()
        .filter(|e| !(hide_spectators && e.spectator))
    {
        if picked.len() >= max_stanzas {
            break;
        }
        if oldest.is_some_and(|o| entry.at < o) || since.is_some_and(|s| entry.at <= s) {
            break;
        }
        if let Some(left) = chars_left.as_mut() {
            if entry.xml.len() > *left {
                break;
            }
            *left -= entry.xml.len();
        }
        picked.push(entry);
    }
    picked.reverse();
    picked
}
