//! An agent's skills on the admin agent page (`POST /admin/agents/{login}/skills`): every skill
//! a row with its name and level (1–5) and a remove box, plus empty rows to add new ones. The
//! list replaces the agent's skills through the same validated and audited path as
//! `PUT /api/v1/agents/{login}/routing`; a refused list is shown again as typed, each problem
//! beside its row.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use switchboard_core::ErrorKind;
use switchboard_core::skill::{MAX_LEVEL, MIN_LEVEL, Skill};

use super::render_refused;
use super::routing::{agent_page_of, agent_saved, described, is_mistake};
use crate::api::acting::{Router, wake};
use crate::api::routing_settings::{AgentRoutingChange, SkillEntry, change_agent_routing};
use crate::auth::{AdminRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;

/// Empty rows the form offers for new skills.
const NEW_ROWS: usize = 3;
/// The most rows a form is read for (a bound on what a request can make us parse).
const MOST_ROWS: usize = 200;

/// One row of the skills form, as shown: a skill, an empty row to add one, or a refused entry
/// with its problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SkillRow {
    pub(super) name: String,
    pub(super) level: String,
    pub(super) removed: bool,
    pub(super) problems: Vec<String>,
}

impl SkillRow {
    fn empty() -> Self {
        Self {
            name: String::new(),
            level: MIN_LEVEL.to_string(),
            removed: false,
            problems: Vec::new(),
        }
    }

    /// Whether the row names no skill (an unused row for a new one).
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
    }
}

/// The levels the form offers.
pub(super) fn levels() -> Vec<String> {
    (MIN_LEVEL..=MAX_LEVEL)
        .map(|level| level.to_string())
        .collect()
}

/// The rows of an agent's stored skills, and empty rows to add new ones.
pub(super) fn rows_of(skills: &[Skill]) -> Vec<SkillRow> {
    skills
        .iter()
        .map(|skill| SkillRow {
            name: skill.name.clone(),
            level: skill.level.to_string(),
            ..SkillRow::empty()
        })
        .chain(std::iter::repeat_with(SkillRow::empty).take(NEW_ROWS))
        .collect()
}

/// The rows a form posted: `name_N`, `level_N` and `remove_N` (present when ticked) for N
/// from 0 until a row is missing.
fn posted_rows(form: &HashMap<String, String>) -> Vec<SkillRow> {
    (0..MOST_ROWS)
        .map_while(|row| {
            let name = form.get(&format!("name_{row}"))?;
            Some(SkillRow {
                name: name.trim().to_owned(),
                level: form
                    .get(&format!("level_{row}"))
                    .map(|level| level.trim().to_owned())
                    .unwrap_or_default(),
                removed: form.contains_key(&format!("remove_{row}")),
                problems: Vec::new(),
            })
        })
        .collect()
}

/// The new skill list of the posted rows (removed and blank rows left out), with the row each
/// entry came from; or the rows with a level that is no number, each with its problem.
fn skill_list(rows: &mut [SkillRow]) -> Result<Vec<(usize, SkillEntry)>, ()> {
    let mut entries = Vec::new();
    let mut unreadable = false;
    for (position, row) in rows.iter_mut().enumerate() {
        if row.removed || row.is_blank() {
            continue;
        }
        match row.level.parse::<i64>() {
            Ok(level) => entries.push((
                position,
                SkillEntry {
                    name: row.name.clone(),
                    level,
                },
            )),
            Err(_) => {
                row.problems
                    .push(format!("level: {:?} is not a number", row.level));
                unreadable = true;
            }
        }
    }
    if unreadable { Err(()) } else { Ok(entries) }
}

/// Puts each problem of a refused list (fields `skills[I].FIELD`, as the API names them) on
/// the row entry `I` came from; returns whether every problem found its row.
fn place_problems(error: &ApiError, rows: &mut [SkillRow], row_of_entry: &[usize]) -> bool {
    let mut all_placed = true;
    for problem in &error.problems {
        let placed = problem
            .field
            .as_deref()
            .and_then(entry_field)
            .and_then(|(entry, field)| Some((*row_of_entry.get(entry)?, field)))
            .and_then(|(row, field)| {
                let row = rows.get_mut(row)?;
                row.problems.push(format!("{field}: {}", problem.reason));
                Some(())
            });
        all_placed &= placed.is_some();
    }
    all_placed
}

/// Splits `skills[3].level` into the entry (3) and its field (`level`).
fn entry_field(field: &str) -> Option<(usize, &str)> {
    let (entry, field) = field.strip_prefix("skills[")?.split_once("].")?;
    Some((entry.parse().ok()?, field))
}

/// `POST /admin/agents/{login}/skills`.
pub(super) async fn update(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    login: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let login = login.into_inner();
    let mut rows = posted_rows(&form);
    let refused = match skill_list(&mut rows) {
        Err(()) => None,
        Ok(entries) => {
            let (row_of_entry, skills): (Vec<usize>, Vec<SkillEntry>) = entries.into_iter().unzip();
            let change = AgentRoutingChange {
                skills: Some(skills),
                ..AgentRoutingChange::default()
            };
            match change_agent_routing(&state, &caller.identity, &login, &change).await {
                Ok(()) => {
                    wake(&router);
                    return Ok(agent_saved(&login, "skills_saved"));
                }
                Err(error) if is_mistake(&error) && error.error.kind() != ErrorKind::NotFound => {
                    let placed = place_problems(&error, &mut rows, &row_of_entry);
                    Some((error, placed))
                }
                Err(error) => return Err(error),
            }
        }
    };
    let mut page = agent_page_of(&request, &state, &login).await?;
    page.skill_rows = rows;
    // The page always says the list was refused; what no row shows is said beside it.
    page.skills_alert = Some(match refused {
        Some((error, placed)) if !placed || error.problems.is_empty() => described(&error),
        _ => String::new(),
    });
    render_refused(&page)
}

#[cfg(test)]
mod tests {
    use super::super::form_of as form;
    use super::*;

    #[test]
    fn removed_and_blank_rows_leave_the_list_and_entries_remember_their_row() {
        let mut rows = posted_rows(&form(&[
            ("name_0", "lang:nl"),
            ("level_0", "4"),
            ("name_1", "product:haircare"),
            ("level_1", "2"),
            ("remove_1", "on"),
            ("name_2", " "),
            ("level_2", "1"),
            ("name_3", "lang:de"),
            ("level_3", "3"),
            // A gap ends the rows: name_5 is never read.
            ("name_5", "lang:fr"),
        ]));
        assert_eq!(rows.len(), 4);
        let entries = skill_list(&mut rows).unwrap();
        let listed: Vec<(usize, &str, i64)> = entries
            .iter()
            .map(|(row, entry)| (*row, entry.name.as_str(), entry.level))
            .collect();
        assert_eq!(listed, vec![(0, "lang:nl", 4), (3, "lang:de", 3)]);
    }

    #[test]
    fn a_level_that_is_no_number_is_a_problem_of_its_row() {
        let mut rows = posted_rows(&form(&[
            ("name_0", "lang:nl"),
            ("level_0", "high"),
            ("name_1", "lang:en"),
            ("level_1", "2"),
        ]));
        assert!(skill_list(&mut rows).is_err());
        assert_eq!(rows[0].problems.len(), 1);
        assert!(rows[1].problems.is_empty());
    }

    #[test]
    fn problems_named_by_entry_land_on_the_row_the_entry_came_from() {
        let mut rows = vec![SkillRow::empty(), SkillRow::empty(), SkillRow::empty()];
        let error = ApiError::with_problems(
            "the agent's skills are invalid",
            vec![crate::error::FieldProblem {
                line: None,
                field: Some("skills[1].level".into()),
                reason: "skill level 9 is outside 1..=5".into(),
            }],
        );
        assert!(place_problems(&error, &mut rows, &[0, 2]));
        assert!(rows[0].problems.is_empty() && rows[1].problems.is_empty());
        assert_eq!(
            rows[2].problems,
            vec!["level: skill level 9 is outside 1..=5"]
        );
        assert_eq!(entry_field("skills[12].name"), Some((12, "name")));
        assert_eq!(entry_field("queues"), None);
    }
}
