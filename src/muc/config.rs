//! A room's configuration (muc#roomconfig) as one plain-data component.

use bevy_ecs::prelude::*;

/// Who may see occupants' real JIDs (`muc#roomconfig_whois`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Whois {
    /// Semi-anonymous: moderators only.
    #[default]
    Moderators,
    /// Non-anonymous: every occupant.
    Anyone,
}

/// Who may send private messages (`muc#roomconfig_allowpm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowPm {
    #[default]
    Anyone,
    Participants,
    Moderators,
    None,
}

/// The room's configuration; defaults are those of a fresh room.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
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
        }
    }
}
