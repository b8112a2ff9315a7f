//! SLA policies and business hours (`/admin/sla`): the settings in force — an admin's newest
//! saved version, else the configuration file's `[sla]` — as a form (time zone, opening hours
//! per day, holidays, at-risk share, targets per queue and channel). A save is checked by
//! [`SlaPolicy::from_settings`] (a refusal is shown at its field), stored as a new version,
//! audited as `sla.settings_changed` and put in force at once for this node's pipeline and
//! pages (other nodes follow within seconds). Older versions can be restored, and "use the
//! configuration file" saves a version that returns to the file's settings.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use switchboard_core::CoreError;
use switchboard_core::item::Channel;
use switchboard_core::sla::SlaSettingsVersion;
use switchboard_router::sla::{SlaError, SlaPolicy, SlaSettings, settings_in_force};

use super::audit::{ActorNames, record};
use super::sla_form::SlaForm;
use super::{Done, render_refused};
use crate::auth::{AdminRole, Authed, Identity};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render, see_other};

/// Versions the history lists (and restore finds).
const HISTORY: u32 = 50;

/// A saved version as the history lists it.
struct VersionRow {
    version: i64,
    saved_by: String,
    saved_at: String,
    /// Whether it returned to the configuration file's settings.
    is_file: bool,
}

#[derive(Template)]
#[template(path = "admin_sla.html")]
struct SlaPage<'a> {
    chrome: Chrome<'a>,
    form: SlaForm,
    /// The version in force, or `None` for the configuration file's settings.
    in_force: Option<VersionRow>,
    history: Vec<VersionRow>,
    queues: Vec<String>,
    channels: &'static [Channel],
    notice: Option<&'static str>,
    alert: Option<String>,
}

impl SlaPage<'_> {
    fn field_problem(&self, field: &str) -> Option<&str> {
        self.form.problem_of(field)
    }

    fn hours_problem(&self, day: &str) -> Option<&str> {
        self.form.problem_of(&format!("hours_{day}"))
    }

    fn day_label(&self, day: &str) -> String {
        self.chrome
            .t
            .get(&format!("admin.sla.day_{day}"))
            .to_owned()
    }
}

async fn page_of<'a>(
    request: &HttpRequest,
    state: &'a AppState,
    form: Option<SlaForm>,
) -> Result<SlaPage<'a>, ApiError> {
    let versions = state.store.sla_settings_versions(HISTORY).await?;
    let names = ActorNames::load(state).await?;
    let row_of = |version: &SlaSettingsVersion| VersionRow {
        version: version.version,
        saved_by: names.of(&version.created_by),
        saved_at: crate::ui::clock::minute(version.created_at),
        is_file: version.document.is_none(),
    };
    let newest = versions.first();
    // A saved version that cannot be read is named, and the file's settings offered to save.
    let mut alert = None;
    let form = match form {
        Some(form) => form,
        None => SlaForm::of(&match settings_in_force(&state.sla_file, newest) {
            Ok(settings) => settings,
            Err(error) => {
                alert = Some(error.to_string());
                (*state.sla_file).clone()
            }
        }),
    };
    let mut queues: Vec<String> = state
        .store
        .queue_settings()
        .await?
        .into_iter()
        .map(|queue| queue.name)
        .collect();
    // A target may name a queue that is gone: keep it choosable so a save keeps it.
    for row in &form.targets {
        if !row.queue.is_empty() && !queues.contains(&row.queue) {
            queues.push(row.queue.clone());
        }
    }
    Ok(SlaPage {
        chrome: Chrome::of(request, state, "admin"),
        in_force: newest
            .filter(|newest| newest.document.is_some())
            .map(row_of),
        history: versions.iter().map(row_of).collect(),
        form,
        queues,
        channels: Channel::ALL,
        notice: None,
        alert,
    })
}

/// `GET /admin/sla`.
pub(super) async fn page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    done: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut page = page_of(&request, &state, None).await?;
    page.notice = done.notice(&["admin.sla.saved", "admin.sla.restored", "admin.sla.file"]);
    render(&page)
}

/// Stores `settings` (`None`: the configuration file's again) as the newest version, audits
/// it and puts its policy in force on this node. The inner error refuses settings that build
/// no policy (the admin's mistake); the outer one is our failure.
async fn put_in_force(
    state: &AppState,
    caller: &Identity,
    settings: Option<&SlaSettings>,
) -> Result<Result<SlaSettingsVersion, SlaError>, ApiError> {
    let policy = match SlaPolicy::from_settings(settings.unwrap_or(&state.sla_file)) {
        Ok(policy) => policy,
        Err(error) => return Ok(Err(error)),
    };
    let document = settings
        .map(serde_json::to_value)
        .transpose()
        .map_err(|error| CoreError::Internal(format!("SLA settings as JSON: {error}")))?;
    let saved = state
        .store
        .save_sla_settings(document.as_ref(), &caller.actor, state.clock.now())
        .await?;
    let details = serde_json::json!({
        "version": saved.version,
        "source": if document.is_some() { "admin" } else { "file" },
        "settings": document,
    });
    record(state, caller, "sla.settings_changed", details).await?;
    state.sla.replace(policy);
    Ok(Ok(saved))
}

/// A refusal of settings that no longer build a policy (a restore, the file's) as bad input.
fn refused(error: SlaError) -> ApiError {
    CoreError::BadInput(error.to_string()).into()
}

/// `POST /admin/sla`.
pub(super) async fn save(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut form = SlaForm::posted(&fields);
    if let Some((settings, rows)) = form.settings() {
        match put_in_force(&state, &caller.identity, Some(&settings)).await? {
            Ok(_) => return Ok(see_other("/admin/sla?done=saved")),
            Err(error) => form.place(&error, &rows),
        }
    }
    let mut page = page_of(&request, &state, Some(form)).await?;
    page.alert = page
        .form
        .problem_of("form")
        .map(str::to_owned)
        .or(page.alert);
    render_refused(&page)
}

/// `POST /admin/sla/{version}/restore`: the settings of an older version in force again.
pub(super) async fn restore(
    caller: Authed<AdminRole>,
    version: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let version = version.into_inner();
    let old = state
        .store
        .sla_settings_versions(HISTORY)
        .await?
        .into_iter()
        .find(|saved| saved.version == version)
        .ok_or_else(|| CoreError::not_found(format!("SLA settings version {version}")))?;
    let settings = settings_in_force(&state.sla_file, Some(&old)).map_err(refused)?;
    let restored = old.document.is_some().then_some(&settings);
    put_in_force(&state, &caller.identity, restored)
        .await?
        .map_err(refused)?;
    Ok(see_other("/admin/sla?done=restored"))
}

/// `POST /admin/sla/file`: the configuration file's settings in force again.
pub(super) async fn use_file(
    caller: Authed<AdminRole>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    put_in_force(&state, &caller.identity, None)
        .await?
        .map_err(refused)?;
    Ok(see_other("/admin/sla?done=file"))
}
