//! The engine: one bevy_ecs [`World`] that owns every room and occupant, and one [`Schedule`]
//! whose systems, grouped by feature in [`Phase`] order, turn inbound stanzas into outbound ones.
//!
//! A tick drains the inbound queue in *rounds*: a round holds at most one stanza per room and per
//! sender, so that within a schedule run no system has to see the deferred effects of another
//! stanza to the same room, and every sender's stanzas keep their order.

pub mod route;

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use bevy_ecs::message::{Message, MessageRegistry, message_update_system};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::ScheduleLabel;
use chrono::{DateTime, Utc};
use tracing::{debug, debug_span};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::stanza::Stanza;

use crate::stanza::Inbound;

/// The service-wide settings the engine needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The component's domain, e.g. `conference.example.org`.
    pub domain: BareJid,
    /// Service administrators: they act as owners in every room.
    pub admins: Vec<BareJid>,
    /// How long a newly created room may stay locked before it is destroyed.
    pub lock_timeout: Duration,
    /// Upper bound of any room's `historylength`.
    pub max_history: u32,
    /// How many inbound stanzas one tick takes at most.
    pub max_batch: usize,
    /// How long a seated player who left keeps the seat (game rooms).
    pub seat_grace: Duration,
}

impl Settings {
    pub fn new(domain: BareJid) -> Settings {
        Settings {
            domain,
            admins: Vec::new(),
            lock_timeout: Duration::from_secs(300),
            max_history: 200,
            max_batch: 256,
            seat_grace: Duration::from_secs(60),
        }
    }
}

/// The settings as a resource, plus the domain as a [`Jid`] for `from`/`by` attributes.
#[derive(Resource, Debug, Clone)]
pub struct Service {
    pub settings: Settings,
    pub jid: Jid,
}

impl Service {
    pub fn is_admin(&self, jid: &BareJid) -> bool {
        self.settings.admins.iter().any(|a| a == jid)
    }
}

/// The wall-clock time of the current tick; systems never read the clock themselves.
#[derive(Resource, Debug, Clone, Copy)]
pub struct Now(pub DateTime<Utc>);

/// Stanzas this round takes in, in arrival order.
#[derive(Resource, Default, Debug)]
pub struct Inbox(pub Vec<Inbound>);

/// Stanzas produced so far this tick, in the order they must be written.
#[derive(Resource, Default, Debug)]
pub struct Outbox(pub Vec<Stanza>);

impl Outbox {
    pub fn send(&mut self, stanza: impl Into<Stanza>) {
        let stanza = stanza.into();
        // Occupants the service plays itself (game rooms) have nobody to deliver to.
        if to_house(&stanza) {
            return;
        }
        self.0.push(stanza);
    }
    pub fn send_opt(&mut self, stanza: Option<Stanza>) {
        if let Some(stanza) = stanza {
            self.send(stanza);
        }
    }
}

fn to_house(stanza: &Stanza) -> bool {
    let to = match stanza {
        Stanza::Message(m) => m.to.as_ref(),
        Stanza::Presence(p) => p.to.as_ref(),
        Stanza::Iq(iq) => crate::stanza::iq_addresses(iq).1,
    };
    to.is_some_and(crate::muc::player::is_house)
}

/// The earliest time a timed system wants to run again; systems lower it, the engine resets it.
#[derive(Resource, Default, Debug)]
pub struct Wakeup(pub Option<DateTime<Utc>>);

impl Wakeup {
    pub fn at(&mut self, when: DateTime<Utc>) {
        self.0 = Some(self.0.map_or(when, |w| w.min(when)));
    }
}

/// The phases a stanza goes through, in order. Features put their systems in these sets.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Typed parse and addressing: inbound stanzas become feature messages.
    Route,
    /// Presence classification: join requests, leaves, nick and status changes.
    Presence,
    /// Checks that may refuse a join (lock, nick, limits, …).
    PreJoin,
    /// Joins are carried out.
    Join,
    /// Occupants leave, change nick or status.
    Occupancy,
    /// IQs to the service and rooms (disco, owner, admin, ping).
    Iq,
    /// Groupchat and private messages, subject changes.
    Messages,
    /// Work driven by time rather than stanzas.
    Timers,
    /// Rooms with nobody left are cleaned up.
    Cleanup,
}

/// The one schedule run per round.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tick;

/// A feature of the service: registers its resources, messages and systems.
pub trait Feature {
    fn build(&self, engine: &mut EngineBuilder);
}

/// What a [`Feature`] gets to register into.
pub struct EngineBuilder {
    pub world: World,
    pub schedule: Schedule,
}

impl EngineBuilder {
    pub fn add_message<M: Message>(&mut self) -> &mut Self {
        MessageRegistry::register_message::<M>(&mut self.world);
        self
    }
    pub fn add_systems<M>(
        &mut self,
        systems: impl bevy_ecs::schedule::IntoScheduleConfigs<bevy_ecs::system::ScheduleSystem, M>,
    ) -> &mut Self {
        self.schedule.add_systems(systems);
        self
    }
    pub fn add_feature(&mut self, feature: impl Feature) -> &mut Self {
        feature.build(self);
        self
    }
    /// A system run once when the service shuts down (its stanzas are the last sent).
    pub fn on_shutdown<M>(&mut self, system: impl IntoSystem<(), (), M> + 'static) -> &mut Self {
        let id = self.world.register_system(system);
        self.world
            .get_resource_or_init::<ShutdownHooks>()
            .0
            .push(id);
        self
    }
}

/// Systems that run once at shutdown, in registration order.
#[derive(Resource, Default)]
pub struct ShutdownHooks(Vec<bevy_ecs::system::SystemId>);

pub struct Engine {
    world: World,
    schedule: Schedule,
    queue: VecDeque<Inbound>,
}

impl Engine {
    /// An engine with every feature of the service registered.
    pub fn new(settings: Settings) -> Engine {
        let mut builder = Engine::builder(settings);
        crate::muc::register(&mut builder);
        builder.add_feature(crate::play::PlayPlugin);
        builder.add_feature(crate::store::capture::CapturePlugin);
        Engine::from_builder(builder)
    }

    /// The bare engine: routing and the phase order, no features.
    pub fn builder(settings: Settings) -> EngineBuilder {
        let mut world = World::new();
        let jid = Jid::from(settings.domain.clone());
        world.insert_resource(Service { settings, jid });
        world.insert_resource(Now(DateTime::<Utc>::UNIX_EPOCH));
        world.init_resource::<Inbox>();
        world.init_resource::<Outbox>();
        world.init_resource::<Wakeup>();
        let mut schedule = Schedule::new(Tick);
        // Rounds are small and the phases are a chain: handing systems to a thread pool costs
        // more than it gains, and one thread keeps the second core for the link.
        schedule.set_executor(bevy_ecs::schedule::SingleThreadedExecutor::new());
        schedule.configure_sets(
            (
                Phase::Route,
                Phase::Presence,
                Phase::PreJoin,
                Phase::Join,
                Phase::Occupancy,
                Phase::Iq,
                Phase::Messages,
                Phase::Timers,
                Phase::Cleanup,
            )
                .chain(),
        );
        schedule.add_systems(message_update_system.after(Phase::Cleanup));
        let mut builder = EngineBuilder { world, schedule };
        builder.add_feature(route::RoutePlugin);
        builder
    }

    pub fn from_builder(builder: EngineBuilder) -> Engine {
        Engine {
            world: builder.world,
            schedule: builder.schedule,
            queue: VecDeque::new(),
        }
    }

    /// Queues one inbound stanza for the next tick.
    pub fn push(&mut self, inbound: Inbound) {
        self.queue.push_back(inbound);
    }

    /// How many stanzas wait for a tick.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Runs one tick at `now`: up to `max_batch` queued stanzas in rounds (or one round with none,
    /// for timers), and returns what they produced, in order.
    pub fn tick(&mut self, now: SystemTime) -> Vec<Stanza> {
        self.world.insert_resource(Now(DateTime::<Utc>::from(now)));
        self.world.resource_mut::<Wakeup>().0 = None;
        let max_batch = self.world.resource::<Service>().settings.max_batch;
        let mut budget = max_batch.min(self.queue.len());
        if budget == 0 {
            self.run_round(Vec::new());
        }
        while budget > 0 {
            let round = self.take_round(budget);
            budget -= round.len();
            self.run_round(round);
        }
        std::mem::take(&mut self.world.resource_mut::<Outbox>().0)
    }

    /// Runs the shutdown hooks at `now` and returns their stanzas (§11.2's farewells).
    pub fn shutdown(&mut self, now: SystemTime) -> Vec<Stanza> {
        self.world.insert_resource(Now(DateTime::<Utc>::from(now)));
        let hooks = self
            .world
            .get_resource::<ShutdownHooks>()
            .map(|h| h.0.clone())
            .unwrap_or_default();
        for id in hooks {
            if let Err(e) = self.world.run_system(id) {
                tracing::warn!("a shutdown hook failed: {e}");
            }
        }
        std::mem::take(&mut self.world.resource_mut::<Outbox>().0)
    }

    /// The changes to persistent rooms since the last call, for the store.
    pub fn take_store_changes(&mut self) -> Vec<crate::store::Change> {
        self.world
            .get_resource_mut::<crate::store::capture::StoreQueue>()
            .map(|mut q| std::mem::take(&mut q.0))
            .unwrap_or_default()
    }

    /// When the engine next needs a tick although no stanza arrives.
    pub fn next_deadline(&self) -> Option<SystemTime> {
        self.world
            .resource::<Wakeup>()
            .0
            .map(|t| SystemTime::from(t).max(SystemTime::UNIX_EPOCH))
    }

    /// Read access to the state, for tests and diagnostics.
    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// The longest prefix of the queue (up to `budget`) with no room and no sender twice.
    fn take_round(&mut self, budget: usize) -> Vec<Inbound> {
        let mut seen = HashSet::new();
        let mut round = Vec::new();
        while round.len() < budget {
            let Some(next) = self.queue.front() else {
                break;
            };
            let (from, to) = next.addresses();
            let room = to.map(|t| t.split('/').next().unwrap_or_default().to_owned());
            let keys = [
                from.map(|f| format!("f:{f}")),
                room.map(|r| format!("r:{r}")),
            ];
            if !round.is_empty() && keys.iter().flatten().any(|k| seen.contains(k)) {
                break;
            }
            seen.extend(keys.into_iter().flatten());
            if let Some(inbound) = self.queue.pop_front() {
                round.push(inbound);
            }
        }
        round
    }

    fn run_round(&mut self, round: Vec<Inbound>) {
        let span = if round.len() == 1 {
            let (from, to) = round[0].addresses();
            debug_span!("stanza", from = from.as_deref(), to = to.as_deref())
        } else {
            debug_span!("round", stanzas = round.len())
        };
        let _enter = span.enter();
        if round.len() > 1 {
            debug!("running a round");
        }
        self.world.resource_mut::<Inbox>().0 = round;
        self.schedule.run(&mut self.world);
    }
}
