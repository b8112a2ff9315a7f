//! The limits of routing settings an admin changes: a queue's settings and an agent's capacity,
//! queues, fairness cap and skills. Every problem is reported at once, by field.

use serde::{Deserialize, Serialize};

use crate::routing::{AgentRoutingUpdate, QueueSettings};
use crate::skill::{Skill, validate_level, validate_skill_name};

/// One setting out of its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingProblem {
    /// The field, as the API names it.
    pub field: &'static str,
    /// Why, for the admin.
    pub reason: String,
}

/// The longest span a queue delay or cool-down may take, in seconds (a day).
pub const MAX_DELAY_SECONDS: i32 = 86_400;
/// The shortest and longest offer an agent can be given, in seconds.
pub const OFFER_TIMEOUT_SECONDS: (i32, i32) = (5, 3_600);
/// The most priority points an item may gain per minute waited.
pub const MAX_AGING_PER_MINUTE: f64 = 1_000.0;
/// The largest capacity an agent may have, in units.
pub const MAX_CAPACITY: i32 = 10_000;
/// The longest fairness window, in minutes (a day).
pub const MAX_FAIRNESS_WINDOW_MINUTES: i32 = 1_440;

fn within(
    problems: &mut Vec<SettingProblem>,
    field: &'static str,
    value: i32,
    (low, high): (i32, i32),
) {
    if !(low..=high).contains(&value) {
        problems.push(SettingProblem {
            field,
            reason: format!("must be between {low} and {high}, not {value}"),
        });
    }
}

/// Lists every setting of a queue out of its limits.
pub fn queue_settings_problems(settings: &QueueSettings) -> Vec<SettingProblem> {
    let mut problems = Vec::new();
    let aging = settings.aging_per_minute;
    if !(aging.is_finite() && (0.0..=MAX_AGING_PER_MINUTE).contains(&aging)) {
        problems.push(SettingProblem {
            field: "aging_per_minute",
            reason: format!("must be between 0 and {MAX_AGING_PER_MINUTE}, not {aging}"),
        });
    }
    within(
        &mut problems,
        "offer_timeout_seconds",
        settings.offer_timeout_seconds,
        OFFER_TIMEOUT_SECONDS,
    );
    for (field, value) in [
        ("secondary_delay_seconds", settings.secondary_delay_seconds),
        ("preferred_agent_seconds", settings.preferred_agent_seconds),
        ("cooldown_seconds", settings.cooldown_seconds),
    ] {
        within(&mut problems, field, value, (0, MAX_DELAY_SECONDS));
    }
    problems
}

/// Lists every setting of an agent's routing update out of its limits.
pub fn agent_routing_problems(update: &AgentRoutingUpdate) -> Vec<SettingProblem> {
    let mut problems = Vec::new();
    if let Some(capacity) = update.capacity {
        within(&mut problems, "capacity", capacity, (1, MAX_CAPACITY));
    }
    if let Some((max, window)) = update.fairness {
        if let Some(max) = max {
            within(&mut problems, "fairness.max", max, (1, i32::MAX));
        }
        within(
            &mut problems,
            "fairness.window_minutes",
            window,
            (1, MAX_FAIRNESS_WINDOW_MINUTES),
        );
    }
    if let Some(queues) = &update.queues {
        let mut seen = std::collections::HashSet::new();
        if queues.iter().any(|(queue, _)| !seen.insert(*queue)) {
            problems.push(SettingProblem {
                field: "queues",
                reason: "names a queue more than once".into(),
            });
        }
    }
    problems
}

/// A skill as an admin sets it: a name and a level, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillSetting {
    /// The skill's name, e.g. `lang:nl`.
    pub name: String,
    /// Proficiency, 1..=5.
    pub level: i64,
}

/// One skill out of its limits: which entry of the list, which of its fields, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillProblem {
    /// The position in the list, from 0.
    pub index: usize,
    /// `name` or `level`.
    pub field: &'static str,
    /// Why, for the admin.
    pub reason: String,
}

/// Checks an agent's new skill list: well-formed names, levels 1..=5, no skill twice. Returns
/// the skills when every entry is right, else every problem.
pub fn checked_skills(skills: &[SkillSetting]) -> Result<Vec<Skill>, Vec<SkillProblem>> {
    let mut problems = Vec::new();
    let mut checked = Vec::with_capacity(skills.len());
    let mut seen = std::collections::HashSet::new();
    for (index, skill) in skills.iter().enumerate() {
        let problem = |field, reason: String| SkillProblem {
            index,
            field,
            reason,
        };
        if let Err(error) = validate_skill_name(&skill.name) {
            problems.push(problem("name", error.to_string()));
        } else if !seen.insert(skill.name.as_str()) {
            problems.push(problem("name", format!("{} is listed twice", skill.name)));
        }
        match validate_level(skill.level) {
            Ok(level) => checked.push(Skill {
                name: skill.name.clone(),
                level,
            }),
            Err(error) => problems.push(problem("level", error.to_string())),
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::QueueId;
    use crate::queue::{OfferMode, QueueStrategy};
    use crate::routing::Membership;

    fn queue() -> QueueSettings {
        QueueSettings {
            id: QueueId::new(1),
            name: "inbox".into(),
            strategy: QueueStrategy::LongestIdle,
            offer_mode: OfferMode::Offer,
            aging_per_minute: 0.5,
            offer_timeout_seconds: 120,
            secondary_delay_seconds: 0,
            preferred_agent_seconds: 300,
            cooldown_seconds: 600,
        }
    }

    #[test]
    fn sensible_queue_settings_pass_and_every_bad_one_is_named() {
        assert!(queue_settings_problems(&queue()).is_empty());
        let bad = QueueSettings {
            aging_per_minute: f64::NAN,
            offer_timeout_seconds: 1,
            cooldown_seconds: -5,
            ..queue()
        };
        let fields: Vec<&str> = queue_settings_problems(&bad)
            .iter()
            .map(|problem| problem.field)
            .collect();
        assert_eq!(
            fields,
            [
                "aging_per_minute",
                "offer_timeout_seconds",
                "cooldown_seconds"
            ]
        );
    }

    #[test]
    fn agent_updates_keep_capacity_fairness_and_queues_sane() {
        let fine = AgentRoutingUpdate {
            capacity: Some(100),
            queues: Some(vec![(QueueId::new(1), Membership::Primary)]),
            fairness: Some((None, 60)),
        };
        assert!(agent_routing_problems(&fine).is_empty());
        let bad = AgentRoutingUpdate {
            capacity: Some(0),
            queues: Some(vec![
                (QueueId::new(1), Membership::Primary),
                (QueueId::new(1), Membership::Secondary),
            ]),
            fairness: Some((Some(0), 0)),
        };
        let fields: Vec<&str> = agent_routing_problems(&bad)
            .iter()
            .map(|problem| problem.field)
            .collect();
        assert_eq!(
            fields,
            [
                "capacity",
                "fairness.max",
                "fairness.window_minutes",
                "queues"
            ]
        );
    }

    #[test]
    fn skills_need_good_names_levels_one_to_five_and_no_repeats() {
        let setting = |name: &str, level| SkillSetting {
            name: name.into(),
            level,
        };
        let skills = checked_skills(&[setting("lang:nl", 5), setting("complaint", 1)]).unwrap();
        assert_eq!(
            skills[0],
            Skill {
                name: "lang:nl".into(),
                level: 5
            }
        );
        let problems = checked_skills(&[
            setting("Lang NL", 3),
            setting("complaint", 0),
            setting("key_account", 6),
            setting("complaint", 2),
        ])
        .unwrap_err();
        let found: Vec<(usize, &str)> = problems
            .iter()
            .map(|problem| (problem.index, problem.field))
            .collect();
        assert_eq!(
            found,
            vec![(0, "name"), (1, "level"), (2, "level"), (3, "name")]
        );
    }
}
