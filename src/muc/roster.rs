//! A room's occupant indexes: by nickname, by session JID, and the join order.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::FullJid;

/// The room's occupant indexes, kept exact by the systems that add, rename and remove occupants.
#[derive(Component, Debug, Clone, Default)]
pub struct Roster {
    /// By the nickname's comparison key ([`super::nick::key`]): "Bob" finds "bob".
    pub by_nick: Index<String>,
    pub by_jid: Index<FullJid>,
    /// Join order: the order presences are sent in.
    pub order: Vec<Entity>,
    /// How many of them the service plays itself (a game's table and computer players).
    pub house: usize,
}

impl Roster {
    pub fn insert(&mut self, entity: Entity, nick: &str, jid: &FullJid) {
        self.by_nick.insert(super::nick::key(nick), entity);
        if self.by_jid.insert(jid.clone(), entity).is_none() && is_house_jid(jid) {
            self.house += 1;
        }
        self.order.push(entity);
    }
    pub fn remove(&mut self, entity: Entity, nick: &str, jid: &FullJid) {
        self.by_nick.remove(&super::nick::key(nick));
        if self.by_jid.remove(jid).is_some() && is_house_jid(jid) {
            self.house = self.house.saturating_sub(1);
        }
        self.order.retain(|e| *e != entity);
        self.release();
    }
    /// Gives back the indexes' memory when most of it is unused (an emptied room, or one that a
    /// crowd has left): tables never shrink by themselves.
    pub fn release(&mut self) {
        if self.order.is_empty() && self.by_jid.is_empty() {
            self.by_nick = Index::default();
            self.by_jid = Index::default();
            self.order = Vec::new();
            return;
        }
        if self.by_jid.capacity() > 16 && self.by_jid.len() < self.by_jid.capacity() / 4 {
            self.by_nick.shrink_to_fit();
            self.by_jid.shrink_to_fit();
            self.order.shrink_to_fit();
        }
    }
    pub fn rename(&mut self, entity: Entity, old: &str, new: &str) {
        self.by_nick.remove(&super::nick::key(old));
        self.by_nick.insert(super::nick::key(new), entity);
    }
    /// The occupant holding `nick` (compared as nicknames are).
    pub fn nick(&self, nick: &str) -> Option<Entity> {
        self.by_nick.get(&super::nick::key(nick)).copied()
    }
    /// The users in the room (the service's own occupants do not count: a room with only those
    /// left is empty, and they take no place from users).
    pub fn len(&self) -> usize {
        self.order.len().saturating_sub(self.house)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub(super) fn is_house_jid(jid: &FullJid) -> bool {
    jid.domain().as_str() == super::player::HOUSE_DOMAIN
}

/// Most rooms hold a few occupants: up to this many, an index is a list searched in order
/// (an entry costs its key and entity, where a hash table's least allocation holds four slots
/// and its control bytes); past it, a hash table.
const LIST_MAX: usize = 16;

/// Keys to occupants: a short list while the room is small, a hash table past [`LIST_MAX`].
#[derive(Debug, Clone)]
pub enum Index<K> {
    List(Vec<(K, Entity)>),
    /// Boxed, so that the small rooms' index is no wider than a vector.
    Table(Box<HashMap<K, Entity>>),
}

impl<K> Default for Index<K> {
    fn default() -> Self {
        Index::List(Vec::new())
    }
}

impl<K: Eq + Hash> Index<K> {
    pub fn get<Q>(&self, key: &Q) -> Option<&Entity>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        match self {
            Index::List(list) => list.iter().find(|(k, _)| k.borrow() == key).map(|(_, e)| e),
            Index::Table(table) => table.get(key),
        }
    }

    /// Sets `key`'s entity; returns the one it replaces.
    pub fn insert(&mut self, key: K, entity: Entity) -> Option<Entity> {
        match self {
            Index::List(list) => {
                if let Some((_, e)) = list.iter_mut().find(|(k, _)| *k == key) {
                    return Some(std::mem::replace(e, entity));
                }
                if list.len() < LIST_MAX {
                    // Exactly: a vector's first growth would make room for four.
                    list.reserve_exact(1);
                    list.push((key, entity));
                    return None;
                }
                let mut table: HashMap<K, Entity> = std::mem::take(list).into_iter().collect();
                table.insert(key, entity);
                *self = Index::Table(Box::new(table));
                None
            }
            Index::Table(table) => table.insert(key, entity),
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<Entity>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        match self {
            Index::List(list) => {
                let i = list.iter().position(|(k, _)| k.borrow() == key)?;
                Some(list.remove(i).1)
            }
            Index::Table(table) => table.remove(key),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Index::List(list) => list.len(),
            Index::Table(table) => table.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn capacity(&self) -> usize {
        match self {
            Index::List(list) => list.capacity(),
            Index::Table(table) => table.capacity(),
        }
    }

    /// Gives back unused room; a table that fits a list again becomes one.
    pub fn shrink_to_fit(&mut self) {
        match self {
            Index::List(list) => list.shrink_to_fit(),
            Index::Table(table) if table.len() <= LIST_MAX / 2 => {
                let list: Vec<(K, Entity)> = std::mem::take(&mut **table).into_iter().collect();
                *self = Index::List(list);
            }
            Index::Table(table) => table.shrink_to_fit(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_finds_the_same_as_a_list_and_as_a_table() {
        let mut world = World::new();
        let entities: Vec<Entity> = (0..40).map(|_| world.spawn_empty().id()).collect();
        let mut index = Index::default();
        for (n, e) in entities.iter().enumerate() {
            assert_eq!(index.insert(format!("k{n}"), *e), None);
            assert_eq!(matches!(index, Index::List(_)), n < LIST_MAX);
            for (m, f) in entities.iter().enumerate().take(n + 1) {
                assert_eq!(index.get(&format!("k{m}")), Some(f));
            }
            assert_eq!(index.get("absent"), None);
        }
        assert_eq!(index.insert("k3".into(), entities[0]), Some(entities[3]));
        assert_eq!(index.len(), 40);
        for n in 0..36 {
            assert!(index.remove(&format!("k{n}")).is_some());
        }
        assert_eq!(index.remove("k0"), None);
        index.shrink_to_fit();
        assert!(matches!(index, Index::List(_)));
        assert_eq!(index.len(), 4);
        assert_eq!(index.get("k39"), Some(&entities[39]));
    }
}
