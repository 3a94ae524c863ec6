//! palaver: an XMPP multi-user chat service (XEP-0045) for turn-based game rooms.
//!
//! A stanza's path: [`link`] (socket) → [`engine::Engine::push`] (inbound queue) →
//! [`engine::route`] (typed parse) → feature systems in [`engine::Phase`] order
//! ([`muc`]) → [`engine::Outbox`] → [`link`].

pub mod adhoc;
pub mod cluster;
pub mod config;
pub mod engine;
pub mod game;
pub mod link;
pub mod muc;
pub mod play;
pub mod service;
pub mod stanza;
pub mod store;
pub mod testing;
pub mod xmpp;
