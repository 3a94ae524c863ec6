//! Service administration by XEP-0050 ad-hoc commands, for service administrators (`--admin`)
//! only: list the rooms (occupants, game), destroy a room, announce to every room, reload the
//! games from the rules directory (also on SIGHUP, see [`reload_rules`]), and the service's
//! statistics. Commands are listed at the service's `http://jabber.org/protocol/commands` disco
//! node. Two-stage commands carry everything in their form, so no session is kept between stages.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use tracing::{info, warn};
use xmpp_parsers::data_forms::{DataForm, DataFormType, Field, FieldType};
use xmpp_parsers::disco::{DiscoInfoResult, DiscoItemsResult, Identity, Item};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::message::{Lang, Message};
use xmpp_parsers::ns;

use crate::engine::route::{IqIn, IqTarget, IqTargetKind, MessageIn, OccupantIq, PresenceIn};
use crate::engine::{Engine, EngineBuilder, Feature, Now, Outbox, Phase, Service};
use crate::muc::archive::{Archive, Retention, room_message};
use crate::muc::config::RoomConfig;
use crate::muc::destroy::{RoomDestroyed, destroy};
use crate::muc::player::GameRunning;
use crate::muc::room::Rooms;
use crate::play::Table;
use crate::stanza::errors;
use crate::xmpp::commands::{self, Action, NoteType, Request, Response, Status};
use crate::xmpp::muc_owner::Destroy;

/// The commands: node and name.
const COMMANDS: [(&str, &str); 5] = [
    (LIST, "List rooms"),
    (DESTROY, "Destroy a room"),
    (ANNOUNCE, "Announce to every room"),
    (RELOAD, "Reload the games"),
    (STATS, "Service statistics"),
];
const LIST: &str = "list-rooms";
const DESTROY: &str = "destroy-room";
const ANNOUNCE: &str = "announce";
const RELOAD: &str = "reload-rules";
const STATS: &str = "stats";
/// How many rooms the list shows at most.
const MAX_LISTED: usize = 1000;
/// How long the traffic figures average over, in seconds.
const TRAFFIC_WINDOW: i64 = 60;

/// Whether a disco node on the service is this feature's to answer.
pub fn is_command_node(node: &str) -> bool {
    node == commands::NS || COMMANDS.iter().any(|(n, _)| *n == node)
}

/// Where the games come from, for reloads.
#[derive(Resource, Debug, Clone)]
pub struct RulesDirs {
    pub rules: PathBuf,
    pub assets: PathBuf,
}

/// Stanzas in and out per second over the last minute.
#[derive(Resource, Debug, Default)]
pub struct Traffic {
    /// (second, received, sent), oldest first.
    seconds: VecDeque<(i64, u64, u64)>,
    /// The outbox's length when last counted (it empties each tick).
    outbox_seen: usize,
}

impl Traffic {
    fn add(&mut self, second: i64, received: u64, sent: u64) {
        match self.seconds.back_mut() {
            Some(last) if last.0 == second => {
                last.1 += received;
                last.2 += sent;
            }
            _ => self.seconds.push_back((second, received, sent)),
        }
        while self
            .seconds
            .front()
            .is_some_and(|s| s.0 <= second - TRAFFIC_WINDOW)
        {
            self.seconds.pop_front();
        }
    }

    /// Received and sent stanzas per second over the window ending at `now`.
    fn rates(&self, now: i64) -> (f64, f64) {
        let recent = self.seconds.iter().filter(|s| s.0 > now - TRAFFIC_WINDOW);
        let (r, s) = recent.fold((0, 0), |(r, s), x| (r + x.1, s + x.2));
        let window = TRAFFIC_WINDOW as f64;
        (r as f64 / window, s as f64 / window)
    }
}

/// Reload requests, carried out with the World to hand.
#[derive(Resource, Debug, Default)]
struct Reloads(Vec<IqIn>);

/// Numbers the sessions of two-stage commands.
#[derive(Resource, Debug, Default)]
struct Sessionids(u64);

pub struct AdhocPlugin;

impl Feature for AdhocPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Service, commands::NS);
        engine.world.init_resource::<Traffic>();
        engine.world.init_resource::<Reloads>();
        engine.world.init_resource::<Sessionids>();
        engine.add_systems(
            (command_disco, execute, apply_reloads)
                .chain()
                .in_set(Phase::Iq),
        );
        engine.add_systems(count_traffic.in_set(Phase::Cleanup));
    }
}

/// The commands' disco nodes (XEP-0050 §2.2–§2.3): the list for administrators (empty for
/// others), each command's identity.
fn command_disco(mut iqs: MessageReader<IqIn>, service: Res<Service>, mut out: ResMut<Outbox>) {
    for iq in iqs.read() {
        let (IqTarget::Service, Some(node)) = (&iq.target, iq.payload.attr("node")) else {
            continue;
        };
        if !is_command_node(node) || iq.set {
            continue;
        }
        let admin = service.is_admin(&iq.from.to_bare());
        let items = iq.ns == ns::DISCO_ITEMS;
        let reply = match (node == commands::NS, items) {
            (true, true) => DiscoItemsResult {
                node: Some(node.to_owned()),
                items: COMMANDS
                    .iter()
                    .filter(|_| admin)
                    .map(|(n, name)| Item {
                        jid: service.jid.clone(),
                        node: Some((*n).to_owned()),
                        name: Some((*name).to_owned()),
                    })
                    .collect(),
                rsm: None,
            }
            .into(),
            (false, true) => DiscoItemsResult {
                node: Some(node.to_owned()),
                items: Vec::new(),
                rsm: None,
            }
            .into(),
            (true, false) => DiscoInfoResult {
                node: Some(node.to_owned()),
                identities: vec![Identity::new(
                    "automation",
                    "command-list",
                    "en",
                    "Commands",
                )],
                features: Default::default(),
                extensions: Vec::new(),
            }
            .into(),
            (false, false) => {
                let name = COMMANDS
                    .iter()
                    .find(|(n, _)| *n == node)
                    .map_or("", |(_, name)| name);
                DiscoInfoResult {
                    node: Some(node.to_owned()),
                    identities: vec![Identity::new("automation", "command-node", "en", name)],
                    features: [commands::NS.to_owned(), ns::DATA_FORMS.to_owned()].into(),
                    extensions: Vec::new(),
                }
                .into()
            }
        };
        out.send(iq.reply(Some(reply)));
    }
}

/// What the commands read and change.
#[derive(SystemParam)]
struct Ctx<'w, 's> {
    rooms: Rooms<'w, 's>,
    archives: Query<'w, 's, &'static mut Archive>,
    tables: Query<'w, 's, (&'static Table, Has<GameRunning>)>,
    traffic: Res<'w, Traffic>,
    reloads: ResMut<'w, Reloads>,
    ids: ResMut<'w, Sessionids>,
    destroyed: MessageWriter<'w, RoomDestroyed>,
    service: Res<'w, Service>,
    now: Res<'w, Now>,
    out: ResMut<'w, Outbox>,
    /// Cluster mode: the rooms the other instances list.
    directory: Option<Res<'w, crate::cluster::Directory>>,
}

fn execute(mut iqs: MessageReader<IqIn>, mut ctx: Ctx) {
    for iq in iqs.read().filter(|iq| iq.ns == commands::NS) {
        let by = ctx.service.jid.clone();
        let request = match Request::try_from(iq.payload.clone()) {
            Ok(r) if iq.set => r,
            Ok(_) => {
                ctx.out
                    .send(iq.error(errors::bad_request(&by, Some("Commands are sets"))));
                continue;
            }
            Err(e) => {
                ctx.out
                    .send(iq.error(errors::bad_request(&by, Some(&e.to_string()))));
                continue;
            }
        };
        if !COMMANDS.iter().any(|(n, _)| *n == request.node) {
            ctx.out
                .send(iq.error(errors::item_not_found(&by, Some("No such command"))));
            continue;
        }
        if !ctx.service.is_admin(&iq.from.to_bare()) {
            ctx.out.send(iq.error(errors::forbidden(
                &by,
                Some("Only service administrators may run these commands"),
            )));
            continue;
        }
        let sessionid = request.sessionid.clone().unwrap_or_else(|| {
            ctx.ids.0 += 1;
            format!("{}:{}", request.node, ctx.ids.0)
        });
        let answer = |status, notes, form| Response {
            node: request.node.clone(),
            sessionid: sessionid.clone(),
            status,
            actions: None,
            notes,
            form,
        };
        match request.action {
            Some(Action::Cancel) => {
                ctx.out
                    .send(iq.reply(Some(answer(Status::Canceled, Vec::new(), None).into())));
                continue;
            }
            Some(Action::Prev) | Some(Action::Next) => {
                ctx.out.send(iq.error(errors::bad_request(
                    &by,
                    Some("These commands have one form: complete or cancel it"),
                )));
                continue;
            }
            _ => {}
        }
        let submitted = request
            .form
            .as_ref()
            .filter(|f| f.type_ == DataFormType::Submit);
        let response = match (request.node.as_str(), submitted) {
            (LIST, _) => answer(Status::Completed, Vec::new(), Some(room_list(&ctx))),
            (STATS, _) => answer(Status::Completed, Vec::new(), Some(stats(&ctx))),
            (RELOAD, _) => {
                ctx.reloads.0.push(iq.clone());
                continue;
            }
            (_, None) => Response {
                actions: Some((vec![Action::Complete], Action::Complete)),
                ..answer(
                    Status::Executing,
                    Vec::new(),
                    Some(stage_form(&request.node)),
                )
            },
            (DESTROY, Some(form)) => match destroy_room(&mut ctx, form) {
                Ok(note) => answer(Status::Completed, vec![(NoteType::Info, note)], None),
                Err(e) => {
                    ctx.out.send(iq.error(*e));
                    continue;
                }
            },
            (_, Some(form)) => match announce(&mut ctx, form) {
                Ok(note) => answer(Status::Completed, vec![(NoteType::Info, note)], None),
                Err(e) => {
                    ctx.out.send(iq.error(*e));
                    continue;
                }
            },
        };
        ctx.out.send(iq.reply(Some(response.into())));
    }
}

fn field(var: &str, label: &str, type_: FieldType, values: Vec<String>) -> Field {
    let mut f = Field::new(var, type_);
    f.label = Some(label.to_owned());
    f.values = values;
    f
}

fn result_form(title: &str, fields: Vec<Field>) -> DataForm {
    DataForm {
        type_: DataFormType::Result_,
        title: Some(title.to_owned()),
        instructions: None,
        fields,
    }
}

/// One line of the room list.
fn room_line(
    jid: &str,
    occupants: usize,
    persistent: bool,
    game: Option<&str>,
    playing: bool,
) -> String {
    let game = match game {
        Some(id) if playing => format!(", playing {id}"),
        Some(id) => format!(", game {id} (not started)"),
        None => String::new(),
    };
    let persistent = if persistent { ", persistent" } else { "" };
    let plural = if occupants == 1 { "" } else { "s" };
    format!("{jid}: {occupants} occupant{plural}{persistent}{game}")
}

/// Every room with its occupants and game, in JID order: those held here, and in cluster mode
/// those the other instances list.
fn room_list(ctx: &Ctx) -> DataForm {
    let mut rooms: Vec<(String, Option<Entity>)> = ctx
        .rooms
        .index
        .0
        .iter()
        .map(|(j, e)| (j.to_string(), Some(*e)))
        .collect();
    let others: HashMap<&str, &crate::store::shared::Listing> = ctx
        .directory
        .iter()
        .flat_map(|d| d.others(&ctx.rooms.index))
        .map(|l| (l.room.as_str(), l))
        .collect();
    rooms.extend(others.keys().map(|j| ((*j).to_owned(), None)));
    rooms.sort_by(|a, b| a.0.cmp(&b.0));
    let mut lines: Vec<String> = rooms
        .iter()
        .take(MAX_LISTED)
        .map(|(jid, room)| match room {
            Some(room) => {
                let table = ctx.tables.get(*room).ok();
                room_line(
                    jid,
                    ctx.rooms.roster(*room).map_or(0, |r| r.len()),
                    ctx.rooms.config(*room).is_some_and(|c| c.persistent),
                    table.map(|(t, _)| t.rules.id()),
                    table.is_some_and(|(_, running)| running),
                )
            }
            None => {
                let l = others.get(jid.as_str());
                room_line(
                    jid,
                    l.map_or(0, |l| usize::try_from(l.occupants).unwrap_or(0)),
                    l.is_some_and(|l| l.persistent),
                    l.and_then(|l| l.game.as_deref()),
                    l.is_some_and(|l| l.playing),
                )
            }
        })
        .collect();
    if rooms.len() > MAX_LISTED {
        lines.push(format!("… and {} more", rooms.len() - MAX_LISTED));
    }
    result_form(
        "Rooms",
        vec![
            field(
                "count",
                "Rooms",
                FieldType::TextSingle,
                vec![rooms.len().to_string()],
            ),
            field(
                "rooms",
                "Room: occupants, game",
                FieldType::TextMulti,
                lines,
            ),
        ],
    )
}

/// The service's figures.
fn stats(ctx: &Ctx) -> DataForm {
    let rooms: Vec<Entity> = ctx.rooms.index.0.values().copied().collect();
    let persistent = rooms
        .iter()
        .filter(|r| ctx.rooms.config(**r).is_some_and(|c| c.persistent))
        .count();
    let occupants: usize = rooms
        .iter()
        .filter_map(|r| ctx.rooms.roster(*r))
        .map(|r| r.len())
        .sum();
    let sessions: usize = ctx.rooms.sessions.iter().map(|s| s.count()).sum();
    let games = ctx.tables.iter().count();
    let running = ctx.tables.iter().filter(|(_, r)| *r).count();
    let (received, sent) = ctx.traffic.rates(ctx.now.0.timestamp());
    let n = |x: usize| vec![x.to_string()];
    result_form(
        "Service statistics",
        vec![
            field("rooms", "Rooms", FieldType::TextSingle, n(rooms.len())),
            field(
                "persistent",
                "Persistent rooms",
                FieldType::TextSingle,
                n(persistent),
            ),
            field(
                "occupants",
                "Occupants",
                FieldType::TextSingle,
                n(occupants),
            ),
            field(
                "sessions",
                "Occupants' sessions",
                FieldType::TextSingle,
                n(sessions),
            ),
            field(
                "games",
                "Rooms with a game",
                FieldType::TextSingle,
                n(games),
            ),
            field(
                "running",
                "Games under way",
                FieldType::TextSingle,
                n(running),
            ),
            field(
                "received",
                "Stanzas received per second (last minute)",
                FieldType::TextSingle,
                vec![format!("{received:.1}")],
            ),
            field(
                "sent",
                "Stanzas sent per second (last minute)",
                FieldType::TextSingle,
                vec![format!("{sent:.1}")],
            ),
        ],
    )
}

/// The form of a two-stage command's first stage.
fn stage_form(node: &str) -> DataForm {
    let (title, fields) = if node == DESTROY {
        (
            "Destroy a room",
            vec![
                {
                    let mut f = field("room", "Room", FieldType::JidSingle, Vec::new());
                    f.required = true;
                    f
                },
                field("reason", "Reason", FieldType::TextSingle, Vec::new()),
                field("venue", "Alternate venue", FieldType::JidSingle, Vec::new()),
            ],
        )
    } else {
        (
            "Announce to every room",
            vec![{
                let mut f = field("body", "Message", FieldType::TextMulti, Vec::new());
                f.required = true;
                f
            }],
        )
    };
    DataForm {
        type_: DataFormType::Form,
        title: Some(title.to_owned()),
        instructions: None,
        fields,
    }
}

fn value<'f>(form: &'f DataForm, var: &str) -> Vec<&'f str> {
    form.fields
        .iter()
        .filter(|f| f.var.as_deref() == Some(var))
        .flat_map(|f| f.values.iter().map(|v| v.trim()))
        .filter(|v| !v.is_empty())
        .collect()
}

fn destroy_room(
    ctx: &mut Ctx,
    form: &DataForm,
) -> Result<String, Box<xmpp_parsers::stanza_error::StanzaError>> {
    let by = ctx.service.jid.clone();
    let room_jid: BareJid = match value(form, "room").first() {
        Some(r) => r
            .parse::<BareJid>()
            .map_err(|_| Box::new(errors::jid_malformed(&by, Some("That is not a room's JID"))))?,
        None => {
            return Err(Box::new(errors::bad_request(
                &by,
                Some("Name the room to destroy"),
            )));
        }
    };
    let venue =
        match value(form, "venue").first() {
            Some(v) => Some(v.parse::<Jid>().map_err(|_| {
                Box::new(errors::jid_malformed(&by, Some("The venue is not a JID")))
            })?),
            None => None,
        };
    let Some(room) = ctx.rooms.find(&room_jid) else {
        return Err(Box::new(errors::item_not_found(&by, Some("No such room"))));
    };
    let how = Destroy {
        jid: venue,
        password: None,
        reason: value(form, "reason").first().map(|r| (*r).to_owned()),
    };
    destroy(&mut ctx.rooms, room, &how, &mut ctx.destroyed, &mut ctx.out);
    info!(room = %room_jid, "room destroyed by a service administrator");
    Ok(format!("{room_jid} was destroyed."))
}

fn announce(
    ctx: &mut Ctx,
    form: &DataForm,
) -> Result<String, Box<xmpp_parsers::stanza_error::StanzaError>> {
    let by = ctx.service.jid.clone();
    let lines = value(form, "body");
    if lines.is_empty() {
        return Err(Box::new(errors::bad_request(
            &by,
            Some("The message is empty"),
        )));
    }
    let body = lines.join("\n");
    let mut rooms: Vec<(BareJid, Entity)> = ctx
        .rooms
        .index
        .0
        .iter()
        .map(|(j, e)| (j.clone(), *e))
        .collect();
    rooms.sort_by(|a, b| a.0.cmp(&b.0));
    for (jid, room) in &rooms {
        let config: RoomConfig = ctx.rooms.config(*room).cloned().unwrap_or_default();
        let Ok(mut archive) = ctx.archives.get_mut(*room) else {
            continue;
        };
        let mut m = Message::groupchat(None);
        m.bodies.insert(Lang::default(), body.clone());
        let bounds = config
            .archiving
            .then(|| Retention::of(&config, &ctx.service.settings, ctx.now.0));
        let m = room_message(&mut archive, &ctx.rooms.key, jid, bounds, ctx.now.0, m);
        for to in ctx.rooms.real_jids(*room) {
            let mut m = m.clone();
            m.to = Some(to.clone().into());
            ctx.out.send(m);
        }
    }
    info!(
        rooms = rooms.len(),
        "announcement by a service administrator"
    );
    Ok(format!("Announced to {} rooms.", rooms.len()))
}

/// Carries out the reloads asked for this round, with the World to hand.
fn apply_reloads(world: &mut World) {
    let requests = std::mem::take(&mut world.resource_mut::<Reloads>().0);
    if requests.is_empty() {
        return;
    }
    let notes = reload_world(world);
    for iq in requests {
        let response = Response {
            node: RELOAD.to_owned(),
            sessionid: format!("{RELOAD}:0"),
            status: Status::Completed,
            actions: None,
            notes: notes.clone(),
            form: None,
        };
        world
            .resource_mut::<Outbox>()
            .send(iq.reply(Some(response.into())));
    }
}

/// Reloads the games from the rules directory (SIGHUP): games under way keep their rules.
pub fn reload_rules(engine: &mut Engine) {
    for (kind, note) in reload_world(engine.world_mut()) {
        match kind {
            NoteType::Info => info!("{note}"),
            _ => warn!("{note}"),
        }
    }
}

fn reload_world(world: &mut World) -> Vec<(NoteType, String)> {
    let Some(dirs) = world.get_resource::<RulesDirs>().cloned() else {
        return vec![(NoteType::Error, "No rules directory is known.".to_owned())];
    };
    let (games, mistakes) = crate::game::load_dir(&dirs.rules, &dirs.assets);
    let mut notes = vec![(
        NoteType::Info,
        format!(
            "{} games loaded from {}: {}.",
            games.len(),
            dirs.rules.display(),
            games.iter().map(|g| g.id()).collect::<Vec<_>>().join(", ")
        ),
    )];
    notes.extend(
        mistakes
            .iter()
            .take(20)
            .map(|m| (NoteType::Warn, format!("refused: {m}"))),
    );
    crate::play::install_in(world, games);
    notes
}

/// Counts what came in and went out this round.
fn count_traffic(
    mut presences: MessageReader<PresenceIn>,
    mut messages: MessageReader<MessageIn>,
    mut iqs: MessageReader<IqIn>,
    mut occupant_iqs: MessageReader<OccupantIq>,
    out: Res<Outbox>,
    now: Res<Now>,
    mut traffic: ResMut<Traffic>,
) {
    let received = presences.read().count()
        + messages.read().count()
        + iqs.read().count()
        + occupant_iqs.read().count();
    // The outbox empties at the end of each tick, and each tick sets the time anew.
    if now.is_changed() {
        traffic.outbox_seen = 0;
    }
    let len = out.0.len();
    let sent = len.saturating_sub(traffic.outbox_seen);
    traffic.outbox_seen = len;
    traffic.add(now.0.timestamp(), received as u64, sent as u64);
}

#[cfg(test)]
#[path = "adhoc_tests.rs"]
mod tests;
