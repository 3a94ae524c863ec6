//! A room's table: the game it hosts, who sits where, the match in progress, its clock and the
//! computer's moves. Everything the room says about the game goes out from here.

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use chrono::{DateTime, Duration, Utc};
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::Role;

use super::{BOT_DELAY_MS, GameCatalog, SEAT_GRACE_SECS};
use crate::engine::{Now, Outbox, Service, Wakeup};
use crate::game::bot::{self, Budget};
use crate::game::{Match, Outcome, Rules};
use crate::muc::admin::{Cause, announce};
use crate::muc::owner::ConfigChanged;
use crate::muc::player::{GameRunning, Player};
use crate::muc::room::{OccupantInfo, Room, Rooms};
use crate::muc::subject::{Subject, subject_message};

/// Someone in a seat: a user (by bare JID, so that a rejoin keeps the seat) or the computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sitter {
    pub jid: Option<BareJid>,
    pub nick: String,
    pub away_since: Option<DateTime<Utc>>,
}

impl Sitter {
    pub fn is_bot(&self) -> bool {
        self.jid.is_none()
    }
}

/// The room's game.
#[derive(Component, Debug, Clone)]
pub struct Table {
    pub rules: Arc<Rules>,
    pub seats: Vec<Option<Sitter>>,
    /// The current or last match.
    pub game: Option<Match>,
    pub deadline: Option<DateTime<Utc>>,
    pub bot_due: Option<DateTime<Utc>>,
    /// Games won per player name, and draws, since the table was set.
    pub wins: BTreeMap<String, u32>,
    pub draws: u32,
    pub played: u64,
}

impl Table {
    pub fn new(rules: Arc<Rules>) -> Table {
        let seats = vec![None; rules.max_players()];
        Table {
            rules,
            seats,
            game: None,
            deadline: None,
            bot_due: None,
            wins: BTreeMap::new(),
            draws: 0,
            played: 0,
        }
    }

    pub fn running(&self) -> bool {
        self.game.as_ref().is_some_and(|g| !g.is_over())
    }

    pub fn seat_name(&self, seat: usize) -> &str {
        self.rules.seats().get(seat).map_or("?", String::as_str)
    }

    /// `alice (X)`.
    pub fn label(&self, seat: usize) -> String {
        match self.seats.get(seat).and_then(Option::as_ref) {
            Some(s) => format!("{} ({})", s.nick, self.seat_name(seat)),
            None => self.seat_name(seat).to_owned(),
        }
    }

    /// For a turn starting `now`: the move clock's deadline, and when the computer moves if it
    /// is to.
    pub fn timers(&self, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let deadline = self
            .rules
            .clock()
            .map(|c| now + Duration::seconds(c.per_move_secs as i64));
        let bot_turn = self.game.as_ref().is_some_and(|g| {
            g.to_move().iter().any(|s| {
                self.seats
                    .get(*s)
                    .and_then(Option::as_ref)
                    .is_some_and(Sitter::is_bot)
            })
        });
        (
            deadline,
            bot_turn.then(|| now + Duration::milliseconds(BOT_DELAY_MS)),
        )
    }

    pub fn seat_of(&self, jid: &BareJid) -> Option<usize> {
        self.seats
            .iter()
            .position(|s| s.as_ref().and_then(|s| s.jid.as_ref()) == Some(jid))
    }

    pub fn seated(&self) -> usize {
        self.seats.iter().filter(|s| s.is_some()).count()
    }

    /// Who is to move, or how it ended, with nicks.
    pub fn status(&self) -> String {
        let Some(game) = &self.game else {
            let free: Vec<&str> = (0..self.seats.len())
                .filter(|s| self.seats[*s].is_none())
                .map(|s| self.seat_name(s))
                .collect();
            return format!(
                "{}: waiting for players ({} of {}–{} seated; free: {}).",
                self.rules.name(),
                self.seated(),
                self.rules.min_players(),
                self.rules.max_players(),
                if free.is_empty() {
                    "none".into()
                } else {
                    free.join(", ")
                }
            );
        };
        match game.outcome() {
            Some(Outcome::Win { seats, reason }) => {
                let names: Vec<String> = seats.iter().map(|s| self.label(*s)).collect();
                format!(
                    "{}: {} won ({reason}).",
                    self.rules.name(),
                    names.join(" and ")
                )
            }
            Some(Outcome::Draw { reason }) => format!("{}: draw ({reason}).", self.rules.name()),
            Some(Outcome::Nobody { reason }) => {
                format!("{}: nobody won ({reason}).", self.rules.name())
            }
            None => {
                let names: Vec<String> = game.to_move().iter().map(|s| self.label(*s)).collect();
                if self.rules.simultaneous() {
                    format!(
                        "{}: waiting for {} to choose.",
                        self.rules.name(),
                        names.join(", ")
                    )
                } else {
                    format!("{}: {} to move.", self.rules.name(), names.join(", "))
                }
            }
        }
    }
}

/// A table as the store keeps it (RON): the game by id, the seats by bare JID, the match.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredTable {
    pub game: String,
    /// `(bare JID, nick)`; no JID for the computer.
    pub seats: Vec<Option<(Option<String>, String)>>,
    pub state: Option<crate::game::play::State>,
    pub wins: BTreeMap<String, u32>,
    pub draws: u32,
    pub played: u64,
}

impl Table {
    pub fn to_stored(&self) -> StoredTable {
        StoredTable {
            game: self.rules.id().to_owned(),
            seats: self
                .seats
                .iter()
                .map(|s| {
                    s.as_ref()
                        .map(|s| (s.jid.as_ref().map(ToString::to_string), s.nick.clone()))
                })
                .collect(),
            state: self.game.as_ref().map(|g| g.state.clone()),
            wins: self.wins.clone(),
            draws: self.draws,
            played: self.played,
        }
    }

    /// Rebuilds a table; `None` when its game is no longer loaded. A running game's clock and
    /// the computer's next move start afresh from `now`.
    pub fn from_stored(
        stored: StoredTable,
        catalog: &GameCatalog,
        now: DateTime<Utc>,
    ) -> Option<Table> {
        let rules = catalog.find(&stored.game)?;
        let mut table = Table::new(rules.clone());
        for (slot, seat) in table.seats.iter_mut().zip(stored.seats) {
            *slot = seat.map(|(jid, nick)| Sitter {
                jid: jid.and_then(|j| j.parse().ok()),
                nick,
                away_since: None,
            });
        }
        table.game = stored
            .state
            .and_then(|state| Match::restore(rules.clone(), state));
        table.wins = stored.wins;
        table.draws = stored.draws;
        table.played = stored.played;
        if table.running() {
            (table.deadline, table.bot_due) = table.timers(now);
        }
        Some(table)
    }
}

/// What the game feature's systems touch.
#[derive(SystemParam)]
pub struct Ctx<'w, 's> {
    pub rooms: Rooms<'w, 's>,
    pub tables: Query<'w, 's, &'static mut Table>,
    pub subjects: Query<'w, 's, (&'static Room, &'static mut Subject)>,
    pub catalog: Res<'w, GameCatalog>,
    pub now: Res<'w, Now>,
    pub wakeup: ResMut<'w, Wakeup>,
    pub out: ResMut<'w, Outbox>,
    pub service: Res<'w, Service>,
}

impl Ctx<'_, '_> {
    /// A message from the room to every occupant.
    pub fn say_all(&mut self, room: Entity, body: &str) {
        let Some(room_jid) = self.rooms.jid(room).cloned() else {
            return;
        };
        let to: Vec<FullJid> = self.rooms.real_jids(room).cloned().collect();
        for jid in to {
            self.out.send(room_message(
                &room_jid,
                jid.into(),
                body,
                MessageType::Groupchat,
            ));
        }
    }

    /// A message from the room to one user only: in the room's window (groupchat) or, answering
    /// a private command, as a private message.
    pub fn say_to(&mut self, room: Entity, to: &Jid, body: &str, private: bool) {
        let Some(room_jid) = self.rooms.jid(room).cloned() else {
            return;
        };
        let kind = if private {
            MessageType::Chat
        } else {
            MessageType::Groupchat
        };
        self.out
            .send(room_message(&room_jid, to.clone(), body, kind));
    }

    /// The room's subject shows the game and whose turn it is.
    pub fn set_subject(&mut self, room: Entity, text: String) {
        let to: Vec<FullJid> = self.rooms.real_jids(room).cloned().collect();
        let Ok((room_info, mut subject)) = self.subjects.get_mut(room) else {
            return;
        };
        if subject.text == text {
            return;
        }
        subject.text = text;
        subject.by = None;
        let (room_info, subject) = (room_info.clone(), subject.clone());
        for jid in to {
            self.out
                .send(subject_message(&room_info, &subject, jid.into(), None));
        }
    }

    /// Gives the occupants of `jid` the seat (the player role), or takes it away (`None`), and
    /// tells the room through their presence.
    pub fn mark_player(&mut self, room: Entity, jid: &BareJid, seat: Option<String>) {
        let sessions: Vec<OccupantInfo> = self
            .rooms
            .occupants_of(room)
            .into_iter()
            .filter(|o| o.jid.to_bare() == *jid)
            .collect();
        for mut o in sessions {
            let want = seat.clone().map(|s| Player { seat: Some(s) });
            if o.player == want {
                continue;
            }
            match &want {
                Some(p) => {
                    self.rooms.commands.entity(o.entity).insert(p.clone());
                    if o.role == Role::Visitor {
                        o.role = Role::Participant;
                        if let Ok((_, _, mut r, ..)) = self.rooms.occupants.get_mut(o.entity) {
                            r.0 = Role::Participant;
                        }
                    }
                }
                None => {
                    self.rooms.commands.entity(o.entity).remove::<Player>();
                }
            }
            o.player = want;
            announce(&self.rooms, room, &o, &Cause::default(), &mut self.out);
        }
    }

    /// Announces the position after a move (or the start), updates the subject, the clock and
    /// the computer's next move, and ends the game when it is over.
    pub fn after_move(&mut self, room: Entity, header: &str) {
        let now = self.now.0;
        let Ok(table) = self.tables.get(room) else {
            return;
        };
        let table = table.clone();
        let Some(game) = &table.game else { return };
        let board = game.render(None);
        let status = table.status();
        let body = format!("{header}\n```\n{board}\n```\n{status}");
        self.say_all(room, &body);
        self.set_subject(room, status);
        if game.is_over() {
            self.finish(room);
            return;
        }
        let deadline = table
            .rules
            .clock()
            .map(|c| now + Duration::seconds(c.per_move_secs as i64));
        let bot_turn = game.to_move().iter().any(|s| {
            table
                .seats
                .get(*s)
                .and_then(Option::as_ref)
                .is_some_and(Sitter::is_bot)
        });
        let bot_due = bot_turn.then(|| now + Duration::milliseconds(BOT_DELAY_MS));
        if let Ok(mut t) = self.tables.get_mut(room) {
            t.deadline = deadline;
            t.bot_due = bot_due;
        }
        for at in [deadline, bot_due].into_iter().flatten() {
            self.wakeup.at(at);
        }
    }

    /// Scores the ended game and lets spectators talk to players again.
    fn finish(&mut self, room: Entity) {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return;
        };
        table.deadline = None;
        table.bot_due = None;
        table.played += 1;
        let outcome = table.game.as_ref().and_then(|g| g.outcome().cloned());
        match outcome {
            Some(Outcome::Win { seats, .. }) => {
                for s in seats {
                    if let Some(Some(sitter)) = table.seats.get(s).cloned() {
                        *table.wins.entry(sitter.nick).or_insert(0) += 1;
                    }
                }
            }
            Some(Outcome::Draw { .. }) => table.draws += 1,
            _ => {}
        }
        self.rooms.commands.entity(room).remove::<GameRunning>();
    }

    /// Starts a match with the seated players (moved to the first seats), seat 0 first.
    pub fn start(&mut self, room: Entity) -> Result<(), String> {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return Err("This room hosts no game: an owner can choose one with !game NAME.".into());
        };
        if table.running() {
            return Err("A game is already running.".into());
        }
        let n = table.seated();
        if n < table.rules.min_players() {
            return Err(format!(
                "{} needs at least {} players; {n} seated. Take a seat with !sit (or !sit bot).",
                table.rules.name(),
                table.rules.min_players()
            ));
        }
        let mut sitters: Vec<Sitter> = table.seats.iter().flatten().cloned().collect();
        if sitters.iter().any(|s| s.away_since.is_some()) {
            return Err("A seated player is away; wait for them or let them stand.".into());
        }
        let max = table.seats.len();
        table.seats = sitters.drain(..).map(Some).collect();
        table.seats.resize(max, None);
        let seed = self.now.0.timestamp_micros() as u64 ^ table.played.wrapping_mul(0x9E37_79B9);
        table.game = Some(Match::new(table.rules.clone(), n, seed));
        let names: Vec<(BareJid, String)> = (0..n)
            .filter_map(|s| {
                let sitter = table.seats[s].as_ref()?;
                Some((sitter.jid.clone()?, table.seat_name(s).to_owned()))
            })
            .collect();
        self.rooms.commands.entity(room).insert(GameRunning);
        for (jid, seat) in names {
            self.mark_player(room, &jid, Some(seat));
        }
        self.after_move(room, "The game begins.");
        Ok(())
    }

    /// Plays `text` for `seat` and announces it; the error is the reason for the player.
    pub fn play(&mut self, room: Entity, seat: usize, text: &str) -> Result<(), String> {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return Err("This room hosts no game.".into());
        };
        let label = table.label(seat);
        let simultaneous = table.rules.simultaneous();
        let Some(game) = table.game.as_mut().filter(|g| !g.is_over()) else {
            return Err("No game is running: !start begins one.".into());
        };
        let played = game.play(seat, text).map_err(|e| e.to_string())?;
        let mut header = if simultaneous {
            // A secret choice stays secret until the round is resolved.
            format!("{label} has chosen.")
        } else {
            format!("{label} plays {}.", played.text)
        };
        for event in &played.events {
            header.push('\n');
            header.push_str(event);
        }
        self.after_move(room, &header);
        Ok(())
    }
}

fn room_message(room: &BareJid, to: Jid, body: &str, kind: MessageType) -> Message {
    let mut m = Message::new(Some(to));
    m.type_ = kind;
    m.from = Some(room.clone().into());
    m.bodies.insert(Default::default(), body.to_owned());
    m
}

/// The room's configured game changed: set the table (unless a game is running).
pub fn configured_game(mut changes: MessageReader<ConfigChanged>, mut ctx: Ctx) {
    for change in changes.read() {
        if change.before.game == change.after.game {
            continue;
        }
        let room = change.room;
        let running = ctx.tables.get(room).is_ok_and(|t| t.running());
        if running {
            ctx.say_all(
                room,
                "The room's game will change when the current game is over; use !game then.",
            );
            continue;
        }
        set_table(&mut ctx, room, change.after.game.as_deref());
    }
}

/// Puts `game` on the room's table (or clears it), freeing the seats.
pub fn set_table(ctx: &mut Ctx, room: Entity, game: Option<&str>) {
    let old: Vec<BareJid> = ctx
        .tables
        .get(room)
        .map(|t| {
            t.seats
                .iter()
                .flatten()
                .filter_map(|s| s.jid.clone())
                .collect()
        })
        .unwrap_or_default();
    for jid in old {
        ctx.mark_player(room, &jid, None);
    }
    match game.and_then(|g| ctx.catalog.find(g)) {
        Some(rules) => {
            let name = rules.name().to_owned();
            let seats = rules.seats().join(", ");
            ctx.rooms.commands.entity(room).insert(Table::new(rules));
            if let Ok((_, mut config, ..)) = ctx.rooms.rooms.get_mut(room)
                && config.game.as_deref() != game
            {
                config.game = game.map(str::to_owned);
            }
            let prefix = ctx
                .rooms
                .config(room)
                .map_or("!".into(), |c| c.game_prefix.clone());
            ctx.say_all(
                room,
                &format!(
                    "This room now plays {name}. Seats: {seats}. Sit with {prefix}sit, then {prefix}start; {prefix}help lists the commands."
                ),
            );
            ctx.set_subject(room, format!("{name}: waiting for players."));
        }
        None => {
            ctx.rooms.commands.entity(room).remove::<Table>();
            ctx.rooms.commands.entity(room).remove::<GameRunning>();
        }
    }
}

/// Keeps seats and occupants in step: players who left keep their seat for a grace period
/// (the rules' forfeit applies after it); players who come back get their seat's role again.
pub fn sync_seats(mut ctx: Ctx, rooms_with_tables: Query<Entity, With<Table>>) {
    let now = ctx.now.0;
    for room in &rooms_with_tables {
        let Ok(table) = ctx.tables.get(room) else {
            continue;
        };
        let table = table.clone();
        for (seat, sitter) in table.seats.iter().enumerate() {
            let Some(sitter) = sitter else { continue };
            let Some(jid) = &sitter.jid else { continue };
            let present = ctx
                .rooms
                .occupants_of(room)
                .into_iter()
                .find(|o| o.jid.to_bare() == *jid);
            match (present, sitter.away_since) {
                (Some(o), away) => {
                    if o.nick != sitter.nick
                        && let Ok(mut t) = ctx.tables.get_mut(room)
                        && let Some(Some(s)) = t.seats.get_mut(seat)
                    {
                        // Announcements follow a player's nick changes.
                        s.nick = o.nick.clone();
                    }
                    if away.is_some() {
                        if let Ok(mut t) = ctx.tables.get_mut(room)
                            && let Some(Some(s)) = t.seats.get_mut(seat)
                        {
                            s.away_since = None;
                            s.nick = o.nick.clone();
                        }
                        if table.running() {
                            ctx.say_all(room, &format!("{} is back.", table.label(seat)));
                        }
                    }
                    let want = Some(table.seat_name(seat).to_owned());
                    if o.player.as_ref().and_then(|p| p.seat.clone()) != want
                        && (want.is_some() || o.player.is_some())
                    {
                        ctx.mark_player(room, jid, want);
                    }
                }
                (None, None) => {
                    if let Ok(mut t) = ctx.tables.get_mut(room)
                        && let Some(Some(s)) = t.seats.get_mut(seat)
                    {
                        s.away_since = Some(now);
                    }
                    if table.running() {
                        ctx.say_all(
                            room,
                            &format!(
                                "{} left; the seat is kept for {SEAT_GRACE_SECS} s.",
                                table.label(seat)
                            ),
                        );
                    }
                    ctx.wakeup.at(now + Duration::seconds(SEAT_GRACE_SECS));
                }
                (None, Some(since)) => {
                    let until = since + Duration::seconds(SEAT_GRACE_SECS);
                    if now < until {
                        ctx.wakeup.at(until);
                        continue;
                    }
                    if table.running() {
                        let label = table.label(seat);
                        if let Ok(mut t) = ctx.tables.get_mut(room)
                            && let Some(g) = t.game.as_mut()
                        {
                            g.resign(seat);
                        }
                        ctx.after_move(room, &format!("{label} did not come back and forfeits."));
                    } else if let Ok(mut t) = ctx.tables.get_mut(room)
                        && let Some(slot) = t.seats.get_mut(seat)
                    {
                        *slot = None;
                    }
                }
            }
        }
    }
}

/// Move clocks and the computer's moves.
pub fn clocks_and_bots(mut ctx: Ctx, rooms_with_tables: Query<Entity, With<Table>>) {
    let now = ctx.now.0;
    for room in &rooms_with_tables {
        let Ok(table) = ctx.tables.get(room) else {
            continue;
        };
        let (deadline, bot_due) = (table.deadline, table.bot_due);
        if let Some(due) = bot_due {
            if due <= now {
                bot_moves(&mut ctx, room);
                continue;
            }
            ctx.wakeup.at(due);
        }
        if let Some(deadline) = deadline {
            if deadline <= now {
                timeout(&mut ctx, room);
            } else {
                ctx.wakeup.at(deadline);
            }
        }
    }
}

fn timeout(ctx: &mut Ctx, room: Entity) {
    let Ok(mut table) = ctx.tables.get_mut(room) else {
        return;
    };
    let late: Vec<usize> = table.game.as_ref().map_or(Vec::new(), |g| g.to_move());
    let labels: Vec<String> = late.iter().map(|s| table.label(*s)).collect();
    let mut effects = Vec::new();
    if let Some(game) = table.game.as_mut() {
        for seat in &late {
            if game.is_over() {
                break;
            }
            effects.push(game.timeout(*seat));
        }
    }
    let skipped = effects
        .iter()
        .all(|e| *e == crate::game::play::TimeoutEffect::Skipped);
    let what = if skipped { "is skipped" } else { "forfeits" };
    ctx.after_move(
        room,
        &format!("Time is up: {} {what}.", labels.join(" and ")),
    );
}

/// The computer plays for every bot seat to move (a few milliseconds of search each).
fn bot_moves(ctx: &mut Ctx, room: Entity) {
    let Ok(table) = ctx.tables.get(room) else {
        return;
    };
    let Some(game) = table.game.clone() else {
        return;
    };
    let bots: Vec<usize> = game
        .to_move()
        .into_iter()
        .filter(|s| {
            table
                .seats
                .get(*s)
                .and_then(Option::as_ref)
                .is_some_and(Sitter::is_bot)
        })
        .collect();
    let budget = Budget {
        iterations: 2_000,
        max_time: std::time::Duration::from_millis(25),
    };
    let seed = ctx.now.0.timestamp_micros() as u64;
    if let Ok(mut t) = ctx.tables.get_mut(room) {
        t.bot_due = None;
    }
    for seat in bots {
        let current = ctx.tables.get(room).ok().and_then(|t| t.game.clone());
        let Some(current) = current.filter(|g| !g.is_over()) else {
            return;
        };
        if let Some(mv) = bot::choose(&current, seat, budget, seed ^ seat as u64)
            && let Err(e) = ctx.play(room, seat, &mv)
        {
            tracing::warn!("the computer's move {mv} was refused: {e}");
        }
    }
}
