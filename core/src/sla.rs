//! Service levels per channel: how long after arrival an item is due. A voicemail is a call-back
//! task, so its due time is when the caller must have been called back. The router orders items
//! of equal priority by this due time.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::item::Channel;

/// Minutes until an item of each channel is due; `None` means no service level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelSla {
    /// E-mail.
    pub email_minutes: Option<u32>,
    /// Faxes.
    pub fax_minutes: Option<u32>,
    /// Voicemails: the call-back time.
    pub voicemail_minutes: Option<u32>,
    /// Paper letters.
    pub letter_minutes: Option<u32>,
    /// Tasks that bring no due time of their own.
    pub task_minutes: Option<u32>,
}

impl Default for ChannelSla {
    /// A working day for written channels, four hours to call a voicemail back, three days for
    /// paper letters; tasks are due when their sender says.
    fn default() -> Self {
        Self {
            email_minutes: Some(24 * 60),
            fax_minutes: Some(24 * 60),
            voicemail_minutes: Some(4 * 60),
            letter_minutes: Some(3 * 24 * 60),
            task_minutes: None,
        }
    }
}

impl ChannelSla {
    /// The service level of a channel.
    pub fn minutes(&self, channel: Channel) -> Option<u32> {
        match channel {
            Channel::Email => self.email_minutes,
            Channel::Fax => self.fax_minutes,
            Channel::Voicemail => self.voicemail_minutes,
            Channel::Letter => self.letter_minutes,
            Channel::Task => self.task_minutes,
        }
    }

    /// When an item of `channel` received at `received_at` is due.
    pub fn due_at(&self, channel: Channel, received_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let minutes = self.minutes(channel)?;
        received_at.checked_add_signed(TimeDelta::minutes(i64::from(minutes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voicemails_are_due_for_a_call_back_before_mail() {
        let sla = ChannelSla::default();
        let received = DateTime::parse_from_rfc3339("2025-03-03T09:00:00Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        let voicemail = sla.due_at(Channel::Voicemail, received);
        let email = sla.due_at(Channel::Email, received);
        assert_eq!(voicemail, Some(received + TimeDelta::hours(4)));
        assert!(voicemail < email);
        assert_eq!(sla.due_at(Channel::Task, received), None);
    }

    #[test]
    fn a_channel_without_service_level_has_no_due_time() {
        let sla = ChannelSla {
            voicemail_minutes: None,
            ..ChannelSla::default()
        };
        let now = Utc::now();
        assert_eq!(sla.due_at(Channel::Voicemail, now), None);
    }
}
