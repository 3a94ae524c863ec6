//! The engine: one bevy_ecs [`World`] that owns every room and occupant, and one [`Schedule`]
//! whose systems, grouped by feature in [`Phase`] order, turn inbound stanzas into outbound ones.
//!
//! Stanzas wait in one queue per sender ([`queue`]), admitted first by the features' allowances
//! ([`EngineBuilder::admit`]). A tick drains the queue in *rounds*: a round holds at most one
//! stanza per room and per sender, senders in turn, so that within a schedule run no system has
//! to see the deferred effects of another stanza to the same room, every sender's stanzas keep
//! their order, and no sender's flood delays the others.

pub mod bounds;
pub mod queue;
pub mod route;

use std::time::{Duration, SystemTime};

use bevy_ecs::message::{Message, MessageRegistry, message_update_system};
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::ScheduleLabel;
use chrono::{DateTime, Utc};
use tracing::{debug, debug_span};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::stanza::Stanza;
use xmpp_parsers::stanza_error::StanzaError;

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
    /// How many stanzas of one sender may wait; more are refused with `resource-constraint`.
    pub max_queued_per_sender: usize,
    /// How long each user-controlled field may be.
    pub bounds: bounds::Bounds,
    /// How long a seated player who left keeps the seat (game rooms).
    pub seat_grace: Duration,
    /// How many messages a room's archive (XEP-0313) keeps at most, the oldest going first.
    pub max_archive: usize,
    /// How many days a room's archive keeps a message at most (rooms may keep fewer).
    pub archive_days: u32,
}

impl Settings {
    pub fn new(domain: BareJid) -> Settings {
        Settings {
            domain,
            admins: Vec::new(),
            lock_timeout: Duration::from_secs(300),
            max_history: 200,
            max_batch: 256,
            max_queued_per_sender: 256,
            bounds: bounds::Bounds::default(),
            seat_grace: Duration::from_secs(60),
            max_archive: 1000,
            archive_days: 30,
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

/// Outbound stanzas after which a tick starts no further round: a flood into a crowded room
/// (300 messages to 1,000 occupants) would otherwise build every copy of every message, 300,000
/// stanza trees, before the first is written.
pub const MAX_TICK_OUT: usize = 16_384;

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

/// A connection to the server came up (after a start or a reconnect): sessions may have gone
/// while it was down.
#[derive(Message, Debug, Clone, Copy)]
pub struct LinkUp;

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

/// A feature's say on whether an inbound stanza is taken at all, asked when it arrives: `Err`
/// refuses it with that error before it is queued (a sender over its allowance). Answers,
/// errors and leaves are never asked about: they are always taken.
pub type Admit = fn(&mut World, &Inbound, DateTime<Utc>) -> Result<(), Box<StanzaError>>;

#[derive(Resource, Default)]
struct Admissions(Vec<Admit>);

impl EngineBuilder {
    /// Lets `admit` refuse inbound stanzas before they are queued.
    pub fn admit(&mut self, admit: Admit) -> &mut Self {
        self.world
            .get_resource_or_init::<Admissions>()
            .0
            .push(admit);
        self
    }
}

pub struct Engine {
    world: World,
    schedule: Schedule,
    queue: queue::InboundQueue,
    /// Refusals made when stanzas arrived, sent with the next tick's stanzas (first).
    refused: Vec<Stanza>,
    /// The time of the last tick: held-back rounds never go before it.
    last_now: DateTime<Utc>,
}

impl Engine {
    /// An engine with every feature of the service registered.
    pub fn new(settings: Settings) -> Engine {
        let mut builder = Engine::builder(settings);
        crate::muc::register(&mut builder);
        builder.add_feature(crate::play::PlayPlugin);
        builder.add_feature(crate::adhoc::AdhocPlugin);
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
        world.init_resource::<queue::PendingLeaves>();
        world.init_resource::<Admissions>();
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
            queue: queue::InboundQueue::default(),
            refused: Vec::new(),
            last_now: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    /// Takes one inbound stanza that arrived at `now` into its sender's queue, unless the sender
    /// already has too many waiting or a feature's allowance refuses it; a refusal is answered
    /// with the next tick.
    pub fn push(&mut self, inbound: Inbound, now: SystemTime) {
        let (from, _) = inbound.addresses();
        let sender = from.unwrap_or_default();
        if asks(&inbound)
            && let Err(error) = self.admit(&sender, &inbound, DateTime::<Utc>::from(now))
        {
            debug!(from = %sender, condition = ?error.defined_condition, "refused on arrival");
            if let Some(reply) = crate::stanza::refusal(&inbound, *error) {
                self.refused.push(reply);
            }
            return;
        }
        let mut leaves = self.world.resource_mut::<queue::PendingLeaves>();
        self.queue.push(sender, inbound, &mut leaves);
    }

    /// Refuses `inbound` with `error` without queueing it; the refusal goes with the next tick.
    pub fn refuse(&mut self, inbound: &Inbound, error: StanzaError) {
        if let Some(reply) = crate::stanza::refusal(inbound, error) {
            self.refused.push(reply);
        }
    }

    fn admit(
        &mut self,
        sender: &str,
        inbound: &Inbound,
        now: DateTime<Utc>,
    ) -> Result<(), Box<StanzaError>> {
        let service = self.world.resource::<Service>();
        if self.queue.queued_from(sender) >= service.settings.max_queued_per_sender {
            return Err(Box::new(crate::stanza::errors::resource_constraint(
                &service.jid,
                Some("Too many of your stanzas are waiting; this one was not taken. Slow down."),
            )));
        }
        let admissions = self.world.resource::<Admissions>().0.clone();
        for admit in admissions {
            admit(&mut self.world, inbound, now)?;
        }
        Ok(())
    }

    /// A connection to the server came up: the next tick's features learn it ([`LinkUp`]).
    pub fn link_up(&mut self) {
        self.world.write_message(LinkUp);
    }

    /// How many stanzas wait for a tick (refusals waiting to be sent included).
    pub fn pending(&self) -> usize {
        self.queue.len() + self.refused.len()
    }

    /// Runs one tick at `now`: up to `max_batch` queued stanzas in rounds (or one round with none,
    /// for timers), and returns what they produced, in order. No further round starts once the
    /// tick has produced [`MAX_TICK_OUT`] stanzas: the rest wait, in order, for the next tick.
    ///
    /// When a deadline the timers asked for has passed, the rounds holding stanzas run with the
    /// clock held just before it, and one more round then runs the timers at `now`: what was
    /// queued before a deadline is handled before that deadline fires (a move sent in time is in
    /// time, even if the service was too busy, or stopped, to read it then).
    pub fn tick(&mut self, now: SystemTime) -> Vec<Stanza> {
        let now = DateTime::<Utc>::from(now);
        let deadline = self.world.resource::<Wakeup>().0;
        self.world.resource_mut::<Wakeup>().0 = None;
        let max_batch = self.world.resource::<Service>().settings.max_batch;
        let mut budget = max_batch.min(self.queue.len());
        let mut out = std::mem::take(&mut self.refused);
        let mut held_back = false;
        let stanzas = budget > 0;
        while budget > 0 && self.world.resource::<Outbox>().0.len() < MAX_TICK_OUT {
            let mut leaves = self.world.resource_mut::<queue::PendingLeaves>();
            let round = self.queue.take_round(budget, &mut leaves);
            budget = budget.saturating_sub(round.len().max(1));
            let due = self
                .world
                .resource::<Wakeup>()
                .0
                .into_iter()
                .chain(deadline)
                .min()
                .filter(|d| *d <= now);
            let at = match due {
                Some(d) => {
                    held_back = true;
                    (d - chrono::Duration::milliseconds(1)).max(self.last_now)
                }
                None => now,
            };
            self.run_round(round, at);
        }
        // Timers alone (or after stanzas handled before a due deadline) at the true time.
        if held_back || !stanzas {
            self.run_round(Vec::new(), now);
        }
        self.last_now = now;
        // The outbox's vector itself goes out (not its contents into another): a burst's
        // capacity must not stay with the engine after the burst.
        let mut produced = std::mem::take(&mut self.world.resource_mut::<Outbox>().0);
        if out.is_empty() {
            return produced;
        }
        out.append(&mut produced);
        out
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

    fn run_round(&mut self, round: Vec<Inbound>, at: DateTime<Utc>) {
        self.world.insert_resource(Now(at));
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
        let produced = self.world.resource::<Outbox>().0.len();
        let senders: Vec<String> = if self.world.resource::<queue::PendingLeaves>().0.is_empty() {
            Vec::new()
        } else {
            round.iter().filter_map(|i| i.addresses().0).collect()
        };
        self.world.resource_mut::<Inbox>().0 = round;
        self.schedule.run(&mut self.world);
        self.drop_to_leavers(produced, &senders);
    }

    /// What this round made a room send to occupants whose leave is still queued is dropped:
    /// they asked to go, and when many leave at once they are not told of each other. A leaver's
    /// own stanzas of this round still get their answers (the echo of a last message), and IQs
    /// are never dropped: a request relayed to a leaver must reach it (or bounce) so that its
    /// asker gets an answer.
    fn drop_to_leavers(&mut self, from: usize, senders: &[String]) {
        let world = &mut self.world;
        if world.resource::<queue::PendingLeaves>().0.is_empty() {
            return;
        }
        let leaves = std::mem::take(&mut world.resource_mut::<queue::PendingLeaves>().0);
        let leaves = queue::PendingLeaves(leaves);
        let mut outbox = world.resource_mut::<Outbox>();
        let mut index = 0;
        outbox.0.retain(|stanza| {
            index += 1;
            if index <= from || matches!(stanza, Stanza::Iq(_)) {
                return true;
            }
            let (sender, to) = crate::stanza::stanza_addresses(stanza);
            let room = sender.as_deref().map(|f| f.split('/').next().unwrap_or(f));
            !matches!((room, to), (Some(room), Some(to))
                if leaves.contains(room, &to) && !senders.contains(&to))
        });
        world.resource_mut::<queue::PendingLeaves>().0 = leaves.0;
    }
}

/// Whether the sender of `inbound` expects something of it that may be refused: requests,
/// messages and presences do; answers, errors and leaves do not.
fn asks(inbound: &Inbound) -> bool {
    use xmpp_parsers::iq::Iq;
    use xmpp_parsers::message::MessageType;
    use xmpp_parsers::presence::Type;
    match inbound {
        Inbound::Invalid(_) => false,
        Inbound::Stanza(s) => match s.as_ref() {
            Stanza::Iq(iq) => matches!(iq, Iq::Get { .. } | Iq::Set { .. }),
            Stanza::Message(m) => m.type_ != MessageType::Error,
            Stanza::Presence(p) => !matches!(p.type_, Type::Unavailable | Type::Error),
        },
    }
}
