//! When a file in a watched folder is complete: its size and modification time are the same on
//! two scans in a row and it has not been written to for the settle time. A writer still
//! copying a file changes one of them between scans, so a half-written file is never taken.
//! Pure: the observations and the time are handed in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// What a scan saw of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Size in bytes.
    pub len: u64,
    /// Last modification.
    pub modified: SystemTime,
}

/// Remembers the previous scan's observations.
#[derive(Debug, Default)]
pub struct SettleTracker {
    settle: Duration,
    previous: HashMap<PathBuf, Observation>,
}

impl SettleTracker {
    /// Tracks files that must rest `settle` after their last write.
    pub fn new(settle: Duration) -> Self {
        Self {
            settle,
            previous: HashMap::new(),
        }
    }

    /// Records one scan and returns the files ready to take, in path order. Files gone since
    /// the last scan are forgotten.
    pub fn ready(
        &mut self,
        scan: impl IntoIterator<Item = (PathBuf, Observation)>,
        now: SystemTime,
    ) -> Vec<PathBuf> {
        let current: HashMap<PathBuf, Observation> = scan.into_iter().collect();
        let mut ready: Vec<PathBuf> = current
            .iter()
            .filter(|(path, seen)| {
                let unchanged = self.previous.get(*path) == Some(*seen);
                let rested = now
                    .duration_since(seen.modified)
                    .is_ok_and(|age| age >= self.settle);
                unchanged && rested
            })
            .map(|(path, _)| path.clone())
            .collect();
        ready.sort();
        self.previous = current;
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(len: u64, modified: SystemTime) -> Observation {
        Observation { len, modified }
    }

    #[test]
    fn a_file_is_taken_on_the_second_unchanged_sighting() {
        let mut tracker = SettleTracker::new(Duration::ZERO);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let file = PathBuf::from("in/a.pdf");
        assert!(tracker.ready([(file.clone(), seen(10, t0))], t0).is_empty());
        assert_eq!(
            tracker.ready([(file.clone(), seen(10, t0))], t0),
            vec![file]
        );
    }

    #[test]
    fn a_growing_file_waits() {
        let mut tracker = SettleTracker::new(Duration::ZERO);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let t1 = t0 + Duration::from_secs(1);
        let file = PathBuf::from("in/a.pdf");
        assert!(tracker.ready([(file.clone(), seen(10, t0))], t0).is_empty());
        assert!(tracker.ready([(file.clone(), seen(20, t1))], t1).is_empty());
        assert_eq!(
            tracker.ready([(file.clone(), seen(20, t1))], t1),
            vec![file]
        );
    }

    #[test]
    fn a_recently_written_file_rests_first() {
        let mut tracker = SettleTracker::new(Duration::from_secs(5));
        let written = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let file = PathBuf::from("in/a.pdf");
        let observation = [(file.clone(), seen(10, written))];
        assert!(tracker.ready(observation.clone(), written).is_empty());
        let soon = written + Duration::from_secs(2);
        assert!(tracker.ready(observation.clone(), soon).is_empty());
        let later = written + Duration::from_secs(6);
        assert_eq!(tracker.ready(observation, later), vec![file]);
    }

    #[test]
    fn a_file_gone_and_back_starts_over() {
        let mut tracker = SettleTracker::new(Duration::ZERO);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let file = PathBuf::from("in/a.pdf");
        assert!(tracker.ready([(file.clone(), seen(10, t0))], t0).is_empty());
        assert!(tracker.ready([], t0).is_empty());
        assert!(tracker.ready([(file, seen(10, t0))], t0).is_empty());
    }
}
