//! Every route of the app × every role (anonymous, agent, lead, admin), from the same route
//! lists the app is built from: a route added without an entry here fails the test, and every
//! entry is checked against what the app answers. Signed-in callers use session cookies (with
//! the CSRF token on changes), which the API accepts like bearer tokens. Every change made with
//! the session cookie but without the right CSRF token is refused.

use std::collections::BTreeMap;

use actix_web::cookie::Cookie;
use actix_web::http::{Method, StatusCode};
use actix_web::test;
use switchboard_core::user::Role;
use switchboard_tests::ui_session::UiSession;
use switchboard_tests::user_with_password;
use switchboard_web::{AppState, WebConfig, create_app};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Authenticated by its own signature, not by a role (the voicemail webhook).
    Signed,
    /// At least this role.
    Least(Role),
}

use Access::{Least, Public, Signed};

const AGENT: Access = Least(Role::Agent);
const LEAD: Access = Least(Role::Lead);
const ADMIN: Access = Least(Role::Admin);

/// The expected access of every route. Keep it complete: the test fails on a missing entry.
fn expected() -> BTreeMap<(&'static str, &'static str), Access> {
    let entries = [
        (("GET", "/healthz"), Public),
        (("GET", "/readyz"), Public),
        (("GET", "/metrics"), Public),
        (("GET", "/api/openapi.json"), Public),
        (("POST", "/api/v1/inbound/voicemail"), Signed),
        (("PUT", "/api/v1/customers/{key}"), ADMIN),
        (("PUT", "/api/v1/contacts/{key}"), ADMIN),
        (("PUT", "/api/v1/products/{key}"), ADMIN),
        (("PUT", "/api/v1/agents/{key}"), ADMIN),
        (("PUT", "/api/v1/orders/{key}"), ADMIN),
        (("PUT", "/api/v1/deliveries/{key}"), ADMIN),
        (("PUT", "/api/v1/invoices/{key}"), ADMIN),
        (("GET", "/api/v1/customers/{key}"), AGENT),
        (("GET", "/api/v1/orders/{key}"), AGENT),
        (("POST", "/api/v1/import/{kind}"), ADMIN),
        (("POST", "/api/v1/inbound/email"), AGENT),
        (("POST", "/api/v1/inbound/document"), AGENT),
        (("POST", "/api/v1/inbound/task"), AGENT),
        (("POST", "/api/v1/inbound/tasks"), AGENT),
        (("POST", "/api/v1/items/next"), AGENT),
        (("POST", "/api/v1/offers/{id}/accept"), AGENT),
        (("POST", "/api/v1/offers/{id}/reject"), AGENT),
        (("PUT", "/api/v1/me/status"), AGENT),
        (("POST", "/api/v1/items/bulk/reassign"), LEAD),
        (("POST", "/api/v1/items/bulk/move"), LEAD),
        (("POST", "/api/v1/items/bulk/priority"), LEAD),
        (("POST", "/api/v1/items/{id}/reassign"), LEAD),
        (("POST", "/api/v1/items/{id}/move"), LEAD),
        (("POST", "/api/v1/items/{id}/priority"), LEAD),
        (("GET", "/api/v1/items/{id}/explanation"), LEAD),
        (("PUT", "/api/v1/agents/{login}/status"), LEAD),
        (("GET", "/api/v1/rule-sets"), ADMIN),
        (("POST", "/api/v1/rule-sets"), ADMIN),
        (("POST", "/api/v1/rule-sets/validate"), ADMIN),
        (("POST", "/api/v1/rule-sets/simulate"), ADMIN),
        (("POST", "/api/v1/rule-sets/{version}/activate"), ADMIN),
        (("GET", "/api/v1/queues"), ADMIN),
        (("PUT", "/api/v1/queues/{id}"), ADMIN),
        (("GET", "/api/v1/agents/{login}/routing"), ADMIN),
        (("PUT", "/api/v1/agents/{login}/routing"), ADMIN),
        (("GET", "/api/v1/search"), AGENT),
        (("GET", "/api/v1/me/work"), AGENT),
        (("GET", "/api/v1/items/{id}"), AGENT),
        (("POST", "/api/v1/items/{id}/status"), AGENT),
        (("POST", "/api/v1/items/{id}/notes"), AGENT),
        (("POST", "/api/v1/items/{id}/reply"), AGENT),
        (("GET", "/api/v1/items/{id}/outbound"), AGENT),
        (
            ("GET", "/api/v1/items/{id}/attachments/{attachment_id}"),
            AGENT,
        ),
        (("GET", "/api/v1/board"), LEAD),
        (("GET", "/api/v1/reports/sla"), LEAD),
        (("POST", "/api/v1/items/{id}/links"), AGENT),
        (("POST", "/api/v1/items/{id}/links/{link}/confirm"), AGENT),
        (("DELETE", "/api/v1/items/{id}/links/{link}"), AGENT),
        (("GET", "/api/v1/items/{id}/related"), AGENT),
        (("GET", "/api/v1/channel-settings/{list}"), ADMIN),
        (("PUT", "/api/v1/channel-settings/{list}"), ADMIN),
        (("GET", "/"), Public),
        (("GET", "/static/{file}"), Public),
        (("GET", "/login"), Public),
        (("POST", "/login"), Public),
        (("POST", "/logout"), Public),
        (("POST", "/language"), Public),
        (("GET", "/search"), AGENT),
        (("GET", "/work"), AGENT),
        (("POST", "/work/next"), AGENT),
        (("POST", "/work/offers/{id}/accept"), AGENT),
        (("POST", "/work/offers/{id}/reject"), AGENT),
        (("GET", "/items/{id}"), AGENT),
        (("GET", "/items/{id}/body"), AGENT),
        (("POST", "/items/{id}/status"), AGENT),
        (("GET", "/ui/events"), AGENT),
        (("GET", "/admin"), ADMIN),
        (("GET", "/admin/rules"), ADMIN),
        (("POST", "/admin/rules"), ADMIN),
        (("POST", "/admin/rules/{version}/activate"), ADMIN),
        (("GET", "/admin/users"), ADMIN),
        (("POST", "/admin/users"), ADMIN),
        (("POST", "/admin/users/{login}/role"), ADMIN),
        (("POST", "/admin/users/{login}/active"), ADMIN),
        (("POST", "/admin/users/{login}/password"), ADMIN),
        (("GET", "/admin/tokens"), ADMIN),
        (("POST", "/admin/tokens"), ADMIN),
        (("POST", "/admin/tokens/{id}/revoke"), ADMIN),
        (("GET", "/admin/queues"), ADMIN),
        (("POST", "/admin/queues/{id}"), ADMIN),
        (("GET", "/admin/agents/{login}"), ADMIN),
        (("POST", "/admin/agents/{login}"), ADMIN),
        (("POST", "/admin/agents/{login}/skills"), ADMIN),
        (("GET", "/admin/channels"), ADMIN),
        (("POST", "/admin/channels/webhook-secret"), ADMIN),
        (("POST", "/admin/channels/{list}"), ADMIN),
        (("GET", "/admin/sla"), ADMIN),
        (("POST", "/admin/sla"), ADMIN),
        (("POST", "/admin/sla/{version}/restore"), ADMIN),
        (("POST", "/admin/sla/file"), ADMIN),
        (("GET", "/audit"), LEAD),
        (("POST", "/items/{id}/reply"), AGENT),
        (("GET", "/lead"), LEAD),
        (("POST", "/lead/items"), LEAD),
        (("POST", "/lead/agents/status"), LEAD),
        (("GET", "/lead/events"), LEAD),
    ];
    let table: BTreeMap<_, _> = entries.into_iter().collect();
    assert_eq!(table.len(), entries.len(), "a route is listed twice");
    table
}

/// A signed-in caller's session cookie and CSRF token.
type Credentials = (Cookie<'static>, String);

/// A concrete path for a route pattern.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{file}", "app.css")
        .replace("{kind}", "customers")
        .replace("{login}", "nobody")
        .replace("{attachment_id}", "1")
        .replace("{link}", "1")
        .replace("{list}", "imap")
        .replace('{', "")
        .replace("key}", "0000000001")
        .replace("id}", "999999")
        .replace("version}", "999999")
}

#[actix_web::test]
async fn every_route_refuses_the_wrong_role_and_the_table_lists_every_route() {
    let table = expected();
    let routes = switchboard_web::routes::all();
    let missing: Vec<_> = routes
        .iter()
        .filter(|(method, path)| !table.contains_key(&(method.as_str(), path.as_str())))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an expected access: {missing:?}"
    );
    let stale: Vec<_> = table
        .keys()
        .filter(|(method, path)| {
            !routes
                .iter()
                .any(|(m, p)| m.as_str() == *method && p == path)
        })
        .collect();
    assert!(
        stale.is_empty(),
        "table entries for routes that do not exist: {stale:?}"
    );

    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let mut callers: Vec<(Option<Role>, Option<Credentials>)> = vec![(None, None)];
    for role in [Role::Agent, Role::Lead, Role::Admin] {
        let user = user_with_password(&store, &format!("{role}-user"), role, "pw").await;
        let session = UiSession::open(&store, user, &format!("of-{role}")).await;
        let credentials = (session.cookie(), session.csrf().to_owned());
        callers.push((Some(role), Some(credentials)));
    }
    let app = test::init_service(create_app(AppState::new(store, WebConfig::default()))).await;

    // A cookie-authenticated change without the CSRF token is refused on every route.
    let (_, admin) = &callers[3];
    let (admin_cookie, _) = admin.as_ref().unwrap();
    for (method, pattern) in routes.iter().filter(|(method, _)| *method != Method::GET) {
        if table[&(method.as_str(), pattern.as_str())] == Signed {
            continue;
        }
        for token in [None, Some("wrong-token")] {
            let mut request = test::TestRequest::default()
                .method(method.clone())
                .uri(&concrete(pattern))
                .cookie(admin_cookie.clone());
            if let Some(token) = token {
                request = request.insert_header(("X-CSRF-Token", token));
            }
            let response = test::call_service(&app, request.to_request()).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{method} {pattern} without the right CSRF token ({token:?})"
            );
        }
    }

    // Signing out ends the session the later requests use: do it last.
    let mut routes = routes;
    routes.sort_by_key(|(method, path)| *method == Method::POST && path == "/logout");
    let mut wrong = Vec::new();
    for (method, pattern) in &routes {
        let access = table[&(method.as_str(), pattern.as_str())];
        for (role, credentials) in &callers {
            let mut request = test::TestRequest::default()
                .method(method.clone())
                .uri(&concrete(pattern))
                .insert_header(("Accept", "text/html"));
            if let Some((cookie, csrf)) = credentials {
                request = request.cookie(cookie.clone());
                if *method != Method::GET {
                    request = request.insert_header(("X-CSRF-Token", csrf.as_str()));
                }
            }
            let response = test::call_service(&app, request.to_request()).await;
            let status = response.status();
            let sent_to_login = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .is_some_and(|location| location.starts_with("/login"));
            // The live-update streams stay open: their status and headers are the answer.
            let body = if pattern.ends_with("/events") {
                String::new()
            } else {
                String::from_utf8_lossy(&test::read_body(response).await).into_owned()
            };
            // The signed webhook exists only where its secret is configured.
            let served = !body.contains(&format!("route {}", concrete(pattern)));
            if access != Signed && !served {
                wrong.push(format!("{method} {pattern} is not served"));
                continue;
            }
            let refused_anonymous = status == StatusCode::UNAUTHORIZED
                || (status == StatusCode::SEE_OTHER && sent_to_login);
            let outcome_ok = match (access, role) {
                (Public | Signed, _) => {
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED
                        || *pattern == "/login" && status == StatusCode::UNAUTHORIZED
                        || access == Signed
                }
                (Least(_), None) => refused_anonymous,
                (Least(needed), Some(role)) => {
                    if role.includes(needed) {
                        status != StatusCode::UNAUTHORIZED
                            && status != StatusCode::FORBIDDEN
                            && !sent_to_login
                    } else {
                        status == StatusCode::FORBIDDEN
                    }
                }
            };
            if !outcome_ok {
                wrong.push(format!(
                    "{method} {pattern} as {role:?}: {status} {body:.200}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "unexpected outcomes:\n{}",
        wrong.join("\n")
    );
}
