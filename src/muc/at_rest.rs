//! State most rooms at rest never use (a history, an archive, a subject), kept out of the
//! rooms' table until first written: a null pointer costs an idle room 8 bytes where the empty
//! value inline would cost it 60 to 100.

use bevy_ecs::prelude::*;

/// What an [`AtRest`] that was never written reads as.
pub trait Empty: Default + Send + Sync + 'static {
    fn empty() -> &'static Self;
}

/// A `T` allocated on first write; until then it reads as [`Empty::empty`].
#[derive(Component, Debug, Clone, Default)]
pub struct AtRest<T: Empty>(Option<Box<T>>);

impl<T: Empty> AtRest<T> {
    /// Holds `value`, or nothing when `unused` says it is as good as empty.
    pub fn new(value: T, unused: bool) -> Self {
        AtRest((!unused).then(|| Box::new(value)))
    }
}

impl<T: Empty> std::ops::Deref for AtRest<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or(T::empty())
    }
}

impl<T: Empty> std::ops::DerefMut for AtRest<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.get_or_insert_default()
    }
}
