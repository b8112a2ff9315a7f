//! The SLA settings form: [`SlaSettings`] as form fields and back. Fields: `timezone`,
//! `hours_mon` … `hours_sun` (`HH:MM-HH:MM`, empty: closed), `holidays` (one `YYYY-MM-DD` a
//! line), `at_risk_percent` (1–100), and per target row N `queue_N`, `channel_N` (empty: any),
//! `minutes_N` and `remove_N`. Checking is [`SlaPolicy::from_settings`]'s; its error is placed
//! at the field it concerns.

use std::collections::{BTreeMap, HashMap};

use switchboard_core::item::Channel;
use switchboard_router::sla::{CalendarError, DAY_NAMES, SlaError, SlaSettings, SlaTarget};

/// Empty target rows the form offers for new targets.
const NEW_TARGETS: usize = 2;
/// The most target rows a form is read for.
const MOST_TARGETS: usize = 200;

/// One target row as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TargetRow {
    pub(super) queue: String,
    pub(super) channel: String,
    pub(super) minutes: String,
    pub(super) removed: bool,
    pub(super) problem: Option<String>,
}

impl TargetRow {
    fn is_blank(&self) -> bool {
        self.queue.is_empty() && self.channel.is_empty() && self.minutes.trim().is_empty()
    }
}

/// The form's values, as shown or as posted, and the problems found, by field.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct SlaForm {
    pub(super) timezone: String,
    /// Every day `mon` … `sun` with its opening hours (empty: closed).
    pub(super) hours: Vec<(&'static str, String)>,
    pub(super) holidays: String,
    pub(super) at_risk_percent: String,
    pub(super) targets: Vec<TargetRow>,
    /// Problems by field name (`timezone`, `hours_tue`, `holidays`, `at_risk_percent`); a
    /// target's problem is on its row.
    pub(super) problems: HashMap<String, String>,
}

impl SlaForm {
    /// The form showing `settings`, with empty rows for new targets.
    pub(super) fn of(settings: &SlaSettings) -> Self {
        let hours = DAY_NAMES
            .iter()
            .map(|day| (*day, settings.hours.get(*day).cloned().unwrap_or_default()))
            .collect();
        let targets = settings
            .targets
            .iter()
            .map(|target| TargetRow {
                queue: target.queue.clone().unwrap_or_default(),
                channel: target
                    .channel
                    .map(Channel::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                minutes: target.business_minutes.to_string(),
                ..TargetRow::default()
            })
            .chain(std::iter::repeat_with(TargetRow::default).take(NEW_TARGETS))
            .collect();
        Self {
            timezone: settings.timezone.clone(),
            hours,
            holidays: settings.holidays.join("\n"),
            at_risk_percent: ((settings.at_risk_share * 10_000.0).round() / 100.0).to_string(),
            targets,
            problems: HashMap::new(),
        }
    }

    /// The form as posted.
    pub(super) fn posted(fields: &HashMap<String, String>) -> Self {
        let field = |name: &str| fields.get(name).map(|value| value.trim().to_owned());
        let hours = DAY_NAMES
            .iter()
            .map(|day| (*day, field(&format!("hours_{day}")).unwrap_or_default()))
            .collect();
        let targets = (0..MOST_TARGETS)
            .map_while(|row| {
                Some(TargetRow {
                    minutes: field(&format!("minutes_{row}"))?,
                    queue: field(&format!("queue_{row}")).unwrap_or_default(),
                    channel: field(&format!("channel_{row}")).unwrap_or_default(),
                    removed: fields.contains_key(&format!("remove_{row}")),
                    problem: None,
                })
            })
            .collect();
        Self {
            timezone: field("timezone").unwrap_or_default(),
            hours,
            holidays: field("holidays").unwrap_or_default(),
            at_risk_percent: field("at_risk_percent").unwrap_or_default(),
            targets,
            problems: HashMap::new(),
        }
    }

    /// The settings the form describes, with the row each target came from; or, with the
    /// problems marked, `None` when a number cannot be read.
    pub(super) fn settings(&mut self) -> Option<(SlaSettings, Vec<usize>)> {
        let share = match self.at_risk_percent.parse::<f64>() {
            Ok(percent) => Some(percent / 100.0),
            Err(_) => {
                self.problem("at_risk_percent", "is not a number");
                None
            }
        };
        let mut targets = Vec::new();
        let mut rows = Vec::new();
        for (position, row) in self.targets.iter_mut().enumerate() {
            if row.removed || row.is_blank() {
                continue;
            }
            let channel = match row.channel.as_str() {
                "" => None,
                name => match Channel::parse(name) {
                    Some(channel) => Some(channel),
                    None => {
                        row.problem = Some(format!("{name:?} is not a channel"));
                        continue;
                    }
                },
            };
            let Ok(business_minutes) = row.minutes.parse::<u32>() else {
                row.problem = Some(format!("{:?} is not a number of minutes", row.minutes));
                continue;
            };
            targets.push(SlaTarget {
                queue: (!row.queue.is_empty()).then(|| row.queue.clone()),
                channel,
                business_minutes,
            });
            rows.push(position);
        }
        let unreadable = self.targets.iter().any(|row| row.problem.is_some());
        let settings = SlaSettings {
            timezone: self.timezone.clone(),
            hours: self
                .hours
                .iter()
                .filter(|(_, hours)| !hours.is_empty())
                .map(|(day, hours)| ((*day).to_owned(), hours.clone()))
                .collect::<BTreeMap<_, _>>(),
            holidays: self
                .holidays
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
            at_risk_share: share?,
            targets,
        };
        (!unreadable).then_some((settings, rows))
    }

    fn problem(&mut self, field: &str, reason: impl Into<String>) {
        self.problems.insert(field.to_owned(), reason.into());
    }

    /// Marks the field `error` concerns; `rows` maps targets to their rows.
    pub(super) fn place(&mut self, error: &SlaError, rows: &[usize]) {
        let reason = error.to_string();
        match error {
            SlaError::Calendar(CalendarError::TimeZone(_)) => self.problem("timezone", reason),
            SlaError::Calendar(CalendarError::Hours(raw)) => {
                let day = self
                    .hours
                    .iter()
                    .find(|(_, hours)| hours == raw)
                    .map_or("mon", |(day, _)| *day);
                self.problem(&format!("hours_{day}"), reason);
            }
            SlaError::Calendar(CalendarError::Holiday(_)) => self.problem("holidays", reason),
            SlaError::AtRiskShare(_) => self.problem("at_risk_percent", reason),
            SlaError::ZeroTarget(number) => {
                let row = number
                    .checked_sub(1)
                    .and_then(|target| rows.get(target))
                    .and_then(|row| self.targets.get_mut(*row));
                match row {
                    Some(row) => row.problem = Some(reason),
                    None => self.problem("form", reason),
                }
            }
            SlaError::Calendar(CalendarError::Day(_)) | SlaError::Stored { .. } => {
                self.problem("form", reason);
            }
        }
    }

    /// Whether any field or row has a problem.
    pub(super) fn has_problems(&self) -> bool {
        !self.problems.is_empty() || self.targets.iter().any(|row| row.problem.is_some())
    }

    /// The problem of `field`, if any.
    pub(super) fn problem_of(&self, field: &str) -> Option<&str> {
        self.problems.get(field).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use switchboard_router::sla::SlaPolicy;

    use super::super::form_of;
    use super::*;

    #[test]
    fn the_default_settings_survive_the_form_unchanged() {
        let settings = SlaSettings::default();
        let form = SlaForm::of(&settings);
        let mut fields: Vec<(String, String)> = vec![
            ("timezone".into(), form.timezone.clone()),
            ("holidays".into(), form.holidays.clone()),
            ("at_risk_percent".into(), form.at_risk_percent.clone()),
        ];
        for (day, hours) in &form.hours {
            fields.push((format!("hours_{day}"), hours.clone()));
        }
        for (row, target) in form.targets.iter().enumerate() {
            fields.push((format!("queue_{row}"), target.queue.clone()));
            fields.push((format!("channel_{row}"), target.channel.clone()));
            fields.push((format!("minutes_{row}"), target.minutes.clone()));
        }
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let (read, rows) = SlaForm::posted(&form_of(&fields)).settings().unwrap();
        assert_eq!(read, settings);
        assert_eq!(rows, (0..settings.targets.len()).collect::<Vec<_>>());
    }

    #[test]
    fn each_error_lands_at_its_field_or_row() {
        let fields = form_of(&[
            ("timezone", "Europe/Amsterdam"),
            ("hours_mon", "08:30-17:30"),
            ("hours_wed", "17:00-09:00"),
            ("at_risk_percent", "80"),
            ("queue_0", ""),
            ("channel_0", "email"),
            ("minutes_0", "480"),
            ("queue_1", ""),
            ("channel_1", "fax"),
            ("minutes_1", "60"),
            ("remove_1", "on"),
            ("queue_2", "orders"),
            ("channel_2", ""),
            ("minutes_2", "0"),
        ]);
        let mut form = SlaForm::posted(&fields);
        let (settings, rows) = form.settings().unwrap();
        assert_eq!(rows, vec![0, 2]);
        let error = SlaPolicy::from_settings(&settings).unwrap_err();
        form.place(&error, &rows);
        assert!(form.problem_of("hours_wed").is_some(), "{form:?}");

        let mut fixed = fields.clone();
        fixed.insert("hours_wed".into(), "09:00-17:00".into());
        let mut form = SlaForm::posted(&fixed);
        let (settings, rows) = form.settings().unwrap();
        let error = SlaPolicy::from_settings(&settings).unwrap_err();
        form.place(&error, &rows);
        assert!(form.targets[2].problem.is_some() && form.targets[0].problem.is_none());

        let mut unreadable = fixed.clone();
        unreadable.insert("minutes_0".into(), "soon".into());
        let mut form = SlaForm::posted(&unreadable);
        assert!(form.settings().is_none());
        assert!(form.targets[0].problem.is_some());
    }
}
