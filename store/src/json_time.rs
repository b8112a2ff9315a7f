//! Times in the JSON documents the read-model statements return (`#[serde(with =
//! "crate::json_time")]`, or `json_time::optional` for a time that may be missing). Both
//! databases write them as RFC 3339 (`2025-03-03T08:27:59.123+00:00`), which chrono reads on
//! its dedicated path; chrono's `Deserialize` goes through its generic, relaxed parser (2.5 %
//! of the item view's samples on the http bench, with twenty timeline dates a customer).
//! Anything that path refuses is read the relaxed way, so nothing the default read accepts
//! is refused.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Deserializer, de::Error};

/// Reads a time written as text.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse(&text).map_err(D::Error::custom)
}

/// Reads a time written as text, or `null`.
pub(crate) mod optional {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?;
        text.map(|text| parse(&text).map_err(D::Error::custom))
            .transpose()
    }
}

fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| text.parse::<DateTime<FixedOffset>>())
        .map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Times {
        #[serde(with = "crate::json_time")]
        at: DateTime<Utc>,
        #[serde(with = "optional", default)]
        until: Option<DateTime<Utc>>,
    }

    #[test]
    fn times_read_as_chrono_reads_them() {
        for text in [
            "2025-03-03T08:27:59+00:00",
            "2025-03-03T08:27:59.123456789+00:00",
            "2025-03-03T09:27:59.5+01:00",
            "2025-03-03T08:27:59Z",
            // a space for the `T` (RFC 3339 allows it), and a space before the offset (only
            // chrono's relaxed read accepts that)
            "2025-03-03 08:27:59+00:00",
            "2025-03-03T08:27:59 +00:00",
        ] {
            let expected: DateTime<Utc> = text.parse().unwrap();
            let json = format!(r#"{{"at": "{text}", "until": "{text}"}}"#);
            let times: Times = serde_json::from_str(&json).unwrap();
            assert_eq!(
                (times.at, times.until),
                (expected, Some(expected)),
                "{text}"
            );
        }
        let times: Times =
            serde_json::from_str(r#"{"at": "2025-03-03T08:27:59Z", "until": null}"#).unwrap();
        assert_eq!(times.until, None);
        let error = serde_json::from_str::<Times>(r#"{"at": "3 March"}"#)
            .err()
            .unwrap();
        assert!(error.to_string().contains("input"), "{error}");
    }
}
