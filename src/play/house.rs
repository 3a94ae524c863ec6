//! The occupants the service plays itself in a game room: the game's table, whose nick private
//! answers come from and secret moves go to, and the computer in each seat it holds. They are
//! occupants like any other — a nick, a presence (the computer's with its seat's hat), a place in
//! the occupant list — but their real JIDs are on [`HOUSE_DOMAIN`], where nothing is delivered.
//!
//! Why a nick and not the room's own JID: a private answer must look private in ordinary clients.
//! A `type='chat'` message from an occupant JID with an empty `muc#user` element is a MUC private
//! message in Conversations (shown in the room's conversation, marked private), Gajim (nbxmpp
//! counts only full JIDs as private messages; it opens a private chat with the nick), Dino (a
//! private conversation with `room/nick`) and Profanity (a private window for `room/nick`); from
//! the room's bare JID, Gajim opens a chat with the room as if it were a contact and Profanity
//! has no nick to name the window by; a `groupchat` message sent to one user shows in the room as
//! if everyone had seen it. And a nick can be answered: every client offers a private message to
//! an occupant, which is how players send secret choices.

use std::collections::HashMap;

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::FullJid;
use xmpp_parsers::muc::user::{Affiliation, Role};
use xmpp_parsers::presence::{Presence, Type as PresenceType};

use super::course::Ctx;
use super::table::Table;
use crate::muc::player::{HOUSE_DOMAIN, Player};
use crate::muc::room::{OccupantInfo, Rooms, occupant_jid};

/// An occupant the service plays itself.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub enum House {
    /// The game's table, for the game of that id.
    Table { game: String },
    /// The computer in a seat.
    Computer,
}

/// The real JID of a house occupant: on the house domain, unique per nick.
fn house_jid(kind: &str, nick: &str) -> Option<FullJid> {
    format!("{kind}@{HOUSE_DOMAIN}/{nick}").parse().ok()
}

/// `base`, or `base (2)`, `base (3)`… — the first no occupant holds.
pub fn free_nick(rooms: &Rooms, room: Entity, base: &str) -> String {
    let taken = |n: &str| rooms.occupant_by_nick(room, n).is_some();
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|i| format!("{base} ({i})"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_owned())
}

/// The nick of a room's game table (kept on the room; the occupant is the truth).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct TableNick(pub String);

/// Every house occupant by room, with its role.
fn house_by_room(ctx: &Ctx) -> HashMap<Entity, Vec<(OccupantInfo, House)>> {
    let mut by_room: HashMap<Entity, Vec<(OccupantInfo, House)>> = HashMap::new();
    for (entity, house, in_room) in &ctx.house {
        if let Some(o) = ctx.rooms.occupant(entity) {
            by_room
                .entry(in_room.0)
                .or_default()
                .push((o, house.clone()));
        }
    }
    by_room
}

/// The nick of the room's game table, if it has one.
pub fn table_nick(ctx: &Ctx, room: Entity) -> Option<String> {
    let nick = &ctx.table_nicks.get(room).ok()?.0;
    is_house_nick(ctx, room, nick).then(|| nick.clone())
}

/// Whether `nick` in `room` is played by the service.
pub fn is_house_nick(ctx: &Ctx, room: Entity, nick: &str) -> bool {
    ctx.rooms
        .occupant_by_nick(room, nick)
        .is_some_and(|o| ctx.house.contains(o.entity))
}

/// A house occupant enters: its presence goes to everyone in the room.
fn enter(ctx: &mut Ctx, room: Entity, nick: &str, house: House, player: Option<Player>) {
    let Some(room_jid) = ctx.rooms.jid(room).cloned() else {
        return;
    };
    let kind = match house {
        House::Table { .. } => "table",
        House::Computer => "computer",
    };
    let (Some(occupant), Some(real)) = (occupant_jid(&room_jid, nick), house_jid(kind, nick))
    else {
        return;
    };
    let mut presence = Presence::new(PresenceType::None);
    let status = match &house {
        House::Table { .. } => "The game's table: send it commands and secret moves privately.",
        House::Computer => "The computer, playing a seat.",
    };
    presence
        .statuses
        .insert(Default::default(), status.to_owned());
    let entity = ctx.rooms.add_occupant(
        room,
        occupant.clone(),
        real.clone(),
        Role::Participant,
        Affiliation::None,
        presence.clone(),
    );
    ctx.rooms.commands.entity(entity).insert(house);
    if let Some(p) = &player {
        ctx.rooms.commands.entity(entity).insert(p.clone());
    }
    let occupant_id = ctx.rooms.occupant_id(room, &real.to_bare());
    let info = OccupantInfo {
        entity,
        occupant_jid: occupant,
        nick: nick.to_owned(),
        jid: real.clone(),
        role: Role::Participant,
        affiliation: Affiliation::None,
        presence: presence.clone(),
        player,
        sessions: vec![crate::muc::room::Session {
            jid: real,
            presence,
        }],
        occupant_id,
    };
    // The new entity is not queryable yet, so it is not among the recipients.
    ctx.rooms
        .broadcast_presence(room, &info, &[], true, true, &mut ctx.out);
}

/// A house occupant leaves.
fn leave(ctx: &mut Ctx, room: Entity, who: &OccupantInfo) {
    ctx.rooms
        .broadcast_presence(room, who, &[], false, true, &mut ctx.out);
    ctx.rooms.remove_occupant(room, who);
}

/// Keeps the house occupants in step with the table: the table's occupant while the room has a
/// game, one computer occupant per seat the computer holds (with that seat's hat), none else.
pub fn reconcile(mut ctx: Ctx, rooms_with_tables: Query<Entity, With<Table>>) {
    let mut by_room = house_by_room(&ctx);
    let mut rooms: Vec<Entity> = rooms_with_tables.iter().collect();
    rooms.extend(by_room.keys().copied());
    rooms.sort_unstable();
    rooms.dedup();
    for room in rooms {
        let present = by_room.remove(&room).unwrap_or_default();
        // What the table asks for: its rules, and the computer's seats (no clone of the game).
        let table = ctx.tables.get(room).ok().map(|t| {
            let bots: Vec<(String, String)> = t
                .seats
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let s = s.as_ref().filter(|s| s.is_bot())?;
                    Some((s.nick.clone(), t.seat_name(i).to_owned()))
                })
                .collect();
            (t.rules.clone(), bots)
        });
        // The table's occupant.
        let want_game = table.as_ref().map(|(rules, _)| rules.id().to_owned());
        let mut has_table = false;
        for (o, house) in &present {
            if let House::Table { game } = house {
                if Some(game) == want_game.as_ref() && !has_table {
                    has_table = true;
                    if ctx.table_nicks.get(room).map(|n| &n.0) != Ok(&o.nick) {
                        ctx.rooms
                            .commands
                            .entity(room)
                            .insert(TableNick(o.nick.clone()));
                    }
                } else {
                    leave(&mut ctx, room, o);
                }
            }
        }
        if table.is_none() && ctx.table_nicks.contains(room) {
            ctx.rooms.commands.entity(room).remove::<TableNick>();
        }
        if let (Some((rules, _)), false) = (&table, has_table) {
            let nick = free_nick(&ctx.rooms, room, rules.name());
            ctx.rooms
                .commands
                .entity(room)
                .insert(TableNick(nick.clone()));
            enter(
                &mut ctx,
                room,
                &nick,
                House::Table {
                    game: rules.id().to_owned(),
                },
                None,
            );
        }
        // The computer's seats.
        let bots: Vec<(String, String)> = table.map(|(_, bots)| bots).unwrap_or_default();
        for (o, house) in &present {
            if *house != House::Computer {
                continue;
            }
            match bots.iter().find(|(nick, _)| *nick == o.nick) {
                None => leave(&mut ctx, room, o),
                Some((_, seat)) => {
                    let want = Some(Player {
                        seat: Some(seat.clone()),
                    });
                    if o.player != want {
                        // The computer moved seats (the game starts from the first ones).
                        let mut moved = o.clone();
                        moved.player = want.clone();
                        if let Some(p) = want {
                            ctx.rooms.commands.entity(o.entity).insert(p);
                        }
                        crate::muc::admin::announce(
                            &ctx.rooms,
                            room,
                            &moved,
                            &crate::muc::admin::Cause::default(),
                            &mut ctx.out,
                        );
                    }
                }
            }
        }
        for (nick, seat) in bots {
            if present
                .iter()
                .any(|(o, h)| *h == House::Computer && o.nick == nick)
            {
                continue;
            }
            if ctx.rooms.occupant_by_nick(room, &nick).is_some() {
                // A user took the nick meanwhile (a restored room): the seat stays, unseen.
                continue;
            }
            enter(
                &mut ctx,
                room,
                &nick,
                House::Computer,
                Some(Player { seat: Some(seat) }),
            );
        }
    }
}
