//! Evidence: why the linker believes an item is about a customer, order or delivery, with a
//! strength, and how pieces of evidence add up.

use std::collections::BTreeMap;

/// One reason for a link, in words an agent understands.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// How much this reason alone supports the link, 0..1.
    pub strength: f64,
    /// The reason, e.g. "order 4500012345 in subject".
    pub words: String,
    /// What the reason was read from, e.g. `phone:+31235551234`; a source shared by several
    /// targets makes none of them a rival of the others.
    pub source: String,
}

/// Evidence collected per target (customer position, order number, delivery number).
#[derive(Debug, Clone)]
pub struct Tally<K: Ord> {
    entries: BTreeMap<K, Vec<Evidence>>,
}

impl<K: Ord> Default for Tally<K> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone> Tally<K> {
    /// Adds a reason for a target; the same words twice count once.
    pub fn add(
        &mut self,
        target: K,
        strength: f64,
        source: impl Into<String>,
        words: impl Into<String>,
    ) {
        let words = words.into();
        let source = source.into();
        let reasons = self.entries.entry(target).or_default();
        match reasons.iter_mut().find(|known| known.words == words) {
            Some(known) => known.strength = known.strength.max(strength),
            None => reasons.push(Evidence {
                strength: strength.clamp(0.0, 1.0),
                words,
                source,
            }),
        }
    }

    /// Returns the combined confidence of a target: independent reasons add up (noisy-or).
    pub fn confidence(&self, target: &K) -> f64 {
        self.entries
            .get(target)
            .map_or(0.0, |reasons| combine(reasons))
    }

    /// Returns the confidence of a target from reasons another target does not share.
    pub fn distinct_confidence(&self, target: &K, other: &K) -> f64 {
        let Some(reasons) = self.entries.get(target) else {
            return 0.0;
        };
        let shared: Vec<&str> = self
            .entries
            .get(other)
            .map(|others| others.iter().map(|reason| reason.source.as_str()).collect())
            .unwrap_or_default();
        let own: Vec<Evidence> = reasons
            .iter()
            .filter(|reason| !shared.contains(&reason.source.as_str()))
            .cloned()
            .collect();
        combine(&own)
    }

    /// Returns the strongest rival of a target: the best confidence another target has from
    /// reasons of its own.
    pub fn rival_confidence(&self, target: &K) -> f64 {
        self.entries
            .keys()
            .filter(|other| *other != target)
            .map(|other| {
                let confidence = self.confidence(other);
                if confidence >= self.confidence(target) - 1e-9 {
                    confidence
                } else {
                    self.distinct_confidence(other, target)
                }
            })
            .fold(0.0, f64::max)
    }

    /// Returns the targets with their combined confidence, strongest first.
    pub fn ranked(&self) -> Vec<(K, f64)> {
        let mut ranked: Vec<(K, f64)> = self
            .entries
            .iter()
            .map(|(target, reasons)| (target.clone(), combine(reasons)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }

    /// Returns the reasons of a target joined into one sentence, strongest first.
    pub fn words(&self, target: &K) -> String {
        let Some(reasons) = self.entries.get(target) else {
            return String::new();
        };
        let mut sorted: Vec<&Evidence> = reasons.iter().collect();
        sorted.sort_by(|a, b| b.strength.total_cmp(&a.strength));
        sorted
            .iter()
            .map(|reason| reason.words.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Adds every reason of another tally.
    pub fn merge(&mut self, other: &Self) {
        for (target, reasons) in &other.entries {
            for reason in reasons {
                self.add(
                    target.clone(),
                    reason.strength,
                    reason.source.clone(),
                    reason.words.clone(),
                );
            }
        }
    }

    /// Tells whether a target has any reason.
    pub fn contains(&self, target: &K) -> bool {
        self.entries.contains_key(target)
    }

    /// Returns the targets.
    pub fn targets(&self) -> impl Iterator<Item = &K> {
        self.entries.keys()
    }
}

/// Combines independent reasons: 1 - Π(1 - strength).
pub fn combine(reasons: &[Evidence]) -> f64 {
    1.0 - reasons
        .iter()
        .map(|reason| 1.0 - reason.strength)
        .product::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_add_up_and_repeat_once() {
        let mut tally = Tally::default();
        tally.add(1, 0.5, "s", "a");
        tally.add(1, 0.5, "s", "a");
        assert!((tally.confidence(&1) - 0.5).abs() < 1e-9);
        tally.add(1, 0.5, "t", "b");
        assert!((tally.confidence(&1) - 0.75).abs() < 1e-9);
        tally.add(2, 0.9, "u", "c");
        assert_eq!(tally.ranked()[0].0, 2);
        assert_eq!(tally.words(&1), "a; b");
    }

    #[test]
    fn shared_sources_make_no_rivals() {
        let mut tally = Tally::default();
        tally.add(1, 0.9, "mail", "known address");
        tally.add(1, 0.4, "name", "name of 1 and 2");
        tally.add(2, 0.4, "name", "name of 1 and 2");
        assert_eq!(tally.rival_confidence(&1), 0.0);
        tally.add(2, 0.5, "phone", "phone of 2");
        assert!((tally.rival_confidence(&1) - 0.5).abs() < 1e-9);
        let mut twins = Tally::default();
        twins.add(1, 0.8, "name", "same name");
        twins.add(2, 0.8, "name", "same name");
        assert!((twins.rival_confidence(&1) - 0.8).abs() < 1e-9);
    }
}
