//! "Why is this still waiting": the router's explanation of a waiting item in words a lead
//! reads, in the page's language — the outcome, then how many agents were left out for which
//! reason, and the skills required at the relaxation step in force.

use std::collections::HashMap;

use switchboard_core::UserId;
use switchboard_router::Explanation;
use switchboard_router::explain::{ExclusionKind, Outcome};

use crate::ui::i18n::Texts;

/// An explanation as the board shows it.
pub struct WhyWaiting {
    /// The outcome sentence.
    pub outcome: String,
    /// "away or offline: 2", one per reason agents were left out.
    pub reasons: Vec<String>,
    /// The skills required now and the step, e.g. "language:nl≥1 · step 0".
    pub requirements: String,
}

fn exclusion_key(kind: ExclusionKind) -> &'static str {
    match kind {
        ExclusionKind::Status => "why.status",
        ExclusionKind::NotInQueue => "why.not_in_queue",
        ExclusionKind::QueueDelay => "why.queue_delay",
        ExclusionKind::MissingSkill => "why.missing_skill",
        ExclusionKind::Capacity => "why.capacity",
        ExclusionKind::FairnessCap => "why.fairness_cap",
        ExclusionKind::Declined => "why.declined",
        ExclusionKind::ReservedForOther => "why.reserved_for_other",
    }
}

/// Puts the explanation into words; `logins` names agents by id.
pub fn why_waiting(
    explanation: &Explanation,
    logins: &HashMap<UserId, String>,
    t: &Texts,
) -> WhyWaiting {
    let name = |agent: &UserId| {
        logins
            .get(agent)
            .cloned()
            .unwrap_or_else(|| format!("#{agent}"))
    };
    let at = |time: &chrono::DateTime<chrono::Utc>| time.format("%H:%M UTC").to_string();
    let outcome = match &explanation.outcome {
        Outcome::Assigned { agent }
        | Outcome::Offered { agent }
        | Outcome::PreferredAgent { agent }
        | Outcome::Pulled { agent } => t.get("why.next_round").replace("{agent}", &name(agent)),
        Outcome::NoEligibleAgent => t.get("why.no_agent").to_owned(),
        Outcome::ReservedForPreferred { agent, until } => t
            .get("why.reserved")
            .replace("{agent}", &name(agent))
            .replace("{until}", &at(until)),
        Outcome::OfferPending { agent, expires_at } => t
            .get("why.offer_pending")
            .replace("{agent}", &name(agent))
            .replace("{until}", &at(expires_at)),
        Outcome::CoolingDown { until } => t.get("why.cooling_down").replace("{until}", &at(until)),
        Outcome::UnknownQueue => t.get("why.unknown_queue").to_owned(),
    };
    let reasons = explanation
        .excluded_counts
        .iter()
        .map(|count| format!("{}: {}", t.get(exclusion_key(count.reason)), count.count))
        .collect();
    let skills: Vec<String> = explanation
        .required_skills
        .iter()
        .map(ToString::to_string)
        .collect();
    let requirements = format!(
        "{} · {} {}",
        if skills.is_empty() {
            t.get("why.no_skills").to_owned()
        } else {
            skills.join(", ")
        },
        t.get("why.step"),
        explanation.step
    );
    WhyWaiting {
        outcome,
        reasons,
        requirements,
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::QueueId;
    use switchboard_core::skill::SkillRequirement;
    use switchboard_router::explain::ExclusionCount;

    use super::*;
    use crate::ui::i18n::{Catalog, Lang};

    fn explanation(outcome: Outcome) -> Explanation {
        Explanation {
            rule: None,
            step: 1,
            waited_minutes: 12,
            queue: QueueId::new(1),
            queues: vec![QueueId::new(1)],
            required_skills: vec![SkillRequirement::new("language:nl", 2)],
            effective_priority: 0.0,
            preferred: None,
            considered: 3,
            excluded_counts: vec![
                ExclusionCount {
                    reason: ExclusionKind::Status,
                    count: 2,
                },
                ExclusionCount {
                    reason: ExclusionKind::MissingSkill,
                    count: 1,
                },
            ],
            excluded: Vec::new(),
            scored: Vec::new(),
            outcome,
        }
    }

    #[test]
    fn a_waiting_item_names_its_outcome_reasons_and_requirements() {
        let catalog = Catalog::embedded();
        let logins = HashMap::from([(UserId::new(7), "anna".to_owned())]);
        let english = why_waiting(
            &explanation(Outcome::NoEligibleAgent),
            &logins,
            catalog.texts(Lang::En),
        );
        assert_eq!(english.outcome, "No agent can take it now.");
        assert_eq!(
            english.reasons,
            vec!["away or offline: 2", "missing a required skill: 1"]
        );
        assert!(english.requirements.contains("step 1"));
        assert!(english.requirements.contains("language:nl"));

        let dutch = why_waiting(
            &explanation(Outcome::Offered {
                agent: UserId::new(7),
            }),
            &logins,
            catalog.texts(Lang::Nl),
        );
        assert!(dutch.outcome.contains("anna"), "{}", dutch.outcome);
        assert_eq!(dutch.reasons[0], "afwezig of offline: 2");
    }
}
