//! Every step a person takes in a survey round, as one async function over the services' gRPC
//! API: loading a frame or a rule set from a file, submitting a file of returns, justifying a
//! finding, reviewing, publishing, comparing two releases.
//!
//! The `ndrs` commands are thin shells over these functions (they parse arguments and print), and
//! the demo walk-through calls the same functions, so what the demo shows is what a working group
//! member can do from the command line. Nothing here holds state of its own: every answer comes
//! from a service, and every failure is the domain error its gRPC status stands for, named with
//! the address and the call ([`Session`]).
//!
//! Request files are read in the proto3 JSON mapping (or TOML with the same field names), the form
//! grpcurl and every protobuf library read and write ([`files`]).

pub mod answers_csv;
pub mod audit;
pub mod candidates;
pub mod cycles;
pub mod files;
pub mod frames;
pub mod identity;
pub mod publication;
pub mod returns;
pub mod review;
mod session;
pub mod submit;
pub mod text;
pub mod validation;

pub use session::{MAX_RESPONSE_BYTES, Session, Stage};
