//! Switchboard's domain: work items, links, master data, users and queues, and the ports
//! (`Store`, `Clock`) that the rest of the workspace implements. Nothing here does I/O.

pub mod admin;
pub mod board;
pub mod case;
pub mod clock;
pub mod customer_view;
pub mod document;
pub mod error;
pub mod event;
pub mod feed;
pub mod history;
pub mod ids;
pub mod import;
pub mod inbound;
pub mod ingest;
pub mod item;
pub mod item_view;
pub mod link;
pub mod master;
pub mod outbox;
pub mod queue;
pub mod routing;
pub mod routing_settings;
pub mod session;
pub mod skill;
pub mod sla;
pub mod sla_report;
pub mod store;
pub mod user;
pub mod work;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{CoreError, ErrorKind};
pub use ids::*;
