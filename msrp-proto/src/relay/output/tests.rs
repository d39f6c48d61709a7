//! Unit tests of the output scheduler.
