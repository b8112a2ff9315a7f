//! The routing rules editor (`/admin/rules`): the active rule set and its history (versions,
//! who saved and activated them when), a candidate in a textarea (the TOML the CLI takes),
//! validation with every error at its rule and line, a simulation against the last days, and
//! activation of a valid candidate or restoration of an older valid version.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Duration;
use serde::Deserialize;
use switchboard_core::CoreError;
use switchboard_core::routing::{RuleSetVersion, SimulationRequest};
use switchboard_router::rules::{RuleSet, default_rule_set};

use super::audit::ActorNames;
use super::rules_view::{CheckedCandidate, check_candidate};
use super::simulation::{SimulationView, view_of};
use super::{Done, render_refused};
use crate::api::acting::{Router, wake};
use crate::auth::{AdminRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render, see_other};

/// Simulations replay this many days unless the admin asks otherwise.
const DEFAULT_DAYS: u32 = 7;
/// The longest replay the editor offers.
const MAX_DAYS: u32 = 90;
/// How many activations the history lists.
const HISTORY_EVENTS: u32 = 200;

/// A stored version as the history lists it.
#[derive(Clone)]
struct VersionRow {
    version: i64,
    saved_by: String,
    saved_at: String,
    valid: bool,
    active: bool,
    /// Every activation: (when, by whom), newest first.
    activations: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin_rules.html")]
struct RulesPage<'a> {
    chrome: Chrome<'a>,
    active: Option<VersionRow>,
    history: Vec<VersionRow>,
    text: String,
    days: u32,
    checked: Option<CheckedCandidate>,
    simulation: Option<SimulationView>,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
}

/// `?from=VERSION` loads a stored version into the editor; `?done=` names what just happened.
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    from: Option<i64>,
    #[serde(flatten)]
    done: Done,
}

/// The editor's form: the candidate, what to do with it, and the days to replay.
#[derive(Debug, Deserialize)]
pub(super) struct RulesForm {
    rules: String,
    action: String,
    days: Option<u32>,
}

const NOTICES: [&str; 2] = ["admin.rules.activated", "admin.rules.restored"];

fn toml_of(document: &serde_json::Value) -> Result<String, ApiError> {
    let set: RuleSet = serde_json::from_value(document.clone()).map_err(|error| {
        CoreError::Internal(format!("a stored rule set does not read: {error}"))
    })?;
    set.to_toml()
        .map_err(|error| CoreError::Internal(format!("cannot write rules as TOML: {error}")).into())
}

async fn history(
    state: &AppState,
    versions: &[RuleSetVersion],
) -> Result<Vec<VersionRow>, ApiError> {
    let names = ActorNames::load(state).await?;
    let activations = state
        .store
        .recent_events("rules.activated", HISTORY_EVENTS)
        .await?;
    Ok(versions
        .iter()
        .map(|version| VersionRow {
            version: version.version,
            saved_by: names.of_stored(&version.created_by),
            saved_at: crate::ui::clock::minute(version.created_at),
            valid: version.valid,
            active: version.active,
            activations: activations
                .iter()
                .filter(|event| event.details["version"].as_i64() == Some(version.version))
                .map(|event| (crate::ui::clock::second(event.at), names.of(&event.actor)))
                .collect(),
        })
        .collect())
}

/// The page with `text` in the editor (the active set, or the default set, when `None`).
async fn page_of<'a>(
    request: &HttpRequest,
    state: &'a AppState,
    text: Option<String>,
) -> Result<RulesPage<'a>, ApiError> {
    let versions = state.store.rule_sets().await?;
    let history = history(state, &versions).await?;
    let text = match (text, versions.iter().find(|version| version.active)) {
        (Some(text), _) => text,
        (None, Some(active)) => toml_of(&active.document)?,
        (None, None) => default_rule_set()
            .to_toml()
            .map_err(|error| CoreError::Internal(format!("cannot write rules as TOML: {error}")))?,
    };
    Ok(RulesPage {
        chrome: Chrome::of(request, state, "admin"),
        active: history.iter().find(|row| row.active).cloned(),
        history,
        text,
        days: DEFAULT_DAYS,
        checked: None,
        simulation: None,
        notice: None,
        alert: None,
    })
}

/// `GET /admin/rules`.
pub(super) async fn page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let text = match query.from {
        None => None,
        Some(wanted) => {
            let stored = state.store.rule_sets().await?;
            let version = stored
                .iter()
                .find(|version| version.version == wanted)
                .ok_or_else(|| CoreError::not_found(format!("rule set version {wanted}")))?;
            Some(toml_of(&version.document)?)
        }
    };
    let mut page = page_of(&request, &state, text).await?;
    page.notice = query.done.notice(&NOTICES);
    render(&page)
}

/// `POST /admin/rules`: `action` = `validate`, `simulate` or `activate`. Validation and
/// simulation show the page again with the results; a valid candidate is stored as a new
/// version and activated (the store audits the activation).
pub(super) async fn submit(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    form: web::Form<RulesForm>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let days = form.days.unwrap_or(DEFAULT_DAYS).clamp(1, MAX_DAYS);
    let checked = check_candidate(&form.rules);
    let valid_set = checked.is_valid().then(|| checked.set.clone()).flatten();
    let mut page = page_of(&request, &state, Some(form.rules.clone())).await?;
    page.days = days;
    match (form.action.as_str(), valid_set) {
        ("validate", _) => {
            if checked.is_valid() {
                page.notice = Some("admin.rules.valid");
            }
        }
        ("simulate" | "activate", None) => {
            page.alert = Some("admin.rules.fix_first");
        }
        ("simulate", Some(set)) => {
            let router =
                router.ok_or_else(|| CoreError::Unavailable("routing on this node".into()))?;
            let request = SimulationRequest {
                rules: Some(serde_json::to_value(&set).map_err(|error| {
                    CoreError::Internal(format!("cannot write rules as JSON: {error}"))
                })?),
                since: Some(state.clock.now() - Duration::days(i64::from(days))),
                live_status: false,
            };
            let report = router.simulate(&request).await?;
            page.simulation = Some(view_of(report).map_err(|error| {
                CoreError::Internal(format!("the simulation report does not read: {error}"))
            })?);
        }
        ("activate", Some(set)) => {
            let document = serde_json::to_value(&set).map_err(|error| {
                CoreError::Internal(format!("cannot write rules as JSON: {error}"))
            })?;
            let created_by = serde_json::to_string(&caller.identity.actor).unwrap_or_default();
            let now = state.clock.now();
            let version = state
                .store
                .save_rule_set(&document, true, &created_by, now)
                .await?;
            state
                .store
                .activate_rule_set(version, &caller.identity.actor, now)
                .await?;
            wake(&router);
            return Ok(see_other("/admin/rules?done=activated"));
        }
        (other, _) => {
            return Err(CoreError::BadInput(format!("unknown rules action {other:?}")).into());
        }
    }
    let is_valid = checked.is_valid();
    page.checked = Some(checked);
    if is_valid {
        render(&page)
    } else {
        render_refused(&page)
    }
}

/// `POST /admin/rules/{version}/activate`: makes an older valid version the active one again.
pub(super) async fn restore(
    caller: Authed<AdminRole>,
    version: web::Path<i64>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    state
        .store
        .activate_rule_set(
            version.into_inner(),
            &caller.identity.actor,
            state.clock.now(),
        )
        .await?;
    wake(&router);
    Ok(see_other("/admin/rules?done=restored"))
}
