#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use switchboard_core::item::Channel;

use super::*;

/// A local Amsterdam time as an instant.
fn ams(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Amsterdam
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn office(holidays: &[&str]) -> BusinessCalendar {
    BusinessCalendar::new(
        "Europe/Amsterdam",
        DAY_NAMES[..5].iter().map(|day| (*day, "08:30-17:30")),
        holidays.iter().copied(),
    )
    .unwrap()
}

#[test]
fn friday_afternoon_mail_is_due_on_monday_morning() {
    // 2026-12-04 is a Friday.
    let due = office(&[]).add(ams(2026, 12, 4, 17, 0), Duration::hours(2));
    assert_eq!(due, Some(ams(2026, 12, 7, 10, 0)));
}

#[test]
fn arrival_before_opening_counts_from_the_opening() {
    let due = office(&[]).add(ams(2026, 12, 3, 6, 0), Duration::hours(8));
    assert_eq!(due, Some(ams(2026, 12, 3, 16, 30)));
}

#[test]
fn holidays_are_skipped() {
    // Thursday 24 Dec 16:30 + 2 h: Christmas (Fri 25) is a holiday, the weekend is closed.
    let calendar = office(&["2026-12-25"]);
    let due = calendar.add(ams(2026, 12, 24, 16, 30), Duration::hours(2));
    assert_eq!(due, Some(ams(2026, 12, 28, 9, 30)));
}

#[test]
fn daylight_saving_change_keeps_local_opening_hours() {
    // Summer time starts on Sunday 29 March 2026: Friday 17:00 + 1 h is Monday 09:00 local,
    // which is 07:00 UTC (not 08:00 as in winter).
    let due = office(&[])
        .add(ams(2026, 3, 27, 17, 0), Duration::hours(1))
        .unwrap();
    assert_eq!(due, ams(2026, 3, 30, 9, 0));
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 30, 7, 0, 0).unwrap());
}

#[test]
fn between_counts_only_open_time() {
    let calendar = office(&[]);
    // Friday 16:00 to Monday 10:00: 1.5 h on Friday, 1.5 h on Monday.
    let open = calendar.between(ams(2026, 12, 4, 16, 0), ams(2026, 12, 7, 10, 0));
    assert_eq!(open, Duration::hours(3));
    assert_eq!(
        calendar.between(ams(2026, 12, 7, 10, 0), ams(2026, 12, 4, 16, 0)),
        Duration::zero()
    );
}

#[test]
fn add_and_between_agree() {
    let calendar = office(&["2026-12-25", "2026-12-26"]);
    let start = ams(2026, 12, 20, 3, 17);
    for minutes in [1, 59, 60, 539, 540, 541, 2_000, 10_000] {
        let business = Duration::minutes(minutes);
        let due = calendar.add(start, business).unwrap();
        assert_eq!(calendar.between(start, due), business, "{minutes} minutes");
    }
}

#[test]
fn always_open_is_wall_clock_time() {
    let calendar = BusinessCalendar::always_open();
    let start = ams(2026, 12, 5, 23, 59);
    assert_eq!(
        calendar.add(start, Duration::hours(30)),
        Some(start + Duration::hours(30))
    );
}

#[test]
fn a_calendar_that_is_never_open_gives_no_due_time() {
    let closed = BusinessCalendar::new("UTC", [], []).unwrap();
    assert_eq!(closed.add(ams(2026, 1, 1, 0, 0), Duration::hours(1)), None);
}

#[test]
fn opening_until_midnight_is_written_24_00() {
    let calendar = BusinessCalendar::new("UTC", [("sat", "20:00-24:00")], []).unwrap();
    let saturday = Utc.with_ymd_and_hms(2026, 12, 5, 21, 0, 0).unwrap();
    assert_eq!(
        calendar.add(saturday, Duration::hours(4)),
        Some(Utc.with_ymd_and_hms(2026, 12, 12, 21, 0, 0).unwrap())
    );
    assert_eq!(
        "20:00-24:00".parse::<OpeningHours>().unwrap().to_string(),
        "20:00-24:00"
    );
}

#[test]
fn bad_descriptions_are_refused_with_the_reason() {
    let err = |zone: &str, day: &str, hours: &str, holiday: &str| {
        BusinessCalendar::new(zone, [(day, hours)], [holiday])
            .unwrap_err()
            .to_string()
    };
    assert!(err("Mars/Olympus", "mon", "08:00-17:00", "2026-01-01").contains("time zone"));
    assert!(err("UTC", "monday", "08:00-17:00", "2026-01-01").contains("unknown day"));
    assert!(err("UTC", "mon", "17:00-08:00", "2026-01-01").contains("opening hours"));
    assert!(err("UTC", "mon", "8am-5pm", "2026-01-01").contains("opening hours"));
    assert!(err("UTC", "mon", "08:00-17:00", "1 Jan").contains("holiday"));
}

fn target(queue: Option<&str>, channel: Option<Channel>, minutes: u32) -> SlaTarget {
    SlaTarget {
        queue: queue.map(str::to_owned),
        channel,
        business_minutes: minutes,
    }
}

#[test]
fn the_most_specific_target_wins() {
    let policy = SlaPolicy::new(
        BusinessCalendar::always_open(),
        vec![
            target(None, None, 1_000),
            target(None, Some(Channel::Email), 480),
            target(Some("key_accounts"), None, 240),
            target(Some("key_accounts"), Some(Channel::Email), 120),
        ],
        0.75,
    )
    .unwrap();
    let minutes = |queue, channel| policy.target_for(queue, channel).map(|d| d.num_minutes());
    assert_eq!(minutes(Some("key_accounts"), Channel::Email), Some(120));
    assert_eq!(minutes(Some("key_accounts"), Channel::Fax), Some(240));
    assert_eq!(minutes(Some("inbox"), Channel::Email), Some(480));
    assert_eq!(minutes(None, Channel::Letter), Some(1_000));
}

#[test]
fn without_a_matching_target_there_is_no_clock() {
    let policy = SlaPolicy::default();
    assert!(policy.clock(None, Channel::Task, Utc::now()).is_none());
    assert!(policy.clock(None, Channel::Voicemail, Utc::now()).is_some());
}

#[test]
fn at_risk_comes_at_the_share_of_the_target() {
    let policy = SlaPolicy::default();
    // A voicemail (2 business hours) left on Monday 09:00 is at risk at 10:30, due at 11:00.
    let monday = ams(2026, 12, 7, 9, 0);
    let clock = policy.clock(None, Channel::Voicemail, monday).unwrap();
    assert_eq!(clock.at_risk_at, ams(2026, 12, 7, 10, 30));
    assert_eq!(clock.due_at, ams(2026, 12, 7, 11, 0));
    assert_eq!(clock.state(ams(2026, 12, 7, 10, 29)), SlaState::OnTrack);
    assert_eq!(clock.state(ams(2026, 12, 7, 10, 30)), SlaState::AtRisk);
    assert_eq!(clock.state(ams(2026, 12, 7, 11, 0)), SlaState::Breached);
}

#[test]
fn waiting_on_the_customer_pauses_the_clock() {
    let policy = SlaPolicy::default();
    let clock = policy
        .clock(None, Channel::Email, ams(2026, 12, 7, 9, 0))
        .unwrap();
    assert_eq!(clock.due_at, ams(2026, 12, 7, 17, 0));
    // Waiting on the customer from Monday 10:00 to Tuesday 09:00: 7 business hours were left.
    let resumed = policy.resume(clock, ams(2026, 12, 7, 10, 0), ams(2026, 12, 8, 9, 0));
    assert_eq!(resumed.due_at, ams(2026, 12, 8, 16, 0));
    // At risk was 6 business hours in (15:00 Monday): 5 left at the pause.
    assert_eq!(resumed.at_risk_at, ams(2026, 12, 8, 14, 0));
    // A pause after the item was already overdue changes nothing.
    let late = policy.resume(clock, ams(2026, 12, 7, 18, 0), ams(2026, 12, 9, 9, 0));
    assert_eq!(late, clock);
}

#[test]
fn a_pause_counts_the_business_time_left_again_over_nights_weekends_and_holidays() {
    // 2026-12-24 is a Thursday; the 25th and 26th are holidays.
    let policy = SlaPolicy::new(office(&["2026-12-25", "2026-12-28"]), Vec::new(), 0.75).unwrap();
    // A moment in December 2026, Amsterdam time: "7 17:30" is Monday the 7th at 17:30.
    let december = |moment: &str| {
        let (day, time) = moment.split_once(' ').unwrap();
        let (hour, minute) = time.split_once(':').unwrap();
        ams(
            2026,
            12,
            day.parse().unwrap(),
            hour.parse().unwrap(),
            minute.parse().unwrap(),
        )
    };
    let clock = |due: &str, at_risk: &str| SlaClock {
        due_at: december(due),
        at_risk_at: december(at_risk),
    };
    // (due, at risk, paused, resumed, due after, at risk after)
    let cases = [
        // Overnight: 2 h left Monday 15:30, resumed Tuesday 08:00 (before opening) → 10:30.
        (
            "7 17:30", "7 16:30", "7 15:30", "8 08:00", "8 10:30", "8 09:30",
        ),
        // Over a weekend: 3 h left Friday 14:00, resumed Saturday → counted from Monday 08:30.
        (
            "4 17:00", "4 16:00", "4 14:00", "5 11:00", "7 11:30", "7 10:30",
        ),
        // Paused in the evening (closed): the whole next day's target is still left.
        (
            "9 17:30", "9 15:30", "8 20:00", "10 13:00", "11 13:00", "11 11:00",
        ),
        // Over holidays: 1 h left Thursday 24th 16:30, resumed the 25th (holiday), the
        // weekend and the 28th (holiday) → Tuesday 29th 09:30.
        (
            "24 17:30", "24 17:00", "24 16:30", "25 10:00", "29 09:30", "29 09:00",
        ),
        // Paused and resumed the same afternoon: moved on by the hour paused, the due time
        // past closing into Friday morning (5 h left at 12:00: 4.5 h Thursday, 0.5 h Friday).
        (
            "10 17:00", "10 16:00", "10 12:00", "10 13:00", "11 09:00", "10 17:00",
        ),
    ];
    for (due, at_risk, paused, resumed, due_after, at_risk_after) in cases {
        assert_eq!(
            policy.resume(clock(due, at_risk), december(paused), december(resumed)),
            clock(due_after, at_risk_after),
            "paused {paused}, resumed {resumed}"
        );
    }
}

#[test]
fn bad_policies_are_refused() {
    let calendar = BusinessCalendar::always_open();
    assert!(SlaPolicy::new(calendar.clone(), vec![], 0.0).is_err());
    assert!(SlaPolicy::new(calendar.clone(), vec![], 1.5).is_err());
    let zero = SlaPolicy::new(calendar, vec![target(None, None, 0)], 0.5).unwrap_err();
    assert_eq!(zero.to_string(), "SLA target 1 has a business_minutes of 0");
}

#[test]
fn the_default_settings_describe_a_valid_policy() {
    let policy = SlaPolicy::from_settings(&SlaSettings::default()).unwrap();
    assert_eq!(policy, SlaPolicy::default());
    assert_eq!(
        policy.target_for(None, Channel::Letter),
        Some(Duration::hours(16))
    );
}

#[test]
fn settings_errors_name_the_problem() {
    let mut settings = SlaSettings::default();
    settings
        .hours
        .insert("weekday".into(), "09:00-17:00".into());
    let error = SlaPolicy::from_settings(&settings).unwrap_err();
    assert!(error.to_string().contains("\"weekday\""), "{error}");
}

#[test]
fn a_task_due_time_is_kept_and_at_risk_comes_before_it() {
    let policy = SlaPolicy::default();
    let clock = policy.clock_until(ams(2026, 12, 7, 9, 0), ams(2026, 12, 7, 13, 0));
    assert_eq!(clock.due_at, ams(2026, 12, 7, 13, 0));
    assert_eq!(clock.at_risk_at, ams(2026, 12, 7, 12, 0));
}

#[test]
fn the_newest_saved_settings_are_in_force_over_the_files() {
    let file = SlaSettings::default();
    let saved = SlaSettings {
        timezone: "UTC".into(),
        ..SlaSettings::default()
    };
    let version =
        |version, document: Option<serde_json::Value>| switchboard_core::sla::SlaSettingsVersion {
            version,
            document,
            created_by: switchboard_core::event::Actor::System,
            created_at: Utc::now(),
        };
    assert_eq!(settings_in_force(&file, None).unwrap(), file);
    let newest = version(2, Some(serde_json::to_value(&saved).unwrap()));
    assert_eq!(settings_in_force(&file, Some(&newest)).unwrap(), saved);
    // A version without settings returns to the file's.
    assert_eq!(
        settings_in_force(&file, Some(&version(3, None))).unwrap(),
        file
    );
    let unreadable = version(4, Some(serde_json::json!({ "timezone": 5 })));
    assert!(matches!(
        settings_in_force(&file, Some(&unreadable)),
        Err(SlaError::Stored { version: 4, .. })
    ));
}

#[test]
fn a_replaced_shared_policy_reaches_every_clone() {
    let shared = SharedSlaPolicy::default();
    let clone = shared.clone();
    let settings = SlaSettings {
        targets: vec![SlaTarget {
            queue: None,
            channel: Some(Channel::Email),
            business_minutes: 30,
        }],
        ..SlaSettings::default()
    };
    shared.replace(SlaPolicy::from_settings(&settings).unwrap());
    assert_eq!(
        clone.current().target_for(None, Channel::Email),
        Some(Duration::minutes(30))
    );
}
