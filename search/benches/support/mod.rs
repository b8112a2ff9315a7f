//! The index benchmark's parts: the generated corpus, the floor run beside it and the feeder
//! that keeps ingest running while queries are measured.

pub mod corpus;
pub mod floor;
pub mod ingest;
