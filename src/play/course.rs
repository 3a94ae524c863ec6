//! The course of a game in a room: what the game feature's systems touch ([`Ctx`]), how the
//! room speaks (to everyone, to one person, through the subject), and a game's start, moves,
//! forfeits and end — where the record is kept and ratings move.

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::Role;

use super::GameCatalog;
use super::clock::Clocks;
use super::table::{Game, Sitter, Step, StepKind, Table};
use super::text::name_seats;
use crate::engine::{Now, Outbox, Service, Wakeup};
use crate::game::{Match, Outcome};
use crate::muc::admin::{Cause, announce};
use crate::muc::archive::{Retention, room_message as archived_room_message};
use crate::muc::player::{GameRunning, Player};
use crate::muc::room::{OccupantInfo, Rooms};
use crate::muc::subject::{Subject, subject_message};

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
    pub house: Query<
        'w,
        's,
        (
            Entity,
            &'static super::house::House,
            &'static crate::muc::room::InRoom,
        ),
    >,
    pub table_nicks: Query<'w, 's, &'static super::house::TableNick>,
    pub records: ResMut<'w, super::records::Records>,
    pub ratings: ResMut<'w, super::ratings::Ratings>,
    pub store: ResMut<'w, crate::store::capture::StoreQueue>,
    pub running: Query<'w, 's, Entity, With<GameRunning>>,
    pub locked: Query<'w, 's, (), With<crate::muc::lock::Locked>>,
    /// Cluster mode: the rooms the other instances list.
    pub directory: Option<Res<'w, crate::cluster::Directory>>,
    /// The rooms' archives: what the room says to everyone is archived as its own (XEP-0313).
    pub archives: Query<'w, 's, &'static mut crate::muc::archive::Archive>,
}

impl Ctx<'_, '_> {
    /// A message from the room to every occupant: public, so stamped with a stanza-id and
    /// archived as the room's own while the room archives (a client catching up by MAM rather
    /// than by history sees the game's moves and boards too).
    pub fn say_all(&mut self, room: Entity, body: &str) {
        let Some(room_jid) = self.rooms.jid(room).cloned() else {
            return;
        };
        let mut message = Message::groupchat(None);
        message.bodies.insert(Default::default(), body.to_owned());
        if let Ok(mut archive) = self.archives.get_mut(room) {
            let now = self.now.0;
            let bounds = self
                .rooms
                .config(room)
                .filter(|c| c.archiving)
                .map(|c| Retention::of(c, &self.service.settings, now));
            message = archived_room_message(
                &mut archive,
                &self.rooms.key,
                &room_jid,
                bounds,
                now,
                message,
            );
        } else {
            message.from = Some(room_jid.clone().into());
        }
        let to: Vec<FullJid> = self.rooms.real_jids(room).cloned().collect();
        for jid in to {
            let mut m = message.clone();
            m.to = Some(jid.into());
            self.out.send(m);
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
        let table = super::house::table_nick(self, room)
            .and_then(|nick| self.rooms.occupant_by_nick(room, &nick));
        let message = match table {
            Some(table) => {
                let mut m = room_message(&room_jid, to.clone(), &body, MessageType::Chat);
                m.from = Some(table.occupant_jid.into());
                // Marks a MUC private message (XEP-0045 §7.5).
                m.payloads
                    .push(xmpp_parsers::muc::user::MucUser::new().into());
                m.payloads
                    .push(crate::muc::occupant_id::element(&table.occupant_id));
                m
            }
            None => room_message(&room_jid, to.clone(), &body, MessageType::Groupchat),
        };
        self.out.send(message);
    }

    /// A private message from the game's table to every session of `jid` in the room.
    pub fn tell_user(&mut self, room: Entity, jid: &BareJid, body: &str) {
        let sessions: Vec<FullJid> = self
            .rooms
            .occupants_of(room)
            .into_iter()
            .filter(|o| o.jid.to_bare() == *jid)
            .flat_map(|o| {
                let mut all: Vec<FullJid> = o.sessions.iter().map(|s| s.jid.clone()).collect();
                if all.is_empty() {
                    all.push(o.jid.clone());
                }
                all
            })
            .collect();
        for to in sessions {
            self.tell(room, &to.into(), body, false);
        }
    }

    /// Sends each seated person what only that seat may see (its hidden pieces, the code it
    /// set), when that changed since it was last sent — or to `again` whatever it is.
    pub fn send_private_views(&mut self, room: Entity, again: Option<usize>) {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return;
        };
        let Some(game) = table.game.as_mut() else {
            return;
        };
        let over = game.play.is_over();
        // A secret choice is confirmed by the answer to the move itself.
        let confirmed = game.play.rules.simultaneous() && again.is_none();
        let mut due: Vec<(BareJid, String)> = Vec::new();
        game.sent_views.resize(game.players.len(), None);
        for seat in 0..game.players.len() {
            let Some(jid) = game.players[seat].jid.clone() else {
                continue;
            };
            let view = if over {
                None
            } else {
                game.play.private_view(seat)
            };
            if view != game.sent_views[seat] || (again == Some(seat) && view.is_some()) {
                if let Some(v) = &view
                    && !confirmed
                {
                    due.push((jid, v.clone()));
                }
                game.sent_views[seat] = view;
            }
        }
        for (jid, view) in due {
            self.tell_user(room, &jid, &view);
        }
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

    /// Announces the position after a move (or the start), updates the subject, the clocks and
    /// the computer's next move, and ends the game when it is over.
    pub fn after_move(&mut self, room: Entity, header: &str) {
        let now = self.now.0;
        let Ok(mut table) = self.tables.get_mut(room) else {
            return;
        };
        let Some(game) = table.game.as_mut() else {
            return;
        };
        let over = game.play.is_over();
        if !over {
            let to_move = game.play.to_move();
            if let Some(c) = game.clocks.as_mut() {
                c.run(&to_move, now);
            }
        }
        let board = game.play.render(None);
        let status = table.status_at(now);
        let timers = table.timers(now);
        let body = format!("{header}\n```\n{board}\n```\n{status}");
        self.say_all(room, &body);
        self.send_private_views(room, None);
        self.set_subject(room, status);
        if over {
            self.finish(room);
            return;
        }
        let (deadline, bot_due) = timers;
        if let Ok(mut t) = self.tables.get_mut(room) {
            t.bot_due = bot_due;
        }
        for at in [deadline, bot_due].into_iter().flatten() {
            self.wakeup.at(at);
        }
    }

    /// Scores the ended game, keeps its record and moves the ratings, frees the seats (the
    /// players' hats go) and lets spectators talk to players again.
    fn finish(&mut self, room: Entity) {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return;
        };
        table.bot_due = None;
        let Some(game) = table.game.clone() else {
            return;
        };
        if !game.aborted {
            table.played += 1;
            match game.play.outcome() {
                Some(Outcome::Win { seats, .. }) => {
                    for s in seats {
                        if let Some(sitter) = game.players.get(*s) {
                            *table.wins.entry(sitter.nick.clone()).or_insert(0) += 1;
                        }
                    }
                }
                Some(Outcome::Draw { .. }) => table.draws += 1,
                _ => {}
            }
        }
        let seated: Vec<BareJid> = table
            .seats
            .iter()
            .flatten()
            .filter_map(|s| s.jid.clone())
            .collect();
        let free = table.seats.len();
        table.seats = vec![None; free];
        let status = table.status_at(self.now.0);
        self.rooms.commands.entity(room).remove::<GameRunning>();
        for jid in seated {
            self.mark_player(room, &jid, None);
        }
        if game.aborted {
            return;
        }
        let changes = if game.rated {
            super::ratings::rate(self, &game)
        } else {
            Vec::new()
        };
        if !changes.is_empty() {
            let lines: Vec<String> = changes.iter().map(|c| c.line()).collect();
            self.say_all(room, &format!("Ratings: {}.", lines.join("; ")));
        }
        super::records::keep(self, room, &game, &status, &changes);
    }

    /// Starts a match with the seated players (moved to the first seats), seat 0 first.
    pub fn start(&mut self, room: Entity) -> Result<(), String> {
        let now = self.now.0;
        let options = self
            .rooms
            .config(room)
            .map(|c| c.game_options.clone())
            .unwrap_or_default();
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
        let (control, note) = super::clock::for_room(&table.rules, &options.clock);
        let max = table.seats.len();
        table.seats = sitters.drain(..).map(Some).collect();
        table.seats.resize(max, None);
        let seed = now.timestamp_micros() as u64 ^ table.played.wrapping_mul(0x9E37_79B9);
        let players: Vec<Sitter> = table.seats.iter().flatten().cloned().collect();
        let humans = players.iter().filter(|p| !p.is_bot()).count();
        let mut game = Game::new(Match::new(table.rules.clone(), n, seed), players, now);
        game.clocks = control.map(|c| Clocks::new(c, n));
        // Rated: the room's choice, two people or more, nobody playing the computer.
        game.rated = options.rated && humans >= 2 && humans == n;
        let rated = game.rated;
        table.game = Some(game);
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
        let mut header = String::from("The game begins");
        header.push_str(if rated { " (rated)." } else { " (unrated)." });
        if let Some(note) = note {
            header.push(' ');
            header.push_str(&note);
        }
        self.after_move(room, &header);
        Ok(())
    }

    /// Plays `text` for `seat` and announces it; the move's canonical spelling and whether it
    /// was secret, or the reason it was refused.
    pub fn play(
        &mut self,
        room: Entity,
        seat: usize,
        text: &str,
    ) -> Result<(String, bool), String> {
        let now = self.now.0;
        let Ok(mut table) = self.tables.get_mut(room) else {
            return Err("This room hosts no game.".into());
        };
        let simultaneous = table.rules.simultaneous();
        let Some(game) = table.live_mut() else {
            return Err("No game is running: !start begins one.".into());
        };
        // A move after the flag fell does not count (the clock's tick comes next).
        if game
            .clocks
            .as_ref()
            .and_then(|c| c.deadline(seat))
            .is_some_and(|d| d <= now)
        {
            return Err("Your time is up.".into());
        }
        let label = game.label(seat);
        let before = game.snapshot();
        let played = game.play.play(seat, text).map_err(|e| e.to_string())?;
        game.remember(before);
        let ms = game.clocks.as_mut().map_or(0, |c| c.charge(seat, now));
        game.log.push(Step {
            seat,
            what: StepKind::Move(played.text.clone()),
            ms,
        });
        // An offer lapses when the game moves on.
        if game
            .offer
            .as_ref()
            .is_some_and(|o| o.kind != super::table::OfferKind::Rematch)
        {
            game.offer = None;
        }
        if game.play.is_over() {
            game.name_outcome();
        }
        let nicks = game.nicks();
        let mut header = if simultaneous {
            // A secret choice stays secret until the round is resolved.
            format!("{label} has chosen.")
        } else if played.secret {
            // Its text is for the mover alone (a hidden piece, a code).
            format!("{label} moved in secret.")
        } else {
            format!("{label} plays {}.", played.text)
        };
        for event in &played.events {
            header.push('\n');
            header.push_str(&name_seats(event, &nicks));
        }
        self.after_move(room, &header);
        Ok((played.text, played.secret))
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
        game.offer = None;
        self.after_move(room, header);
    }

    /// Ends the running game as the room decides (an agreed draw, an abort).
    pub fn conclude(&mut self, room: Entity, outcome: Outcome, aborted: bool, header: &str) {
        let Ok(mut table) = self.tables.get_mut(room) else {
            return;
        };
        let Some(game) = table.live_mut() else {
            return;
        };
        game.end(outcome);
        game.aborted = aborted;
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
