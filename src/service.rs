//! The service loop.
