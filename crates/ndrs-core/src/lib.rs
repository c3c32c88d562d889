//! The shared vocabulary of ndrs: the classifications every return is stratified by (regions,
//! subject types, industries, size classes, centre types), the units figures are computed in, the
//! indicator catalogue, and the domain error.
//!
//! Every other crate depends on this one, services and the estimation engine alike, so it stays
//! pure: no I/O, no async, no transport types. That keeps it cheap to depend on, lets the same
//! definitions be used in a unit test, a gRPC handler and an offline replay, and means a
//! classification or unit can only change in one place. The one piece of data it carries, the
//! indicator catalogue, is compiled in from `data/indicators.csv` rather than read at run time, so a
//! running system can never disagree with the code about what an indicator is.

#[macro_use]
mod macros;

pub mod catalogue;
pub mod classification;
pub mod error;
pub mod limits;
pub mod units;

pub use error::{Error, FieldViolation, Result, Violations};
