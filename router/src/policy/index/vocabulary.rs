//! The skill vocabulary: skill names interned to small ids.

use std::collections::HashMap;

use switchboard_core::skill::SkillRequirement;

use crate::policy::table::Need;

/// Skill levels the agent sets distinguish (1 to 5); higher minimum levels take the slow path.
pub(crate) const LEVELS: usize = 5;

/// Interned skill names.
#[derive(Default)]
pub(crate) struct Vocabulary {
    ids: HashMap<String, u16>,
}

impl Vocabulary {
    /// Returns the id of a skill name, interning it when new.
    pub(crate) fn intern(&mut self, name: &str) -> u16 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u16::try_from(self.ids.len()).unwrap_or(u16::MAX);
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// Returns how many skills are interned.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Interns requirements into needs.
    pub(crate) fn needs(&mut self, required: &[SkillRequirement]) -> Vec<Need> {
        required
            .iter()
            .map(|req| (Some(self.intern(&req.name)), req.min_level))
            .collect()
    }
}
