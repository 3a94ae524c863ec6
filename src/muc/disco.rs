//! Service discovery (§6): the service's identity and public rooms, each room's features and
//! muc#roominfo form.

use bevy_ecs::prelude::*;
use xmpp_parsers::disco::{DiscoInfoResult, DiscoItemsQuery, DiscoItemsResult, Identity, Item};
use xmpp_parsers::jid::Jid;
use xmpp_parsers::ns;

use super::config::RoomConfig;
use super::form::roominfo_form;
use super::lock::Locked;
use super::room::{Room, Rooms};
use super::subject::Subject;
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::errors;

/// XEP-0410: the service answers self-pings itself.
pub const SELF_PING_OPTIMIZATION: &str = "http://jabber.org/protocol/muc#self-ping-optimization";

/// The most rooms one disco#items answer lists; a client pages for more (XEP-0059). At most
/// about 1.5 KB an item (a JID and a bounded name), a page stays far below any stanza limit.
pub const ITEMS_PER_PAGE: usize = 100;

pub struct DiscoPlugin;

impl Feature for DiscoPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        for target in [IqTargetKind::Service, IqTargetKind::Room] {
            engine.handle_iq(target, ns::DISCO_INFO);
            engine.handle_iq(target, ns::DISCO_ITEMS);
        }
        engine.add_systems(disco.in_set(Phase::Iq));
    }
}

fn disco(
    mut iqs: MessageReader<IqIn>,
    rooms: Rooms,
    extra: Query<(&Subject, Has<Locked>)>,
    service: Res<Service>,
    directory: Option<Res<crate::cluster::Directory>>,
    mut out: ResMut<Outbox>,
) {
    let locked = |room: Entity| extra.get(room).is_ok_and(|(_, locked)| locked);
    for iq in iqs
        .read()
        .filter(|iq| iq.ns == ns::DISCO_INFO || iq.ns == ns::DISCO_ITEMS)
    {
        if iq.set {
            out.send(iq.error(errors::bad_request(&service.jid, None)));
            continue;
        }
        if let Some(node) = iq.payload.attr("node") {
            // §7.12's node is the registration feature's to answer.
            let reserved_nick = node == super::register::ROOMUSER_NODE
                && iq.ns == ns::DISCO_INFO
                && matches!(iq.target, IqTarget::Room(_));
            // The games in progress across the service are the game feature's to list.
            let running_games =
                node == super::player::RUNNING_NODE && matches!(iq.target, IqTarget::Service);
            // XEP-0050's nodes are the ad-hoc commands' to answer.
            let command =
                matches!(iq.target, IqTarget::Service) && crate::adhoc::is_command_node(node);
            if !reserved_nick && !running_games && !command {
                out.send(iq.error(errors::item_not_found(&service.jid, None)));
            }
            continue;
        }
        let info = iq.ns == ns::DISCO_INFO;
        match &iq.target {
            IqTarget::Service if info => {
                let features = [
                    ns::DISCO_INFO,
                    ns::DISCO_ITEMS,
                    ns::MUC,
                    ns::PING,
                    crate::xmpp::commands::NS,
                ];
                out.send(
                    iq.reply(Some(
                        DiscoInfoResult {
                            node: None,
                            identities: vec![Identity::new("conference", "text", "en", "palaver")],
                            features: features.iter().map(|f| f.to_string()).collect(),
                            extensions: Vec::new(),
                        }
                        .into(),
                    )),
                );
            }
            IqTarget::Service => {
                // §6.3: public rooms only, in a stable order, a page at a time (XEP-0059) so
                // that no answer outgrows a stanza however many rooms there are.
                let mut items: Vec<Item> = rooms
                    .rooms
                    .iter()
                    .filter(|(room, config, ..)| {
                        config.public && rooms.find(&room.jid).is_some_and(|e| !locked(e))
                    })
                    .map(|(room, config, ..)| Item {
                        jid: Jid::from(room.jid.clone()),
                        node: None,
                        name: Some(display_name(room, config)),
                    })
                    .collect();
                // Cluster mode: the public rooms the other instances hold, as they list them.
                if let Some(directory) = &directory {
                    items.extend(
                        directory
                            .others(&rooms.index)
                            .filter(|l| l.public)
                            .filter_map(|l| {
                                Some(Item {
                                    jid: l.room.parse::<Jid>().ok()?,
                                    node: None,
                                    name: Some(l.name.clone()),
                                })
                            }),
                    );
                }
                items.sort_by(|a, b| a.jid.cmp(&b.jid));
                let query = DiscoItemsQuery::try_from(iq.payload.clone()).ok();
                let keys: Vec<String> = items.iter().map(|i| i.jid.to_string()).collect();
                let (range, set) = crate::xmpp::rsm::page(
                    &keys,
                    query.as_ref().and_then(|q| q.rsm.as_ref()),
                    ITEMS_PER_PAGE,
                    ITEMS_PER_PAGE,
                );
                // Without a request for paging, a list that fits is answered as before.
                let paged =
                    query.as_ref().is_some_and(|q| q.rsm.is_some()) || keys.len() > range.len();
                let items = items.drain(range).collect();
                out.send(
                    iq.reply(Some(
                        DiscoItemsResult {
                            node: None,
                            items,
                            rsm: paged.then_some(set),
                        }
                        .into(),
                    )),
                );
            }
            IqTarget::Room(jid) => {
                let found = rooms.find(jid).and_then(|r| {
                    let (subject, locked) = extra.get(r).ok()?;
                    let visible = !locked || rooms.occupant_by_sender(r, &iq.from).is_some();
                    visible.then_some((r, subject))
                });
                let Some((room, subject)) = found else {
                    out.send(iq.error(errors::item_not_found(
                        &service.jid,
                        Some("This room does not exist"),
                    )));
                    continue;
                };
                let (Some(config), Some(roster)) = (rooms.config(room), rooms.roster(room)) else {
                    continue;
                };
                if !info {
                    // §6.5: occupants are not disclosed.
                    out.send(
                        iq.reply(Some(
                            DiscoItemsResult {
                                node: None,
                                items: Vec::new(),
                                rsm: None,
                            }
                            .into(),
                        )),
                    );
                    continue;
                }
                let mut features: Vec<String> =
                    [ns::DISCO_INFO, ns::MUC, ns::PING, SELF_PING_OPTIMIZATION]
                        .iter()
                        .map(|f| f.to_string())
                        .collect();
                features.extend(config.disco_features().iter().map(|f| f.to_string()));
                // Voice requests, registration, seats as XEP-0317 hats, palaver's game namespace,
                // occupant-ids, stanza-ids, moderation and retraction, the archive.
                features.extend(
                    [
                        super::voice::REQUEST,
                        ns::REGISTER,
                        super::player::HATS_NS,
                        super::player::NS,
                        super::occupant_id::NS,
                        ns::SID,
                        super::moderation::MODERATE,
                        super::moderation::RETRACT,
                    ]
                    .map(String::from),
                );
                if config.archiving {
                    features.extend([ns::MAM, super::mam::EXTENDED].map(String::from));
                }
                let name = rooms
                    .rooms
                    .get(room)
                    .map(|(r, c, ..)| display_name(r, c))
                    .unwrap_or_default();
                let subject = (!subject.text.is_empty()).then_some(subject.text.as_str());
                out.send(
                    iq.reply(Some(
                        DiscoInfoResult {
                            node: None,
                            identities: vec![Identity::new("conference", "text", "en", name)],
                            features: features.into_iter().collect(),
                            extensions: vec![roominfo_form(config, subject, roster.len())],
                        }
                        .into(),
                    )),
                );
            }
            IqTarget::Occupant(..) => {}
        }
    }
}

/// The room's name, or its local part when it has none.
pub fn display_name(room: &Room, config: &RoomConfig) -> String {
    if config.name.is_empty() {
        room.jid
            .node()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default()
    } else {
        config.name.clone()
    }
}

#[cfg(test)]
#[path = "tests/disco.rs"]
mod tests;
