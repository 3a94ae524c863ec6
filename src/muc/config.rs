//! A room's configuration (muc#roomconfig) as one plain-data value, which rooms with equal
//! configurations share.

use std::collections::HashSet;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LazyLock};

use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};
use xmpp_parsers::muc::user::Role;

/// Who may see occupants' real JIDs (`muc#roomconfig_whois`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Whois {
    /// Semi-anonymous: moderators only.
    #[default]
    Moderators,
    /// Non-anonymous: every occupant.
    Anyone,
}

/// Who may send private messages (`muc#roomconfig_allowpm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum AllowPm {
    #[default]
    Anyone,
    Participants,
    Moderators,
    None,
}

/// A set of roles (`muc#roomconfig_presencebroadcast`, `muc#roomconfig_getmemberlist`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleSet {
    pub moderator: bool,
    pub participant: bool,
    pub visitor: bool,
}

impl RoleSet {
    pub const ALL: RoleSet = RoleSet {
        moderator: true,
        participant: true,
        visitor: true,
    };
    pub const MODERATORS: RoleSet = RoleSet {
        moderator: true,
        participant: false,
        visitor: false,
    };

    pub fn contains(&self, role: &Role) -> bool {
        match role {
            Role::Moderator => self.moderator,
            Role::Participant => self.participant,
            Role::Visitor => self.visitor,
            Role::None => false,
        }
    }
}

/// Who besides occupants and members may read the archive of an open room
/// (`palaver#roomconfig_archivereaders`, XEP-0313). By default anyone may, as XEP-0313 §6.1.2
/// says of open rooms (and Prosody and ejabberd do); an owner may keep it to occupants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ArchiveReaders {
    Occupants,
    /// Anyone not banned, in an open room without a password (who could enter it).
    #[default]
    Anyone,
}

/// Who may change their nickname once in the room (`palaver#roomconfig_changenick`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum NickChange {
    #[default]
    Anyone,
    /// Visitors may not (as ejabberd's `allow_visitor_nickchange`).
    Participants,
    Nobody,
}

/// The room's configuration; defaults are those of a fresh room. Stored as RON; fields added
/// later take their defaults when an older record is read. A room holds it as a
/// [`SharedConfig`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomConfig {
    pub name: String,
    pub description: String,
    pub lang: String,
    pub persistent: bool,
    pub public: bool,
    /// Occupants (not only moderators) may change the subject.
    pub change_subject: bool,
    /// `None`: no limit.
    pub max_users: Option<u32>,
    pub whois: Whois,
    /// How many messages the room keeps for new occupants.
    pub history_length: u32,
    pub members_only: bool,
    pub moderated: bool,
    /// `Some` makes the room password-protected.
    pub password: Option<String>,
    pub allow_invites: bool,
    pub allow_pm: AllowPm,
    pub logging: bool,
    /// Roles whose presence is broadcast to the room (§5.1.1 "Broadcast Presence").
    pub presence_broadcast: RoleSet,
    /// Roles that may retrieve the member list besides admins and owners (§7.11).
    pub get_member_list: RoleSet,
    pub nick_change: NickChange,
    /// While a game runs, groupchat from non-players does not reach players (palaver).
    pub separate_spectators: bool,
    /// The id of the game the room hosts, if any (palaver).
    pub game: Option<String>,
    /// What game commands start with in the chat (palaver), `!` by default.
    pub game_prefix: String,
    /// Messages a minute an occupant may send (palaver); `None`: the service's default.
    pub messages_per_minute: Option<u32>,
    /// The game's clock and whether it is rated (palaver).
    pub game_options: super::player::GameOptions,
    /// Messages are archived (`muc#roomconfig_enablearchiving`, XEP-0313).
    pub archiving: bool,
    /// How many days the archive keeps a message; `None`: as long as the service does.
    pub archive_days: Option<u32>,
    pub archive_readers: ArchiveReaders,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            name: String::new(),
            description: String::new(),
            lang: String::new(),
            persistent: false,
            public: true,
            change_subject: false,
            max_users: None,
            whois: Whois::Moderators,
            history_length: 20,
            members_only: false,
            moderated: false,
            password: None,
            allow_invites: false,
            allow_pm: AllowPm::Anyone,
            logging: false,
            presence_broadcast: RoleSet::ALL,
            get_member_list: RoleSet::MODERATORS,
            nick_change: NickChange::Anyone,
            separate_spectators: true,
            game: None,
            game_prefix: "!".into(),
            messages_per_minute: None,
            game_options: Default::default(),
            archiving: true,
            archive_days: None,
            archive_readers: ArchiveReaders::Anyone,
        }
    }
}

/// A room's configuration as its component: one value shared by every room whose configuration
/// is equal (most keep the defaults, or one of a few), so that a room costs a pointer, not a
/// copy of every field. Reads see the [`RoomConfig`]; a change copies it first if it is shared,
/// and [`share_configs`] then shares the result when another room has the same.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct SharedConfig(Arc<RoomConfig>);

/// The defaults, shared by every room that keeps them (and by every engine in the process).
static DEFAULT: LazyLock<Arc<RoomConfig>> = LazyLock::new(|| Arc::new(RoomConfig::default()));

impl Default for SharedConfig {
    fn default() -> Self {
        SharedConfig(DEFAULT.clone())
    }
}

impl From<RoomConfig> for SharedConfig {
    fn from(config: RoomConfig) -> Self {
        if config == **DEFAULT {
            return SharedConfig::default();
        }
        SharedConfig(Arc::new(config))
    }
}

impl Deref for SharedConfig {
    type Target = RoomConfig;
    fn deref(&self) -> &RoomConfig {
        &self.0
    }
}

impl DerefMut for SharedConfig {
    fn deref_mut(&mut self) -> &mut RoomConfig {
        Arc::make_mut(&mut self.0)
    }
}

/// Every distinct configuration some room holds (and, until the next sweep, some no room
/// holds any more).
#[derive(Resource, Debug, Default)]
pub struct SharedConfigs {
    set: HashSet<Arc<RoomConfig>>,
    /// How many there were after the last sweep: the next comes when there are twice as many.
    swept: usize,
}

pub struct ConfigPlugin;

impl crate::engine::Feature for ConfigPlugin {
    fn build(&self, engine: &mut crate::engine::EngineBuilder) {
        engine.world.init_resource::<SharedConfigs>();
        engine.add_systems(share_configs.in_set(crate::engine::Phase::Cleanup));
    }
}

/// Gives each configuration set or changed this tick the value an equal one already has.
/// Swapping a value for an equal one is no change (the store is not told).
pub fn share_configs(
    mut changed: Query<&mut SharedConfig, Changed<SharedConfig>>,
    mut shared: ResMut<SharedConfigs>,
) {
    for mut config in &mut changed {
        if Arc::ptr_eq(&config.0, &DEFAULT) {
            continue;
        }
        if *config.0 == **DEFAULT {
            config.bypass_change_detection().0 = DEFAULT.clone();
            continue;
        }
        match shared.set.get(&config.0) {
            Some(same) if Arc::ptr_eq(same, &config.0) => {}
            Some(same) => config.bypass_change_detection().0 = same.clone(),
            None => {
                shared.set.insert(config.0.clone());
            }
        }
    }
    // Forgets what only this set still holds, in time proportional to what was added.
    if shared.set.len() > 2 * shared.swept + 64 {
        shared.set.retain(|c| Arc::strong_count(c) > 1);
        shared.set.shrink_to_fit();
        shared.swept = shared.set.len();
    }
}

impl RoomConfig {
    /// Whether entering needs a password (`muc_passwordprotected`).
    pub fn password_protected(&self) -> bool {
        self.password.is_some()
    }

    /// The muc_* disco#info features describing this configuration (§6.4, registry §16.3),
    /// one of each pair.
    pub fn disco_features(&self) -> Vec<&'static str> {
        let pick = |on: bool, yes, no| if on { yes } else { no };
        vec![
            pick(self.public, "muc_public", "muc_hidden"),
            pick(self.persistent, "muc_persistent", "muc_temporary"),
            pick(self.members_only, "muc_membersonly", "muc_open"),
            pick(self.moderated, "muc_moderated", "muc_unmoderated"),
            pick(
                self.whois == Whois::Anyone,
                "muc_nonanonymous",
                "muc_semianonymous",
            ),
            pick(
                self.password_protected(),
                "muc_passwordprotected",
                "muc_unsecured",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_room_features() {
        assert_eq!(
            RoomConfig::default().disco_features(),
            [
                "muc_public",
                "muc_temporary",
                "muc_open",
                "muc_unmoderated",
                "muc_semianonymous",
                "muc_unsecured",
            ]
        );
    }

    #[test]
    fn every_feature_flips() {
        let config = RoomConfig {
            public: false,
            persistent: true,
            members_only: true,
            moderated: true,
            whois: Whois::Anyone,
            password: Some("secret".into()),
            ..RoomConfig::default()
        };
        assert!(config.password_protected());
        assert_eq!(
            config.disco_features(),
            [
                "muc_hidden",
                "muc_persistent",
                "muc_membersonly",
                "muc_moderated",
                "muc_nonanonymous",
                "muc_passwordprotected",
            ]
        );
    }
}
