//! Business hours: when the contact centre is open, in its own time zone, with holidays.
//!
//! SLA targets count only open time ("e-mail answered within 8 business hours"), so an e-mail
//! arriving on Friday at 17:00 into a Monday–Friday 08:30–17:30 calendar with a 2-hour target is
//! due on Monday at 10:00. Daylight-saving changes are handled by working in local dates and
//! turning each day's opening window into UTC instants.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How far ahead a calendar is searched for open time before it counts as never open.
const SEARCH_DAYS: i64 = 3_660;

/// A calendar that cannot be built from its description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The time zone is not an IANA name.
    #[error("unknown time zone {0:?} (use an IANA name such as \"Europe/Amsterdam\")")]
    TimeZone(String),
    /// A day name is not one of mon..sun.
    #[error("unknown day {0:?} (use mon, tue, wed, thu, fri, sat or sun)")]
    Day(String),
    /// Opening hours are not `HH:MM-HH:MM` with the opening before the closing.
    #[error("opening hours {0:?} are not HH:MM-HH:MM with the opening before the closing")]
    Hours(String),
    /// A holiday is not a `YYYY-MM-DD` date.
    #[error("holiday {0:?} is not a YYYY-MM-DD date")]
    Holiday(String),
}

/// One day's opening window, local time; a `close` of 00:00 is midnight at the day's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningHours {
    /// Opening time.
    pub open: NaiveTime,
    /// Closing time.
    pub close: NaiveTime,
}

impl FromStr for OpeningHours {
    type Err = CalendarError;

    /// Parses `08:30-17:30`.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bad = || CalendarError::Hours(raw.to_owned());
        let (open, close) = raw.split_once('-').ok_or_else(bad)?;
        let time = |part: &str| NaiveTime::parse_from_str(part.trim(), "%H:%M").map_err(|_| bad());
        let open = time(open)?;
        // "24:00" closes at the end of the day; it is stored as the next day's 00:00.
        if close.trim() == "24:00" {
            return Ok(Self {
                open,
                close: NaiveTime::MIN,
            });
        }
        let close = time(close)?;
        if open >= close {
            return Err(bad());
        }
        Ok(Self { open, close })
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let close = if self.close == NaiveTime::MIN {
            "24:00".to_owned()
        } else {
            self.close.format("%H:%M").to_string()
        };
        write!(f, "{}-{close}", self.open.format("%H:%M"))
    }
}

/// When the contact centre is open: a weekly pattern in a time zone, minus holidays.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    zone: Tz,
    /// Monday first.
    week: [Option<OpeningHours>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl Default for BusinessCalendar {
    /// Always open: SLA time is wall-clock time.
    fn default() -> Self {
        Self::always_open()
    }
}

/// The day names a calendar description uses, Monday first.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl BusinessCalendar {
    /// A calendar that is open around the clock, every day (UTC).
    pub fn always_open() -> Self {
        let whole_day = OpeningHours {
            open: NaiveTime::MIN,
            close: NaiveTime::MIN,
        };
        Self {
            zone: Tz::UTC,
            week: [Some(whole_day); 7],
            holidays: BTreeSet::new(),
        }
    }

    /// Builds a calendar from its description: an IANA time zone, opening hours per day name
    /// (`mon` … `sun`, `HH:MM-HH:MM`; days not named are closed) and holiday dates.
    pub fn new<'a>(
        zone: &str,
        hours: impl IntoIterator<Item = (&'a str, &'a str)>,
        holidays: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, CalendarError> {
        let zone: Tz = zone
            .parse()
            .map_err(|_| CalendarError::TimeZone(zone.to_owned()))?;
        let mut week = [None; 7];
        for (day, window) in hours {
            let position = DAY_NAMES
                .iter()
                .position(|name| name.eq_ignore_ascii_case(day.trim()))
                .ok_or_else(|| CalendarError::Day(day.to_owned()))?;
            week[position] = Some(window.parse()?);
        }
        let holidays = holidays
            .into_iter()
            .map(|raw| {
                NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                    .map_err(|_| CalendarError::Holiday(raw.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            zone,
            week,
            holidays,
        })
    }

    /// The instant `business` open time after `start` (for an SLA target: the due time).
    /// `None` when the calendar has no open time in the next ten years.
    pub fn add(&self, start: DateTime<Utc>, business: Duration) -> Option<DateTime<Utc>> {
        if business <= Duration::zero() {
            return Some(start);
        }
        let mut remaining = business;
        for (open, close) in self.windows_from(start) {
            let from = open.max(start);
            let length = close - from;
            if length <= Duration::zero() {
                continue;
            }
            if remaining <= length {
                return Some(from + remaining);
            }
            remaining -= length;
        }
        None
    }

    /// The open time between `from` and `to` (zero when `to` is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if to <= from {
            return total;
        }
        for (open, close) in self.windows_from(from) {
            if open >= to {
                break;
            }
            let overlap = close.min(to) - open.max(from);
            if overlap > Duration::zero() {
                total += overlap;
            }
        }
        total
    }

    /// The opening windows as UTC instants, day by day from `start`'s local date.
    fn windows_from(&self, start: DateTime<Utc>) -> Windows<'_> {
        Windows {
            calendar: self,
            day: start.with_timezone(&self.zone).date_naive(),
            searched: 0,
        }
    }

    /// The day's window in UTC, or `None` on a closed day or holiday.
    fn window_on(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&day) {
            return None;
        }
        let hours = self.week[day.weekday().num_days_from_monday() as usize]?;
        let open = self.instant(day, hours.open)?;
        // A close of 00:00 is midnight at the end of the day.
        let close = if hours.close == NaiveTime::MIN {
            self.instant(day.succ_opt()?, hours.close)?
        } else {
            self.instant(day, hours.close)?
        };
        Some((open, close))
    }

    /// A local wall-clock time as an instant; a time skipped by a daylight-saving change moves
    /// to the first instant after the gap.
    fn instant(&self, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        let local = day.and_time(time);
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.with_timezone(&Utc)),
            LocalResult::None => (1..=4).find_map(|hours| {
                self.zone
                    .from_local_datetime(&(local + Duration::hours(hours)))
                    .earliest()
                    .map(|at| at.with_timezone(&Utc))
            }),
        }
    }
}

/// The calendar's opening windows from a local date on, for at most [`SEARCH_DAYS`] days.
struct Windows<'a> {
    calendar: &'a BusinessCalendar,
    day: NaiveDate,
    searched: i64,
}

impl Iterator for Windows<'_> {
    type Item = (DateTime<Utc>, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.searched < SEARCH_DAYS {
            let day = self.day;
            self.day = day.succ_opt()?;
            self.searched += 1;
            if let Some(window) = self.calendar.window_on(day) {
                return Some(window);
            }
        }
        None
    }
}
