//! A room's table: the game it hosts, who sits where, the game in progress (or the last one) and
//! who played it. Everything the room says about the game goes out from here.

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use chrono::{DateTime, Duration, Utc};
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::Role;

use super::text::{name_seats, plural};
use super::{BOT_DELAY_MS, GameCatalog};
use crate::engine::{Now, Outbox, Service, Wakeup};
use crate::game::{Match, Outcome, Rules};
use crate::muc::admin::{Cause, announce};
use crate::muc::player::{GameRunning, Player};
use crate::muc::room::{OccupantInfo, Rooms};
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

/// A game that began: the match and who played each of its seats (kept after it ends, for the
/// result, the record and a rematch, while the seats themselves are free again).
#[derive(Debug, Clone)]
pub struct Game {
    pub play: Match,
    pub players: Vec<Sitter>,
}

impl Game {
    pub fn running(&self) -> bool {
        !self.play.is_over()
    }

    /// `alice (X)`.
    pub fn label(&self, seat: usize) -> String {
        match self.players.get(seat) {
            Some(s) => format!("{} ({})", s.nick, self.play.seat_name(seat)),
            None => self.play.seat_name(seat).to_owned(),
        }
    }

    pub fn seat_of(&self, jid: &BareJid) -> Option<usize> {
        self.players
            .iter()
            .position(|s| s.jid.as_ref() == Some(jid))
    }

    /// The nicks of the players, by seat, for naming them in the engine's sentences.
    pub fn nicks(&self) -> Vec<(String, String)> {
        self.players
            .iter()
            .enumerate()
            .map(|(i, s)| (self.play.seat_name(i).to_owned(), s.nick.clone()))
            .collect()
    }

    /// Names the players in the reason of a result the engine just gave ("X cannot move").
    pub fn name_outcome(&mut self) {
        let nicks = self.nicks();
        if let Some(
            Outcome::Win { reason, .. } | Outcome::Draw { reason } | Outcome::Nobody { reason },
        ) = self.play.state.outcome.as_mut()
        {
            *reason = name_seats(reason, &nicks);
        }
    }
}

/// The room's game.
#[derive(Component, Debug, Clone)]
pub struct Table {
    pub rules: Arc<Rules>,
    pub seats: Vec<Option<Sitter>>,
    /// The current or last game.
    pub game: Option<Game>,
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
        self.game.as_ref().is_some_and(Game::running)
    }

    /// The running game, if any.
    pub fn live(&self) -> Option<&Game> {
        self.game.as_ref().filter(|g| g.running())
    }

    pub fn live_mut(&mut self) -> Option<&mut Game> {
        self.game.as_mut().filter(|g| g.running())
    }

    pub fn seat_name(&self, seat: usize) -> &str {
        self.rules.seats().get(seat).map_or("?", String::as_str)
    }

    /// `alice (X)`: the player of the running or last game in that seat, else who sits there.
    pub fn label(&self, seat: usize) -> String {
        if let Some(game) = &self.game {
            return game.label(seat);
        }
        match self.seats.get(seat).and_then(Option::as_ref) {
            Some(s) => format!("{} ({})", s.nick, self.seat_name(seat)),
            None => self.seat_name(seat).to_owned(),
        }
    }

    /// For a turn starting `now`: the move clock's deadline, and when the computer moves if it
    /// is to.
    pub fn timers(&self, now: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let Some(game) = self.live() else {
            return (None, None);
        };
        let deadline = self
            .rules
            .clock()
            .map(|c| now + Duration::seconds(c.per_move_secs as i64));
        let bot_turn = game
            .play
            .to_move()
            .iter()
            .any(|s| game.players.get(*s).is_some_and(Sitter::is_bot));
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

    /// Who is to move, or how the last game ended, or who is seated, with nicks.
    pub fn status(&self) -> String {
        let name = self.rules.name();
        let Some(game) = &self.game else {
            return self.waiting();
        };
        let labels = |seats: &[usize]| -> String {
            let names: Vec<String> = seats.iter().map(|s| game.label(*s)).collect();
            names.join(" and ")
        };
        match game.play.outcome() {
            Some(Outcome::Win { seats, reason }) => {
                format!("{name}: {} won — {reason}.", labels(seats))
            }
            Some(Outcome::Draw { reason }) => format!("{name}: a draw — {reason}."),
            Some(Outcome::Nobody { reason }) => format!("{name}: nobody won — {reason}."),
            None => {
                let to_move = labels(&game.play.to_move());
                if self.rules.simultaneous() {
                    format!("{name}: waiting for {to_move} to choose.")
                } else {
                    format!("{name}: {to_move} to move.")
                }
            }
        }
    }

    /// Who sits, before a game.
    pub fn waiting(&self) -> String {
        let free: Vec<&str> = (0..self.seats.len())
            .filter(|s| self.seats[*s].is_none())
            .map(|s| self.seat_name(s))
            .collect();
        format!(
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
        )
    }

    /// `3 games played; wins: …; draws: …`.
    pub fn score(&self) -> String {
        let wins: Vec<String> = self.wins.iter().map(|(n, w)| format!("{n} {w}")).collect();
        format!(
            "{} played; wins: {}; {}.",
            plural(self.played, "game", "games"),
            if wins.is_empty() {
                "none".into()
            } else {
                wins.join(", ")
            },
            plural(u64::from(self.draws), "draw", "draws"),
        )
    }
}

/// A table as the store keeps it (RON): the game by id, the seats by bare JID, the match.
/// Fields added later take their defaults when an older record is read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredTable {
    pub game: String,
    /// `(bare JID, nick)`; no JID for the computer.
    pub seats: Vec<Option<(Option<String>, String)>>,
    pub state: Option<crate::game::play::State>,
    pub wins: BTreeMap<String, u32>,
    pub draws: u32,
    pub played: u64,
    /// Who played each seat of `state` (older records: the seats).
    #[serde(default)]
    pub players: Option<Vec<(Option<String>, String)>>,
}

fn stored_sitter(s: &Sitter) -> (Option<String>, String) {
    (s.jid.as_ref().map(ToString::to_string), s.nick.clone())
}

fn sitter_of((jid, nick): (Option<String>, String)) -> Sitter {
    Sitter {
        jid: jid.and_then(|j| j.parse().ok()),
        nick,
        away_since: None,
    }
}

impl Table {
    pub fn to_stored(&self) -> StoredTable {
        StoredTable {
            game: self.rules.id().to_owned(),
            seats: self
                .seats
                .iter()
                .map(|s| s.as_ref().map(stored_sitter))
                .collect(),
            state: self.game.as_ref().map(|g| g.play.state.clone()),
            wins: self.wins.clone(),
            draws: self.draws,
            played: self.played,
            players: self
                .game
                .as_ref()
                .map(|g| g.players.iter().map(stored_sitter).collect()),
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
        for (slot, seat) in table.seats.iter_mut().zip(stored.seats.iter().cloned()) {
            *slot = seat.map(sitter_of);
        }
        let players: Vec<Sitter> = match stored.players {
            Some(players) => players.into_iter().map(sitter_of).collect(),
            None => table.seats.iter().flatten().cloned().collect(),
        };
        table.game = stored
            .state
            .and_then(|state| Match::restore(rules.clone(), state))
            .map(|play| Game { play, players });
        table.wins = stored.wins;
        table.draws = stored.draws;
        table.played = stored.played;
        (table.deadline, table.bot_due) = table.timers(now);
        Some(table)
    }
}

/// What the game feature's systems touch.
#[derive(SystemParam)]
pub struct Ctx<'w, 's> {
    pub rooms: Rooms<'w, 's>,
    pub tables: Query<'w, 's, &'static mut Table>,
    pub subjects: Query<'w, 's, (&'static crate::muc::room::Room, &'static mut Subject)>,
    pub catalog: Res<'w, GameCatalog>,
    pub now: Res<'w, Now>,
    pub wakeup: ResMut<'w, Wakeup>,
    pub out: ResMut<'w, Outbox>,
    pub service: Res<'w, Service>,
    /// The occupants the service plays itself (see [`super::house`]).
    pub house: Query<'w, 's, &'static super::house::House>,
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

    /// A message to one user only: a private message from the game's table (see
    /// [`super::house`] for why), or, in a room without a game, a message from the room to that
    /// user alone. An answer to a command typed in the room says that only its sender sees it.
    pub fn tell(&mut self, room: Entity, to: &Jid, body: &str, typed_in_room: bool) {
        let Some(room_jid) = self.rooms.jid(room).cloned() else {
            return;
        };
        let body = if !typed_in_room {
            body.to_owned()
        } else if body.contains('\n') {
            format!("{body}\n(only you see this)")
        } else {
            format!("{body} (only you see this)")
        };
        let from = super::house::table_nick(self, room)
            .and_then(|nick| crate::muc::room::occupant_jid(&room_jid, &nick));
        let message = match from {
            Some(from) => {
                let mut m = room_message(&room_jid, to.clone(), &body, MessageType::Chat);
                m.from = Some(from.into());
                // Marks a MUC private message (XEP-0045 §7.5).
                m.payloads
                    .push(xmpp_parsers::muc::user::MucUser::new().into());
                m
            }
            None => room_message(&room_jid, to.clone(), &body, MessageType::Groupchat),
        };
        self.out.send(message);
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
        let Some(game) = &table.game else { return };
        let board = game.play.render(None);
        let status = table.status();
        let over = game.play.is_over();
        let timers = table.timers(now);
        let body = format!("{header}\n```\n{board}\n```\n{status}");
        self.say_all(room, &body);
        self.set_subject(room, status);
        if over {
            self.finish(room);
            return;
        }
        let (deadline, bot_due) = timers;
        if let Ok(mut t) = self.tables.get_mut(room) {
            t.deadline = deadline;
            t.bot_due = bot_due;
        }
        for at in [deadline, bot_due].into_iter().flatten() {
            self.wakeup.at(at);
        }
    }

    /// Scores the ended game, frees the seats (the players' hats go) and lets spectators talk to
    /// players again.
    fn finish(&mut self, room: Entity) {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return;
        };
        table.deadline = None;
        table.bot_due = None;
        table.played += 1;
        let outcome = table.game.as_ref().and_then(|g| g.play.outcome().cloned());
        let players = table
            .game
            .as_ref()
            .map(|g| g.players.clone())
            .unwrap_or_default();
        match outcome {
            Some(Outcome::Win { seats, .. }) => {
                for s in seats {
                    if let Some(sitter) = players.get(s) {
                        *table.wins.entry(sitter.nick.clone()).or_insert(0) += 1;
                    }
                }
            }
            Some(Outcome::Draw { .. }) => table.draws += 1,
            _ => {}
        }
        let seated: Vec<BareJid> = table
            .seats
            .iter()
            .flatten()
            .filter_map(|s| s.jid.clone())
            .collect();
        let free = table.seats.len();
        table.seats = vec![None; free];
        self.rooms.commands.entity(room).remove::<GameRunning>();
        for jid in seated {
            self.mark_player(room, &jid, None);
        }
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
        let players: Vec<Sitter> = table.seats.iter().flatten().cloned().collect();
        table.game = Some(Game {
            play: Match::new(table.rules.clone(), n, seed),
            players,
        });
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

    /// Plays `text` for `seat` and announces it; the move's canonical spelling, or the reason it
    /// was refused.
    pub fn play(&mut self, room: Entity, seat: usize, text: &str) -> Result<String, String> {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return Err("This room hosts no game.".into());
        };
        let simultaneous = table.rules.simultaneous();
        let Some(game) = table.live_mut() else {
            return Err("No game is running: !start begins one.".into());
        };
        let label = game.label(seat);
        let played = game.play.play(seat, text).map_err(|e| e.to_string())?;
        if game.play.is_over() {
            game.name_outcome();
        }
        let nicks = game.nicks();
        let mut header = if simultaneous {
            // A secret choice stays secret until the round is resolved.
            format!("{label} has chosen.")
        } else {
            format!("{label} plays {}.", played.text)
        };
        for event in &played.events {
            header.push('\n');
            header.push_str(&name_seats(event, &nicks));
        }
        self.after_move(room, &header);
        Ok(played.text)
    }

    /// `seat` loses without a move: it resigned, stood up, ran out of time or did not come
    /// back. `why` says which in the result ("Bob stood up").
    pub fn forfeit(&mut self, room: Entity, seat: usize, why: &str, header: &str) {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return;
        };
        let Some(game) = table.live_mut() else {
            return;
        };
        game.play.resign(seat);
        // The engine says "resigned"; the room knows better.
        if let Some(
            Outcome::Win { reason, .. } | Outcome::Draw { reason } | Outcome::Nobody { reason },
        ) = game.play.state.outcome.as_mut()
        {
            *reason = why.to_owned();
        }
        self.after_move(room, header);
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
pub fn configured_game(mut changes: MessageReader<crate::muc::owner::ConfigChanged>, mut ctx: Ctx) {
    for change in changes.read() {
        if change.before.game == change.after.game {
            continue;
        }
        let room = change.room;
        let running = ctx.tables.get(room).is_ok_and(Table::running);
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
