//! Spectating across the service: the public rooms with a game in progress, their players and
//! whose turn it is — as `!games running` in any room, and as the disco#items of the service's
//! node `urn:palaver:game:0#running` (each item a room, named by its game's state). In cluster
//! mode the games in the rooms other instances hold come from their listings
//! (`crate::cluster::Directory`), so every instance gives the same list.

use bevy_ecs::prelude::*;
use xmpp_parsers::disco::{DiscoInfoResult, DiscoItemsResult, Identity, Item};
use xmpp_parsers::jid::Jid;
use xmpp_parsers::ns;

use super::course::Ctx;
use crate::engine::route::{IqIn, IqTarget};
use crate::muc::player::RUNNING_NODE;
use crate::stanza::errors;

/// How many rooms a listing names at most.
const LISTED: usize = 50;

/// A room's game in progress as the listings show it: players and the game's state.
fn status(ctx: &Ctx, room: Entity) -> Option<String> {
    let table = ctx.tables.get(room).ok()?;
    let game = table.live()?;
    let players: Vec<String> = (0..game.players.len()).map(|s| game.label(s)).collect();
    Some(format!(
        "{} — {}",
        players.join(" vs "),
        table.status_at(ctx.now.0)
    ))
}

/// `(room JID, its game's state)` for the public rooms with a game in progress, by JID: those
/// held here, and in cluster mode those the other instances list.
fn running(ctx: &Ctx) -> Vec<(String, String)> {
    let mut rooms: Vec<(String, String)> = ctx
        .running
        .iter()
        .filter(|room| {
            !ctx.locked.contains(*room) && ctx.rooms.config(*room).is_some_and(|c| c.public)
        })
        .filter_map(|room| Some((ctx.rooms.jid(room)?.to_string(), status(ctx, room)?)))
        .collect();
    if let Some(directory) = &ctx.directory {
        rooms.extend(directory.others(&ctx.rooms.index).filter_map(|l| {
            let status = l.status.as_ref().filter(|_| l.public && l.playing)?;
            Some((l.room.clone(), status.clone()))
        }));
    }
    rooms.sort();
    rooms
}

/// Cluster mode: every room this instance holds as the other instances are to list it.
pub fn listings(ctx: Ctx) -> Vec<crate::store::shared::Listing> {
    ctx.rooms
        .index
        .0
        .values()
        .filter_map(|&room| {
            let (r, config, ..) = ctx.rooms.rooms.get(room).ok()?;
            let public = config.public && !ctx.locked.contains(room);
            let playing = ctx.running.contains(room);
            Some(crate::store::shared::Listing {
                room: r.jid.to_string(),
                persistent: config.persistent,
                public,
                name: crate::muc::disco::display_name(r, config),
                occupants: ctx.rooms.roster(room).map_or(0, |r| r.len() as i64),
                game: ctx.tables.get(room).ok().map(|t| t.rules.id().to_owned()),
                playing,
                status: playing.then(|| status(&ctx, room)).flatten(),
            })
        })
        .collect()
}

/// `!games running`.
pub fn list(ctx: &Ctx) -> String {
    let rooms = running(ctx);
    if rooms.is_empty() {
        return "No game is in progress in a public room.".into();
    }
    let more = rooms.len().saturating_sub(LISTED);
    let mut lines: Vec<String> = rooms
        .into_iter()
        .take(LISTED)
        .map(|(jid, status)| format!("{jid} — {status}"))
        .collect();
    if more > 0 {
        lines.push(format!("… and {more} more."));
    }
    format!("Games in progress:\n{}", lines.join("\n"))
}

/// disco#info and disco#items of the running-games node of the service.
pub fn disco_node(mut iqs: MessageReader<IqIn>, mut ctx: Ctx) {
    for iq in iqs.read() {
        let ours = matches!(iq.target, IqTarget::Service)
            && (iq.ns == ns::DISCO_ITEMS || iq.ns == ns::DISCO_INFO)
            && iq.payload.attr("node") == Some(RUNNING_NODE);
        if !ours {
            continue;
        }
        if iq.set {
            let by = ctx.service.jid.clone();
            ctx.out.send(iq.error(errors::bad_request(&by, None)));
            continue;
        }
        let reply = if iq.ns == ns::DISCO_INFO {
            DiscoInfoResult {
                node: Some(RUNNING_NODE.into()),
                identities: vec![Identity::new(
                    "hierarchy",
                    "branch",
                    "en",
                    "Games in progress",
                )],
                features: [ns::DISCO_INFO, ns::DISCO_ITEMS]
                    .iter()
                    .map(|f| f.to_string())
                    .collect(),
                extensions: Vec::new(),
            }
            .into()
        } else {
            let items = running(&ctx)
                .into_iter()
                .filter_map(|(jid, status)| {
                    Some(Item {
                        jid: jid.parse::<Jid>().ok()?,
                        node: None,
                        name: Some(status),
                    })
                })
                .collect();
            DiscoItemsResult {
                node: Some(RUNNING_NODE.into()),
                items,
                rsm: None,
            }
            .into()
        };
        ctx.out.send(iq.reply(Some(reply)));
    }
}
