//! Newtype ids: a bare `i64` or `String` never crosses a crate boundary.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! numeric_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw database id.
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// Returns the raw database id.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

macro_rules! key_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a business key as written in master data (leading zeros kept).
            pub fn new(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            /// Returns the key as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

numeric_id!(
    /// A work item.
    WorkItemId
);
numeric_id!(
    /// A landed raw input (the `inbound` row).
    InboundId
);
numeric_id!(
    /// A user account (agent, lead or admin).
    UserId
);
numeric_id!(
    /// A queue.
    QueueId
);
numeric_id!(
    /// An attachment of a work item.
    AttachmentId
);
numeric_id!(
    /// A link between a work item and a customer, order or delivery.
    LinkId
);
numeric_id!(
    /// An audit event.
    EventId
);
numeric_id!(
    /// An API token.
    ApiTokenId
);
numeric_id!(
    /// An agent's internal note on a work item.
    NoteId
);
numeric_id!(
    /// A message in the outbox.
    OutboundId
);
numeric_id!(
    /// A case: items of one customer about one matter, across channels and threads.
    CaseId
);

key_id!(
    /// SAP customer number, e.g. `0000104321`.
    CustomerNo
);
key_id!(
    /// SAP sales order number, e.g. `4500012345`.
    OrderNo
);
key_id!(
    /// Delivery number, e.g. `8000436900`.
    DeliveryNo
);
key_id!(
    /// Invoice number, e.g. `9000374863`.
    InvoiceNo
);
key_id!(
    /// Product number (8 digits).
    Sku
);
key_id!(
    /// A user's login name; imported agents use their `agent_id`.
    Login
);

impl WorkItemId {
    /// Returns the human reference shown to users, e.g. `SB-000123`.
    pub fn reference(self) -> String {
        format!("SB-{:06}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_zero_padded() {
        assert_eq!(WorkItemId::new(123).reference(), "SB-000123");
        assert_eq!(WorkItemId::new(1_234_567).reference(), "SB-1234567");
    }
}
