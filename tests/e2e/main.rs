//! End-to-end tests, one module per area. Compiled into one binary.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod api_inbound;
mod api_inbound_document;
mod api_inbound_task;
mod api_inbound_voicemail;
mod api_inbound_voicemail_upload;
mod api_item_work;
mod api_links;
mod api_master;
mod api_related;
mod api_routing;
mod browser_support;
mod corpus_cases;
mod dispatch_state;
mod feed_order;
mod http_basics;
mod imap_source;
mod ingest_documents;
mod ingest_email;
mod ingest_voicemail;
mod landing_inline;
mod mail_acknowledgement;
mod migrations;
mod recording_fetch;
mod reply_after_done;
mod search_api;
mod search_recovery;
mod search_support;
mod sla_breaches;
mod smtp_outbound;
mod store_admin;
mod store_cases;
mod store_documents;
mod store_history;
mod store_item_view;
mod store_item_work;
mod store_links;
mod store_routing;
mod store_suite;
mod task_intake;
mod ui_accounts;
mod ui_admin_accounts;
mod ui_admin_browser;
mod ui_admin_channel_lists;
mod ui_admin_channels;
mod ui_admin_channels_browser;
mod ui_admin_routing;
mod ui_admin_skills;
mod ui_admin_sla;
mod ui_admin_smtp_relay;
mod ui_audit_log;
mod ui_browser;
mod ui_lead;
mod ui_lead_browser;
mod ui_route_table;
mod watch_folders;
