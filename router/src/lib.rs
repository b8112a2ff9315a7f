//! Routing policy and dispatch; filled by the router issue.
