//! Several instances, one domain: palaver processes that share one PostgreSQL and connect to the
//! server under the same component domain, the server's router (ejabberd's `domain_balancing`
//! with `type: bare_destination`) sending every stanza for one room to one of them.
//!
//! Each instance's World holds only the rooms it has claimed (`store::claims`). A stanza for a
//! room this instance does not hold waits here while the room is claimed and its stored state
//! loaded (the store's `restore` path, its stored sessions then asked whether they are still
//! there, as after a restart); then it and those that queued behind it go to the engine in
//! order. An instance that finds it lost a room (its write was refused, or the claims table
//! names another holder) drops its copy without writing anything and tells every occupant it
//! was removed (110 + 333), so that their clients rejoin — and land on the new holder.
//!
//! Service-wide questions (the service's disco#items, the ad-hoc room list, the games in
//! progress) are answered from this instance's rooms and the [`Directory`] of the others':
//! every second each instance writes what changed in the listing of the rooms it holds and
//! reads the others' (`store::shared`), so no question waits on the store and every instance
//! gives the same answer, at most a second or two behind. The same poll reads the ratings the
//! others changed, and reserves game record ids in blocks so that no two instances number a
//! record alike.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use bevy_ecs::prelude::*;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::stanza::Stanza;

use crate::engine::{Engine, Outbox, Service};
use crate::muc::room::{RoomIndex, Rooms};
use crate::stanza::Inbound;
use crate::store::shared::Listing;
use crate::store::{Change, Epochs, Store, StoreError, StoredRating, StoredRoom};

/// How often an instance compares the rooms it holds with the claims table.
pub const POLL_EVERY: Duration = Duration::from_secs(1);
/// An instance whose heartbeat is older than this is dead: a live one takes its slots over.
pub const DEAD_AFTER: Duration = Duration::from_secs(5);
/// The most stanzas that may wait for one room's claim.
const MAX_WAITING_PER_ROOM: usize = 256;
/// The most rooms being claimed at once.
const MAX_CLAIMING: usize = 1024;
/// How many game record ids an instance reserves at a time; it reserves the next block when
/// half of one is used.
pub const ID_BLOCK: u64 = 1000;

/// Cluster mode: the rooms the other instances list (as of the last poll), by JID. A room this
/// instance holds is answered from the World even while the store still names another holder.
#[derive(Resource, Debug, Default)]
pub struct Directory(pub Vec<(BareJid, Listing)>);

impl Directory {
    /// The listed rooms this instance does not hold.
    pub fn others<'a>(&'a self, here: &'a RoomIndex) -> impl Iterator<Item = &'a Listing> + 'a {
        self.0
            .iter()
            .filter(|(jid, _)| !here.0.contains_key(jid))
            .map(|(_, l)| l)
    }
}

/// A room this instance holds.
#[derive(Debug, Clone, Copy)]
struct Hold {
    epoch: i64,
    /// The claim's number among this instance's claims: a poll started before it says nothing
    /// about it.
    seq: u64,
}

/// What the claim and poll tasks report to the loop.
pub enum Event {
    Claimed {
        room: BareJid,
        result: Box<Result<(i64, Option<StoredRoom>), StoreError>>,
    },
    Polled {
        seq: u64,
        result: Result<HashMap<String, i64>, StoreError>,
    },
    /// Dead instances this one takes over, with how many connections each had.
    TookOver(Result<Vec<(String, i64)>, StoreError>),
    /// This instance's listing written (or not), and what the others list.
    Listed {
        published: Result<(), StoreError>,
        others: Result<Vec<Listing>, StoreError>,
    },
    /// The ratings changed since the last poll, and the newest version among them.
    Ratings(Result<(Vec<StoredRating>, i64), StoreError>),
    /// A block of game record ids reserved for this instance.
    Ids(Result<(u64, u64), StoreError>),
    /// The other live instances, with their connection counts.
    Alive(Result<HashMap<String, i64>, StoreError>),
    /// Connection slots other instances freed for this one.
    Freed(Result<i64, StoreError>),
}

/// The service's side of cluster mode.
pub struct Cluster {
    store: Store,
    held: HashMap<BareJid, Hold>,
    claiming: HashMap<BareJid, VecDeque<(Inbound, SystemTime)>>,
    claims: u64,
    polling: bool,
    tx: mpsc::UnboundedSender<Event>,
    rx: Option<mpsc::UnboundedReceiver<Event>>,
    /// How many connections this instance has to the server (said in its heartbeat).
    links: usize,
    /// Opens and closes spare connections (`link::Link::spare`).
    spare: Option<mpsc::UnboundedSender<crate::link::Spare>>,
    /// Spare connections opened to take over dead instances' slots, still open.
    spares: usize,
    /// The other live instances as of the last poll.
    alive: HashSet<String>,
    /// The listing of this instance's rooms as last written; `None`: to be written whole.
    published: Option<HashMap<String, Listing>>,
    /// The newest ratings version read.
    ratings_version: i64,
    /// A block of record ids is being reserved.
    reserving: bool,
}

impl Cluster {
    /// `store` must have an instance id (`Store::with_instance`).
    pub fn new(store: Store) -> Cluster {
        let (tx, rx) = mpsc::unbounded_channel();
        Cluster {
            store,
            held: HashMap::new(),
            claiming: HashMap::new(),
            claims: 0,
            polling: false,
            tx,
            rx: Some(rx),
            links: 1,
            spare: None,
            spares: 0,
            alive: HashSet::new(),
            published: None,
            ratings_version: 0,
            reserving: false,
        }
    }

    /// Before serving: stored rooms nobody lists yet (stored before listings existed) are listed
    /// as held by nobody, and this instance's first block of record ids is reserved.
    pub async fn prepare(&mut self, engine: &mut Engine) -> Result<(), StoreError> {
        let unlisted: Vec<Listing> = self
            .store
            .unlisted()
            .await?
            .into_iter()
            .filter_map(|(jid, config)| {
                let room: BareJid = jid.parse().ok()?;
                let config: crate::muc::config::RoomConfig = ron::from_str(&config).ok()?;
                let name = if config.name.is_empty() {
                    room.node()
                        .map(|n| n.as_str().to_owned())
                        .unwrap_or_default()
                } else {
                    config.name.clone()
                };
                Some(Listing {
                    room: jid,
                    persistent: true,
                    public: config.public,
                    name,
                    occupants: 0,
                    game: None,
                    playing: false,
                    status: None,
                })
            })
            .collect();
        if !unlisted.is_empty() {
            self.store.list_unheld(&unlisted).await?;
            info!(rooms = unlisted.len(), "stored rooms listed");
        }
        let service = service_domain(engine);
        let (first, last) = self.store.reserve_ids(&service, ID_BLOCK).await?;
        engine
            .world_mut()
            .resource_mut::<crate::play::records::Records>()
            .add_block(first, last);
        engine.world_mut().init_resource::<Directory>();
        Ok(())
    }

    /// Connections to the server: `links` at the start, and `spare` to open more when this
    /// instance takes over a dead one's slots.
    pub fn with_links(
        mut self,
        links: usize,
        spare: mpsc::UnboundedSender<crate::link::Spare>,
    ) -> Cluster {
        self.links = links.max(1);
        self.spare = Some(spare);
        self
    }

    /// The claim and poll results, for the loop to wait on (taken once).
    pub fn events(&mut self) -> Option<mpsc::UnboundedReceiver<Event>> {
        self.rx.take()
    }

    /// Whether this instance holds `room` now.
    pub fn holds(&self, room: &BareJid) -> bool {
        self.held.contains_key(room)
    }

    /// Takes one inbound stanza: to the engine at once, unless it is for a room this instance
    /// does not hold; then it waits for the room's claim.
    pub fn take_in(&mut self, engine: &mut Engine, inbound: Inbound, now: SystemTime) {
        let Some(room) = room_of(engine, &inbound) else {
            engine.push(inbound, now);
            return;
        };
        if self.held.contains_key(&room) {
            engine.push(inbound, now);
            return;
        }
        let by = engine.world().resource::<Service>().jid.clone();
        if let Some(waiting) = self.claiming.get_mut(&room) {
            if waiting.len() >= MAX_WAITING_PER_ROOM {
                let text = "The room is being loaded; too many stanzas wait for it.";
                engine.refuse(
                    &inbound,
                    crate::stanza::errors::resource_constraint(&by, Some(text)),
                );
            } else {
                waiting.push_back((inbound, now));
            }
            return;
        }
        if !claims(&inbound) {
            // An answer or an error to a room held nowhere here: nothing to load it for.
            engine.push(inbound, now);
            return;
        }
        if self.claiming.len() >= MAX_CLAIMING {
            let text = "Too many rooms are being loaded; try again shortly.";
            engine.refuse(
                &inbound,
                crate::stanza::errors::resource_constraint(&by, Some(text)),
            );
            return;
        }
        debug!(%room, "claiming");
        self.claiming
            .insert(room.clone(), VecDeque::from([(inbound, now)]));
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = Box::new(store.claim(room.as_str()).await);
            let _ = tx.send(Event::Claimed { room, result });
        });
    }

    /// Asks the store which rooms it says this instance holds (one question at a time), writes
    /// what changed in this instance's listing and reads the others', reads the ratings changed
    /// since the last poll, and says this instance is alive.
    pub fn poll(&mut self, engine: &mut Engine) {
        if self.polling {
            return;
        }
        self.polling = true;
        let seq = self.claims;
        let store = self.store.clone();
        let tx = self.tx.clone();
        let links = self.links;
        let (put, gone, whole) = self.listing_changes(engine);
        let service = service_domain(engine);
        let version = self.ratings_version;
        self.reserve_ids(engine);
        tokio::spawn(async move {
            let result = store.held().await;
            let _ = tx.send(Event::Polled { seq, result });
            let published = store.publish(&put, &gone, whole).await;
            let others = store.listings().await;
            let _ = tx.send(Event::Listed { published, others });
            let _ = tx.send(Event::Ratings(store.ratings_since(&service, version).await));
            let _ = tx.send(Event::TookOver(store.beat(links, DEAD_AFTER).await));
            let _ = tx.send(Event::Alive(store.alive(DEAD_AFTER).await));
            let _ = tx.send(Event::Freed(store.freed_slots().await));
        });
    }

    /// Other instances came (a dead one back, or a new one): the spare connections this one
    /// opened to take over dead instances' slots are closed, up to as many as each newcomer
    /// has connections, and the newcomer told to open new ones — ejabberd hands a freed slot
    /// only to a connection made after it was freed, so the newcomer's first connections,
    /// made while every slot was taken, stay idle.
    fn welcome(&mut self, alive: HashMap<String, i64>) {
        let came: Vec<(String, i64)> = alive
            .iter()
            .filter(|(id, _)| !self.alive.contains(*id))
            .map(|(id, links)| (id.clone(), *links))
            .collect();
        self.alive = alive.into_keys().collect();
        let Some(spare) = &self.spare else {
            return;
        };
        for (id, links) in came {
            let count = usize::try_from(links).unwrap_or(0).max(1).min(self.spares);
            if count == 0 {
                continue;
            }
            info!(
                instance = %id,
                links = count,
                "an instance came; handing it the slots this one took over"
            );
            for _ in 0..count {
                let _ = spare.send(crate::link::Spare::Close);
            }
            self.spares -= count;
            self.links = self.links.saturating_sub(count).max(1);
            let store = self.store.clone();
            tokio::spawn(async move {
                // Give the server a moment to free the slots before the newcomer connects.
                tokio::time::sleep(Duration::from_millis(200)).await;
                if let Err(e) = store.hand_slots(&id, count as i64).await {
                    warn!(instance = %id, "cannot hand the slots over: {e}");
                }
            });
        }
    }

    /// What changed in the listing of the rooms held here since it was last written: rows to
    /// write, rooms to unlist, and whether the listing is written whole.
    fn listing_changes(&mut self, engine: &mut Engine) -> (Vec<Listing>, Vec<String>, bool) {
        let now: Vec<Listing> = match engine
            .world_mut()
            .run_system_cached(crate::play::lobby::listings)
        {
            Ok(now) => now,
            Err(e) => {
                warn!("cannot list the rooms: {e}");
                return (Vec::new(), Vec::new(), false);
            }
        };
        let whole = self.published.is_none();
        let before = self.published.take().unwrap_or_default();
        let put: Vec<Listing> = now
            .iter()
            .filter(|l| before.get(&l.room) != Some(*l))
            .cloned()
            .collect();
        let here: HashSet<&str> = now.iter().map(|l| l.room.as_str()).collect();
        let gone: Vec<String> = before
            .keys()
            .filter(|room| !here.contains(room.as_str()))
            .cloned()
            .collect();
        self.published = Some(now.into_iter().map(|l| (l.room.clone(), l)).collect());
        (put, gone, whole)
    }

    /// Reserves the next block of record ids once half of the current one is used.
    fn reserve_ids(&mut self, engine: &Engine) {
        let left = engine
            .world()
            .resource::<crate::play::records::Records>()
            .ids_left();
        if self.reserving || left.is_none_or(|left| left > ID_BLOCK / 2) {
            return;
        }
        self.reserving = true;
        let store = self.store.clone();
        let tx = self.tx.clone();
        let service = service_domain(engine);
        tokio::spawn(async move {
            let _ = tx.send(Event::Ids(store.reserve_ids(&service, ID_BLOCK).await));
        });
    }

    /// Acts on a claim or poll result; the loop ticks afterwards.
    pub fn on_event(&mut self, engine: &mut Engine, event: Event) {
        match event {
            Event::Claimed { room, result } => self.claimed(engine, room, *result),
            Event::TookOver(Ok(taken)) => {
                for (dead, links) in taken {
                    self.take_over(&dead, links)
                }
            }
            Event::TookOver(Err(e)) => warn!("cannot say this instance is alive: {e}"),
            Event::Listed { published, others } => {
                if let Err(e) = published {
                    warn!("cannot write this instance's rooms: {e}");
                    // Written whole at the next poll.
                    self.published = None;
                }
                match others {
                    Ok(others) => {
                        let listed = others
                            .into_iter()
                            .filter_map(|l| Some((l.room.parse::<BareJid>().ok()?, l)))
                            .collect();
                        engine.world_mut().insert_resource(Directory(listed));
                    }
                    Err(e) => warn!("cannot read the other instances' rooms: {e}"),
                }
            }
            Event::Ratings(Ok((changed, version))) => {
                self.ratings_version = self.ratings_version.max(version);
                if !changed.is_empty() {
                    crate::play::ratings::restore(
                        &mut engine
                            .world_mut()
                            .resource_mut::<crate::play::ratings::Ratings>(),
                        changed,
                    );
                }
            }
            Event::Ratings(Err(e)) => warn!("cannot read the ratings: {e}"),
            Event::Alive(Ok(alive)) => self.welcome(alive),
            Event::Alive(Err(e)) => warn!("cannot read which instances are alive: {e}"),
            Event::Freed(Ok(count)) if count > 0 => {
                if let Some(spare) = &self.spare {
                    let count = usize::try_from(count)
                        .unwrap_or(0)
                        .min(crate::link::MAX_SPARES);
                    info!(
                        links = count,
                        "slots were freed for this instance; connecting"
                    );
                    for _ in 0..count {
                        let _ = spare.send(crate::link::Spare::Open);
                    }
                    self.links += count;
                }
            }
            Event::Freed(Ok(_)) => {}
            Event::Freed(Err(e)) => warn!("cannot read the slots freed for this instance: {e}"),
            Event::Ids(result) => {
                self.reserving = false;
                match result {
                    Ok((first, last)) => engine
                        .world_mut()
                        .resource_mut::<crate::play::records::Records>()
                        .add_block(first, last),
                    Err(e) => warn!("cannot reserve game record ids: {e}"),
                }
            }
            Event::Polled { seq, result } => {
                self.polling = false;
                match result {
                    Ok(store_says) => self.compare(engine, seq, &store_says),
                    Err(e) => warn!("cannot read the room claims: {e}"),
                }
            }
        }
    }

    /// ejabberd keeps a dead connection's slot (`component_number`) free until a new connection
    /// comes, and drops what it routes there meanwhile: this instance opens as many new
    /// connections as the dead one had, which take its slots (those that find none free stay
    /// idle). Its rooms are then claimed here at their next stanza.
    fn take_over(&mut self, dead: &str, links: i64) {
        let Some(spare) = &self.spare else {
            return;
        };
        let count = usize::try_from(links)
            .unwrap_or(0)
            .clamp(1, crate::link::MAX_SPARES);
        info!(
            instance = dead,
            links = count,
            "an instance is silent; taking over its connections' slots"
        );
        for _ in 0..count {
            let _ = spare.send(crate::link::Spare::Open);
        }
        self.links += count;
        self.spares += count;
    }

    fn claimed(
        &mut self,
        engine: &mut Engine,
        room: BareJid,
        result: Result<(i64, Option<StoredRoom>), StoreError>,
    ) {
        let waiting = self.claiming.remove(&room).unwrap_or_default();
        match result {
            Ok((epoch, stored)) => {
                self.claims += 1;
                self.held.insert(
                    room.clone(),
                    Hold {
                        epoch,
                        seq: self.claims,
                    },
                );
                let in_world = engine.world().resource::<RoomIndex>().0.contains_key(&room);
                match stored {
                    Some(stored) if !in_world => {
                        let sessions = !stored.occupants.is_empty();
                        let loaded = crate::store::capture::restore(
                            engine,
                            vec![stored],
                            chrono::Utc::now(),
                        );
                        info!(%room, epoch, loaded, "room claimed and loaded");
                        if sessions {
                            engine
                                .world_mut()
                                .write_message(crate::muc::liveness::AskStored);
                        }
                    }
                    _ => debug!(%room, epoch, "room claimed"),
                }
                for (inbound, at) in waiting {
                    engine.push(inbound, at);
                }
            }
            Err(e) => {
                warn!(%room, "cannot claim the room: {e}");
                let by = engine.world().resource::<Service>().jid.clone();
                for (inbound, _) in waiting {
                    let text = "The room cannot be loaded now; try again shortly.";
                    engine.refuse(
                        &inbound,
                        crate::stanza::errors::internal_server_error(&by, Some(text)),
                    );
                }
            }
        }
    }

    /// Compares what this instance holds with what the store says: rooms claimed by others are
    /// dropped; rooms gone from the World (emptied, destroyed, never made) are given up.
    fn compare(&mut self, engine: &mut Engine, seq: u64, store_says: &HashMap<String, i64>) {
        let lost: Vec<(String, i64)> = self
            .held
            .iter()
            .filter(|(room, hold)| {
                hold.seq <= seq && store_says.get(room.as_str()) != Some(&hold.epoch)
            })
            .map(|(room, hold)| (room.to_string(), hold.epoch))
            .collect();
        self.lost(engine, &lost);
        // Only when nothing waits in the engine: a queued join may be about to make the room.
        if engine.pending() > 0 {
            return;
        }
        let index = &engine.world().resource::<RoomIndex>().0;
        let gone: Vec<(BareJid, i64)> = self
            .held
            .iter()
            .filter(|(room, _)| !index.contains_key(*room))
            .map(|(room, hold)| (room.clone(), hold.epoch))
            .collect();
        for (room, epoch) in gone {
            self.held.remove(&room);
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.release(room.as_str(), epoch).await {
                    warn!(%room, "cannot give the room up: {e}");
                }
            });
        }
    }

    /// Rooms another instance took (at the epochs this one held them): dropped here, their
    /// occupants told they were removed (333). A room claimed again since is kept.
    pub fn lost(&mut self, engine: &mut Engine, lost: &[(String, i64)]) {
        let mut drop = Vec::new();
        for (room, epoch) in lost {
            let Ok(jid) = room.parse::<BareJid>() else {
                continue;
            };
            if self.held.get(&jid).is_some_and(|h| h.epoch == *epoch) {
                self.held.remove(&jid);
                info!(room = %jid, epoch, "another instance holds the room now; dropping it");
                drop.push(jid);
            }
        }
        if !drop.is_empty()
            && let Err(e) = engine.world_mut().run_system_cached_with(hand_over, drop)
        {
            warn!("cannot drop rooms: {e}");
        }
    }

    /// The epochs at which this instance holds the rooms `changes` touch.
    pub fn epochs(&self, changes: &[Change]) -> Epochs {
        changes
            .iter()
            .filter_map(Change::room)
            .filter_map(|room| {
                let jid = room.parse::<BareJid>().ok()?;
                self.held.get(&jid).map(|h| (room.to_owned(), h.epoch))
            })
            .collect()
    }

    /// Gives up every room (the instance stops), and leaves its slots to the others.
    pub async fn release_all(&self) {
        if let Err(e) = self.store.release_all().await {
            warn!("cannot give up the rooms: {e}");
        }
        if let Err(e) = self.store.leave().await {
            warn!("cannot say this instance stops: {e}");
        }
    }
}

/// The service's domain, which keys its records and ratings in the store.
fn service_domain(engine: &Engine) -> String {
    engine
        .world()
        .resource::<Service>()
        .settings
        .domain
        .to_string()
}

/// The room an inbound stanza is addressed to, if it is one of this service's.
fn room_of(engine: &Engine, inbound: &Inbound) -> Option<BareJid> {
    let (_, to) = inbound.addresses();
    let to: Jid = to?.parse().ok()?;
    let service = engine.world().resource::<Service>();
    (to.node().is_some() && to.domain() == service.settings.domain.domain()).then(|| to.to_bare())
}

/// Whether a stanza to a room not held here is worth claiming the room for: requests, messages
/// and presences are; answers and errors are not.
fn claims(inbound: &Inbound) -> bool {
    use xmpp_parsers::iq::Iq;
    use xmpp_parsers::message::MessageType;
    use xmpp_parsers::presence::Type;
    match inbound {
        Inbound::Invalid(_) => false,
        Inbound::Stanza(s) => match s.as_ref() {
            Stanza::Iq(iq) => matches!(iq, Iq::Get { .. } | Iq::Set { .. }),
            Stanza::Message(m) => m.type_ != MessageType::Error,
            Stanza::Presence(p) => p.type_ != Type::Error,
        },
    }
}

/// Drops rooms without touching the store: every occupant's sessions are told they were removed
/// (110 + 333, §11.1's technical removal), then the room and its occupants are despawned.
fn hand_over(In(jids): In<Vec<BareJid>>, mut rooms: Rooms, mut out: ResMut<Outbox>) {
    for jid in jids {
        let Some(room) = rooms.find(&jid) else {
            continue;
        };
        for occupant in rooms.occupants_of(room) {
            let id = occupant.occupant_id.clone();
            for session in occupant.session_jids() {
                out.send(crate::muc::liveness::left_with_333(
                    &occupant.occupant_jid,
                    &id,
                    session,
                    true,
                ));
            }
            rooms.remove_occupant(room, &occupant);
        }
        rooms.destroy_room(room);
    }
}

#[cfg(test)]
mod tests;
