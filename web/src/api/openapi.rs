//! The OpenAPI document of the REST API, served at `/api/openapi.json`. Every `/api/v1` route is
//! described by a `#[utoipa::path]` beside its handler and listed here; a test fails when a
//! registered route is missing from the document (or the document names a route that is not).

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "The unified inbound inbox: intake, master data, search, routing and item work. \
                       Errors are application/problem+json with a stable `code`."
    ),
    paths(
        super::master::put_record,
        super::master::import_ndjson,
        super::master::get_customer,
        super::master::get_order,
        super::inbound::inbound_email,
        super::inbound_document::inbound_document,
        super::inbound_task::inbound_task,
        super::inbound_task::inbound_tasks,
        super::inbound_voicemail::inbound_voicemail,
        super::search::search,
        super::routing::next_item,
        super::routing::accept_offer,
        super::routing::reject_offer,
        super::routing::my_status,
        super::routing::agent_status,
        super::routing::reassign,
        super::routing::bulk_reassign,
        super::routing::move_item,
        super::routing::bulk_move,
        super::routing::set_priority,
        super::routing::bulk_priority,
        super::routing::explanation,
        super::routing::list_rule_sets,
        super::routing::save_rule_set,
        super::routing::validate_rule_set,
        super::routing::simulate,
        super::routing::activate_rule_set,
        super::routing_settings::list_queues,
        super::routing_settings::update_queue,
        super::routing_settings::agent_routing,
        super::routing_settings::update_agent_routing,
        super::channel_settings::show,
        super::channel_settings::replace,
        super::work::my_work,
        super::work::item_view,
        super::work::change_status,
        super::work::add_note,
        super::links::add_link,
        super::links::confirm_link,
        super::links::remove_link,
        super::related::related_items,
        super::reply::reply,
        super::reply::outbound,
        super::attachments::download,
        super::board::board,
        super::reports::sla_report,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the paths name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Serves the document (no sign-in needed: it describes, it does not reveal data).
#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every (method, path) the app registers under `/api/v1/`, from the same route lists the
    /// app is built from; the per-kind master-data upserts count as their one documented
    /// template `/api/v1/{kind}/{key}`.
    fn registered_routes() -> BTreeSet<(String, String)> {
        let per_kind: Vec<String> = switchboard_core::master::MasterKind::ALL
            .iter()
            .map(|kind| format!("/api/v1/{kind}/{{key}}"))
            .collect();
        crate::routes::all()
            .into_iter()
            .filter(|(_, path)| path.starts_with("/api/v1/"))
            .map(|(method, path)| {
                let method = method.as_str().to_lowercase();
                if method == "put" && per_kind.contains(&path) {
                    (method, "/api/v1/{kind}/{key}".to_owned())
                } else {
                    (method, path)
                }
            })
            .collect()
    }

    fn documented_routes() -> BTreeSet<(String, String)> {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut routes = BTreeSet::new();
        for (path, operations) in document["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                routes.insert((method.clone(), path.clone()));
            }
        }
        routes
    }

    #[test]
    fn every_registered_route_is_documented_and_nothing_else() {
        let registered = registered_routes();
        let documented = documented_routes();
        assert!(
            registered.len() > 30,
            "the scan found too few routes: {registered:?}"
        );
        let undocumented: Vec<_> = registered.difference(&documented).collect();
        assert!(
            undocumented.is_empty(),
            "routes without OpenAPI docs: {undocumented:?}"
        );
        let unknown: Vec<_> = documented.difference(&registered).collect();
        assert!(
            unknown.is_empty(),
            "documented routes that are not registered: {unknown:?}"
        );
    }

    #[test]
    fn the_document_declares_bearer_auth_and_the_request_schemas() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let schemes = &document["components"]["securitySchemes"]["bearer"];
        assert_eq!(schemes["scheme"], "bearer");
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for name in ["LeadBody", "QueueChange", "AgentRoutingChange", "NoteBody"] {
            assert!(schemas.contains_key(name), "schema {name} missing");
        }
    }
}
