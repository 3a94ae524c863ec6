//! XEP-0045: each room feature is a module that owns its components and systems and plugs into
//! the engine's phases.

pub mod access;
pub mod admin;
pub mod archive;
pub mod at_rest;
pub mod cleanup;
pub mod config;
pub mod destroy;
pub mod disco;
pub mod form;
pub mod history;
pub mod invite;
pub mod iq_forward;
pub mod join;
pub mod limits;
pub mod liveness;
pub mod lock;
pub mod mam;
pub mod messages;
pub mod moderation;
pub mod nick;
pub mod occupant_id;
pub mod owner;
pub mod ping;
pub mod player;
pub mod presence;
pub mod privileges;
pub mod register;
pub mod room;
pub mod roster;
pub mod session;
pub mod subject;
pub mod voice;

use crate::engine::EngineBuilder;

/// Registers every MUC feature with the engine.
pub fn register(engine: &mut EngineBuilder) {
    engine.world.init_resource::<room::RoomIndex>();
    engine.world.init_resource::<room::EmptiedRooms>();
    engine.world.init_resource::<form::ConfigFields>();
    engine.world.init_resource::<form::KnownGames>();
    if !engine.world.contains_resource::<occupant_id::ServiceKey>() {
        engine
            .world
            .insert_resource(occupant_id::ServiceKey::random());
    }
    engine
        .add_feature(config::ConfigPlugin)
        .add_feature(presence::PresencePlugin)
        .add_feature(join::JoinPlugin)
        .add_feature(lock::LockPlugin)
        .add_feature(history::HistoryPlugin)
        .add_feature(archive::ArchivePlugin)
        .add_feature(mam::MamPlugin)
        .add_feature(moderation::ModerationPlugin)
        .add_feature(subject::SubjectPlugin)
        .add_feature(messages::MessagesPlugin)
        .add_feature(disco::DiscoPlugin)
        .add_feature(ping::PingPlugin)
        .add_feature(owner::OwnerPlugin)
        .add_feature(admin::AdminPlugin)
        .add_feature(access::AccessPlugin)
        .add_feature(limits::LimitsPlugin)
        .add_feature(liveness::LivenessPlugin)
        .add_feature(voice::VoicePlugin)
        .add_feature(invite::InvitePlugin)
        .add_feature(register::RegisterPlugin)
        .add_feature(iq_forward::IqForwardPlugin)
        .add_feature(cleanup::CleanupPlugin);
}
