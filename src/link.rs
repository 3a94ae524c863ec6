//! The component link.
