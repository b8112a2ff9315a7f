//! Evaluation: which rule matches an item, and what it requires at each relaxation step.

use cel_interpreter::Context;
use cel_interpreter::objects::Value;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::QueueId;
use switchboard_core::skill::SkillRequirement;

use super::facts::{ItemFacts, bind};
use super::validate::{CompiledStep, Condition, ValidRuleSet};
use crate::explain::RuleRef;
use crate::model::{ItemRoute, RouteStep};

/// What happened with a rule that did not decide the item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RuleOutcome {
    /// The condition yielded `false`.
    NotMatched,
    /// The condition failed or yielded a non-boolean; the rule is skipped.
    Error {
        /// What went wrong.
        message: String,
    },
}

/// A rule passed over while looking for the first match, or a conditional requirement's error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleNote {
    /// The rule.
    pub rule: RuleRef,
    /// Where in the rule (`when` or `require_if[i].when`).
    pub field: String,
    /// What happened.
    pub outcome: RuleOutcome,
}

/// The requirements and extra queues from one minute of waiting on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    /// Minutes since arrival.
    pub after_minutes: u32,
    /// Skills required.
    pub required: Vec<SkillRequirement>,
    /// Queues besides the home queue.
    pub extra_queues: Vec<String>,
}

/// An item's whole route: the matching rule and every step, independent of the time waited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutePlan {
    /// The matching rule; `None` when the item went to the default queue.
    pub rule: Option<RuleRef>,
    /// The home queue's name.
    pub queue: String,
    /// Base priority.
    pub priority: i32,
    /// Step 0 then each relaxation step.
    pub steps: Vec<PlanStep>,
    /// Rules passed over, and condition errors.
    pub notes: Vec<RuleNote>,
}

/// The route in force now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// The matching rule.
    pub rule: Option<RuleRef>,
    /// The home queue's name.
    pub queue: String,
    /// Queues whose agents may also take the item now.
    pub extra_queues: Vec<String>,
    /// Skills required now.
    pub required_skills: Vec<SkillRequirement>,
    /// Base priority.
    pub priority: i32,
    /// The step in force (0 = the rule's own requirements).
    pub step: usize,
    /// Whole minutes waited since arrival.
    pub waited_minutes: i64,
    /// When the next step starts, if there is one.
    pub next_step_at: Option<DateTime<Utc>>,
    /// Rules passed over, and condition errors.
    pub notes: Vec<RuleNote>,
}

impl RoutePlan {
    /// The skills the first step requires: an item's requirements until that step relaxes.
    pub fn first_required(&self) -> Vec<SkillRequirement> {
        self.steps
            .first()
            .map(|step| step.required.clone())
            .unwrap_or_default()
    }

    /// Returns the index of the step in force after `waited_minutes`.
    pub fn step_index_at(&self, waited_minutes: i64) -> usize {
        self.steps
            .iter()
            .rposition(|step| i64::from(step.after_minutes) <= waited_minutes)
            .unwrap_or(0)
    }

    /// Resolves queue names to ids for the policy; returns the first unknown name on failure.
    pub fn to_item_route(
        &self,
        queue_id: impl Fn(&str) -> Option<QueueId>,
    ) -> Result<ItemRoute, String> {
        let home = queue_id(&self.queue).ok_or_else(|| self.queue.clone())?;
        let mut steps = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let extra_queues = step
                .extra_queues
                .iter()
                .map(|name| queue_id(name).ok_or_else(|| name.clone()))
                .collect::<Result<Vec<_>, _>>()?;
            steps.push(RouteStep {
                after_minutes: step.after_minutes,
                required: step.required.clone(),
                extra_queues,
            });
        }
        Ok(ItemRoute {
            rule: self.rule.clone(),
            queue: home,
            priority: self.priority,
            steps,
        })
    }
}

fn check(condition: &Condition, context: &Context<'_>) -> Result<bool, String> {
    match condition.program.execute(context) {
        Ok(Value::Bool(result)) => Ok(result),
        Ok(other) => Err(format!(
            "condition `{}` yielded {:?}, not a bool",
            condition.source,
            other.type_of()
        )),
        Err(error) => Err(format!("condition `{}` failed: {error}", condition.source)),
    }
}

fn apply_step(step: &CompiledStep, required: &mut Vec<SkillRequirement>, queues: &mut Vec<String>) {
    required.retain(|req| !step.drop.iter().any(|pattern| pattern.matches(&req.name)));
    for lower in &step.lower {
        for req in required.iter_mut() {
            if lower.pattern.matches(&req.name) {
                req.min_level = req.min_level.min(lower.level);
            }
        }
    }
    for queue in &step.widen {
        if !queues.contains(queue) {
            queues.push(queue.clone());
        }
    }
}

/// Finds the first matching rule and builds the item's route with every relaxation step.
///
/// `now` only feeds the `age_minutes` variable of conditions.
pub fn plan(set: &ValidRuleSet, facts: &ItemFacts, now: DateTime<Utc>) -> RoutePlan {
    let mut context = Context::default();
    bind(&mut context, facts, now);
    let mut notes = Vec::new();
    for (index, rule) in set.rules.iter().enumerate() {
        let rule_ref = RuleRef {
            index,
            name: rule.name.clone(),
        };
        match check(&rule.when, &context) {
            Ok(true) => {}
            Ok(false) => {
                notes.push(RuleNote {
                    rule: rule_ref,
                    field: "when".into(),
                    outcome: RuleOutcome::NotMatched,
                });
                continue;
            }
            Err(message) => {
                notes.push(RuleNote {
                    rule: rule_ref,
                    field: "when".into(),
                    outcome: RuleOutcome::Error { message },
                });
                continue;
            }
        }
        let mut required = Vec::new();
        for template in &rule.require {
            template.expand(facts, &mut required);
        }
        for (conditional_index, conditional) in rule.require_if.iter().enumerate() {
            match check(&conditional.when, &context) {
                Ok(true) => conditional
                    .require
                    .iter()
                    .for_each(|template| template.expand(facts, &mut required)),
                Ok(false) => {}
                Err(message) => notes.push(RuleNote {
                    rule: rule_ref.clone(),
                    field: format!("require_if[{conditional_index}].when"),
                    outcome: RuleOutcome::Error { message },
                }),
            }
        }
        let mut steps = vec![PlanStep {
            after_minutes: 0,
            required: required.clone(),
            extra_queues: Vec::new(),
        }];
        let mut queues = Vec::new();
        for step in &rule.relax {
            apply_step(step, &mut required, &mut queues);
            steps.push(PlanStep {
                after_minutes: step.after_minutes,
                required: required.clone(),
                extra_queues: queues.clone(),
            });
        }
        return RoutePlan {
            rule: Some(rule_ref),
            queue: rule.queue.clone(),
            priority: rule.priority,
            steps,
            notes,
        };
    }
    RoutePlan {
        rule: None,
        queue: set.default_queue().to_owned(),
        priority: facts.priority,
        steps: vec![PlanStep {
            after_minutes: 0,
            required: Vec::new(),
            extra_queues: Vec::new(),
        }],
        notes,
    }
}

/// Routes an item as of `now`: the first matching rule and the relaxation step in force.
pub fn evaluate(set: &ValidRuleSet, facts: &ItemFacts, now: DateTime<Utc>) -> Routing {
    let plan = plan(set, facts, now);
    let waited_minutes = (now - facts.received_at).num_minutes().max(0);
    let step = plan.step_index_at(waited_minutes);
    let next_step_at = plan
        .steps
        .get(step + 1)
        .map(|next| facts.received_at + Duration::minutes(i64::from(next.after_minutes)));
    let RoutePlan {
        rule,
        queue,
        priority,
        mut steps,
        notes,
    } = plan;
    let current = steps.swap_remove(step);
    Routing {
        rule,
        queue,
        extra_queues: current.extra_queues,
        required_skills: current.required,
        priority,
        step,
        waited_minutes,
        next_step_at,
        notes,
    }
}
