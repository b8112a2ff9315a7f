//! Integration tests of the e-mail parser, one module per area, compiled into one binary.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly on a broken fixture or corpus"
)]

mod corpus;
mod golden;
mod mime_wild;
mod pathological;
mod scenarios;
mod support;
