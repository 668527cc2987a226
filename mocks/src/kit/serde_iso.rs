//! Serialises times as ISO-8601 with milliseconds, the way the mocked services write them.

use chrono::{DateTime, Utc};
use serde::Serializer;

pub(crate) fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&super::clock::iso_millis(*time))
}
