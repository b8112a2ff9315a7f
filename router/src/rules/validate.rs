//! Validation: a rule set becomes a [`ValidRuleSet`] or a list of every error with its position.

use std::collections::HashSet;
use std::fmt;

use cel_interpreter::Program;
use serde::{Deserialize, Serialize};
use switchboard_core::skill::validate_skill_name;

use super::facts::is_known_variable;
use super::template::{LowerTo, RequirementTemplate, SkillPattern, TemplateError};
use super::{RuleSet, SUPPORTED_VERSION};

/// One problem in a rule set, located by rule, field and position in the field's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleError {
    /// The rule's position (from 0); `None` for document-level fields.
    pub rule: Option<usize>,
    /// The rule's name, when it has one.
    pub rule_name: Option<String>,
    /// The field, e.g. `when`, `require[2]`, `relax[1].drop[0]`.
    pub field: String,
    /// 1-based line in the field's text.
    pub line: usize,
    /// 1-based column in the field's text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.rule, &self.rule_name) {
            (Some(index), Some(name)) => write!(f, "rule {index} ({name:?}) ")?,
            (Some(index), None) => write!(f, "rule {index} ")?,
            _ => {}
        }
        write!(
            f,
            "{} {}:{}: {}",
            self.field, self.line, self.column, self.message
        )
    }
}

/// A condition compiled once.
#[derive(Debug)]
pub(crate) struct Condition {
    pub(crate) source: String,
    pub(crate) program: Program,
}

#[derive(Debug)]
pub(crate) struct CompiledConditional {
    pub(crate) when: Condition,
    pub(crate) require: Vec<RequirementTemplate>,
}

#[derive(Debug)]
pub(crate) struct CompiledStep {
    pub(crate) after_minutes: u32,
    pub(crate) lower: Vec<LowerTo>,
    pub(crate) drop: Vec<SkillPattern>,
    pub(crate) widen: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) name: String,
    pub(crate) when: Condition,
    pub(crate) queue: String,
    pub(crate) priority: i32,
    pub(crate) require: Vec<RequirementTemplate>,
    pub(crate) require_if: Vec<CompiledConditional>,
    pub(crate) relax: Vec<CompiledStep>,
}

/// A rule set that passed validation, with conditions compiled; only these can be activated.
#[derive(Debug)]
pub struct ValidRuleSet {
    source: RuleSet,
    pub(crate) rules: Vec<CompiledRule>,
}

impl ValidRuleSet {
    /// Returns the document this set was built from.
    pub fn source(&self) -> &RuleSet {
        &self.source
    }

    /// Returns the document's version.
    pub fn version(&self) -> u32 {
        self.source.version
    }

    /// Returns the queue for items no rule matches.
    pub fn default_queue(&self) -> &str {
        &self.source.default_queue
    }

    /// Returns every queue name the set mentions.
    pub fn queue_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = std::iter::once(self.default_queue())
            .chain(self.rules.iter().map(|rule| rule.queue.as_str()))
            .chain(
                self.rules
                    .iter()
                    .flat_map(|rule| rule.relax.iter().flat_map(|s| s.widen.iter()))
                    .map(String::as_str),
            )
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

struct Collector<'a> {
    errors: Vec<RuleError>,
    rule: Option<(usize, &'a str)>,
}

impl Collector<'_> {
    fn push(&mut self, field: String, line: usize, column: usize, message: String) {
        self.errors.push(RuleError {
            rule: self.rule.map(|(index, _)| index),
            rule_name: self
                .rule
                .map(|(_, name)| name.to_owned())
                .filter(|name| !name.is_empty()),
            field,
            line,
            column,
            message,
        });
    }

    fn template<T>(&mut self, field: String, parsed: Result<T, TemplateError>) -> Option<T> {
        parsed
            .map_err(|error| self.push(field, 1, error.column, error.message))
            .ok()
    }

    fn condition(&mut self, field: String, source: &str) -> Option<Condition> {
        // cel-parser 0.10 panics on some malformed input (e.g. a dangling `&&`) instead of
        // returning an error; the panic is contained here and reported as a syntax error.
        let compiled = std::panic::catch_unwind(|| Program::compile(source));
        let program = match compiled {
            Ok(Ok(program)) => program,
            Err(_) => {
                let column = source.trim_end().chars().count() + 1;
                self.push(
                    field,
                    1,
                    column,
                    "syntax error: the expression is incomplete or malformed".into(),
                );
                return None;
            }
            Ok(Err(errors)) => {
                for error in errors.errors {
                    let line = usize::try_from(error.pos.0).unwrap_or(0).max(1);
                    let column = usize::try_from(error.pos.1).unwrap_or(0) + 1;
                    self.push(field.clone(), line, column, error.msg);
                }
                return None;
            }
        };
        let references = program.references();
        let mut unknown: Vec<&str> = references
            .variables()
            .into_iter()
            .filter(|name| !is_known_variable(name) && !is_bound_by_macro(source, name))
            .collect();
        unknown.sort_unstable();
        for name in &unknown {
            let (line, column) = position_of(source, name);
            self.push(
                field.clone(),
                line,
                column,
                format!("unknown variable `{name}`"),
            );
        }
        unknown.is_empty().then(|| Condition {
            source: source.to_owned(),
            program,
        })
    }

    fn queue_name(&mut self, field: String, name: &str) {
        if validate_skill_name(name).is_err() {
            self.push(
                field,
                1,
                1,
                format!(
                    "invalid queue name {name:?}: use lower-case letters, digits, ':', '_' or '-'"
                ),
            );
        }
    }
}

/// Tells whether `name` is a macro's loop variable, as in `keywords.exists(k, k == 'urgent')`.
fn is_bound_by_macro(source: &str, name: &str) -> bool {
    ["exists", "all", "exists_one", "map", "filter"]
        .iter()
        .any(|macro_name| {
            source
                .match_indices(&format!("{macro_name}("))
                .any(|(at, matched)| {
                    source[at + matched.len()..]
                        .trim_start()
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.trim_start().starts_with(','))
                })
        })
}

fn position_of(source: &str, name: &str) -> (usize, usize) {
    let offset = source
        .match_indices(name)
        .find(|(at, _)| {
            let before = source[..*at].chars().next_back();
            let after = source[at + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
        .map_or(0, |(at, _)| at);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Checks a rule set and compiles its conditions; returns every error found.
pub fn validate(set: &RuleSet) -> Result<ValidRuleSet, Vec<RuleError>> {
    let mut collector = Collector {
        errors: Vec::new(),
        rule: None,
    };
    if set.version != SUPPORTED_VERSION {
        collector.push(
            "version".into(),
            1,
            1,
            format!(
                "unsupported version {}; this build reads version {SUPPORTED_VERSION}",
                set.version
            ),
        );
    }
    collector.queue_name("default_queue".into(), &set.default_queue);
    let mut names = HashSet::new();
    let mut rules = Vec::with_capacity(set.rules.len());
    for (index, rule) in set.rules.iter().enumerate() {
        collector.rule = Some((index, rule.name.as_str()));
        if rule.name.trim().is_empty() {
            collector.push("name".into(), 1, 1, "a rule needs a name".into());
        } else if !names.insert(rule.name.as_str()) {
            collector.push(
                "name".into(),
                1,
                1,
                format!("duplicate rule name {:?}", rule.name),
            );
        }
        collector.queue_name("queue".into(), &rule.queue);
        if let Some(compiled) = compile_rule(&mut collector, rule) {
            rules.push(compiled);
        }
    }
    if collector.errors.is_empty() {
        Ok(ValidRuleSet {
            source: set.clone(),
            rules,
        })
    } else {
        Err(collector.errors)
    }
}

fn compile_rule(collector: &mut Collector<'_>, rule: &super::Rule) -> Option<CompiledRule> {
    let before = collector.errors.len();
    let when = collector.condition("when".into(), &rule.when);
    let require: Vec<RequirementTemplate> = templates(collector, "require", &rule.require);
    let mut require_if = Vec::new();
    for (index, conditional) in rule.require_if.iter().enumerate() {
        let field = format!("require_if[{index}]");
        let when = collector.condition(format!("{field}.when"), &conditional.when);
        let require = templates(collector, &format!("{field}.require"), &conditional.require);
        if let Some(when) = when {
            require_if.push(CompiledConditional { when, require });
        }
    }
    let mut relax = Vec::new();
    let mut previous_minutes = 0;
    for (index, step) in rule.relax.iter().enumerate() {
        let field = format!("relax[{index}]");
        if step.after_minutes <= previous_minutes {
            collector.push(
                format!("{field}.after_minutes"),
                1,
                1,
                format!(
                    "after_minutes must rise and be above 0 (got {} after {previous_minutes})",
                    step.after_minutes
                ),
            );
        }
        previous_minutes = step.after_minutes;
        if step.lower.is_empty() && step.drop.is_empty() && step.widen.is_empty() {
            collector.push(
                field.clone(),
                1,
                1,
                "a step must lower, drop or widen something".into(),
            );
        }
        let lower = parsed_list(collector, &field, "lower", &step.lower, LowerTo::parse);
        let drop = parsed_list(collector, &field, "drop", &step.drop, SkillPattern::parse);
        for (widen_index, queue) in step.widen.iter().enumerate() {
            collector.queue_name(format!("{field}.widen[{widen_index}]"), queue);
        }
        relax.push(CompiledStep {
            after_minutes: step.after_minutes,
            lower,
            drop,
            widen: step.widen.clone(),
        });
    }
    let when = when?;
    (collector.errors.len() == before).then(|| CompiledRule {
        name: rule.name.clone(),
        when,
        queue: rule.queue.clone(),
        priority: rule.priority,
        require,
        require_if,
        relax,
    })
}

fn templates(
    collector: &mut Collector<'_>,
    field: &str,
    raw: &[String],
) -> Vec<RequirementTemplate> {
    raw.iter()
        .enumerate()
        .filter_map(|(index, text)| {
            collector.template(
                format!("{field}[{index}]"),
                RequirementTemplate::parse(text),
            )
        })
        .collect()
}

fn parsed_list<T>(
    collector: &mut Collector<'_>,
    step_field: &str,
    name: &str,
    raw: &[String],
    parse: fn(&str) -> Result<T, TemplateError>,
) -> Vec<T> {
    raw.iter()
        .enumerate()
        .filter_map(|(index, text)| {
            collector.template(format!("{step_field}.{name}[{index}]"), parse(text))
        })
        .collect()
}
