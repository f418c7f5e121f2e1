//! Unit tests of the validation rules, one file per resource (the monitor's file also holds the
//! shared [`monitor::ctx`]).

mod channel;
mod monitor;
