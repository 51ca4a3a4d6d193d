//! Instants in UTC and LibreLinkUp's timestamp format.
//!
//! LLU writes every timestamp as `M/D/YYYY h:mm:ss AM|PM` (US order, no zero padding on month, day and hour,
//! English `AM`/`PM`). `FactoryTimestamp` is UTC; `Timestamp` is the wearer's wall clock with no offset. The parser
//! here is hand-written and strict: no locale, no regex, and anything that is not exactly that format is an
//! error. Calendar maths is `chrono`'s (the proleptic Gregorian calendar), with no timezone database: a wall clock
//! here is UTC plus an offset in minutes.

use core::fmt;
use core::ops::{Add, Sub};

use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _, Utc};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Seconds in a minute.
pub const MINUTE: i64 = 60;
/// Seconds in an hour.
pub const HOUR: i64 = 60 * MINUTE;
/// Seconds in a day.
pub const DAY: i64 = 24 * HOUR;

/// An instant, as whole seconds since the Unix epoch (UTC). LLU's resolution is one second.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UtcTime(i64);

impl UtcTime {
    /// The instant `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// The instant from JavaScript-style epoch milliseconds (rounded down to the second).
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis.div_euclid(1000))
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_secs(self) -> i64 {
        self.0
    }

    /// Milliseconds since the Unix epoch (what Nightscout and JavaScript use).
    pub const fn unix_millis(self) -> i64 {
        self.0.saturating_mul(1000)
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub const fn secs_since(self, earlier: UtcTime) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Minutes from `earlier` to `self`, as a float for rate maths.
    pub fn minutes_since(self, earlier: UtcTime) -> f64 {
        self.secs_since(earlier) as f64 / MINUTE as f64
    }

    /// The UTC calendar date and time of this instant.
    pub fn civil(self) -> Civil {
        Civil::from_unix_secs(self.0)
    }

    /// This instant written the way LLU writes `FactoryTimestamp`.
    pub fn to_llu(self) -> String {
        self.civil().to_llu()
    }

    /// This instant on a wall clock `offset_min` minutes from UTC, "14:05" (the app's times, the worker's pushes).
    pub fn wall_clock(self, offset_min: i32) -> String {
        let local = self.0.saturating_add(i64::from(offset_min) * MINUTE).rem_euclid(DAY);
        format!("{:02}:{:02}", local / HOUR, local % HOUR / MINUTE)
    }

    /// This instant as ISO 8601 with milliseconds, `2022-12-30T16:47:40.000Z` (Nightscout's `dateString`).
    pub fn to_iso8601(self) -> String {
        let c = self.civil();
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }
}

impl Add<i64> for UtcTime {
    type Output = UtcTime;
    fn add(self, secs: i64) -> UtcTime {
        UtcTime(self.0.saturating_add(secs))
    }
}

impl Sub<i64> for UtcTime {
    type Output = UtcTime;
    fn sub(self, secs: i64) -> UtcTime {
        UtcTime(self.0.saturating_sub(secs))
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

/// A calendar date and wall-clock time with no zone attached: UTC for `FactoryTimestamp`, the wearer's local
/// time for `Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Civil {
    /// Year, e.g. 2024.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

impl Civil {
    /// Parses LLU's `M/D/YYYY h:mm:ss AM|PM`, strictly. See the module docs.
    pub fn parse_llu(input: &str) -> Result<Self> {
        let err = |reason| Error::timestamp(input, reason);
        let mut cur = Cursor { bytes: input.as_bytes(), pos: 0 };
        let month = cur.number(1, 2).ok_or_else(|| err("month must be 1 or 2 digits"))?;
        cur.expect(b'/').ok_or_else(|| err("expected '/' after the month"))?;
        let day = cur.number(1, 2).ok_or_else(|| err("day must be 1 or 2 digits"))?;
        cur.expect(b'/').ok_or_else(|| err("expected '/' after the day"))?;
        let year = cur.number(4, 4).ok_or_else(|| err("year must be 4 digits"))?;
        cur.expect(b' ').ok_or_else(|| err("expected one space after the date"))?;
        let hour12 = cur.number(1, 2).ok_or_else(|| err("hour must be 1 or 2 digits"))?;
        cur.expect(b':').ok_or_else(|| err("expected ':' after the hour"))?;
        let minute = cur.number(2, 2).ok_or_else(|| err("minutes must be 2 digits"))?;
        cur.expect(b':').ok_or_else(|| err("expected ':' after the minutes"))?;
        let second = cur.number(2, 2).ok_or_else(|| err("seconds must be 2 digits"))?;
        cur.expect(b' ').ok_or_else(|| err("expected one space before AM/PM"))?;
        let pm = match cur.rest() {
            b"AM" => false,
            b"PM" => true,
            _ => return Err(err("must end in AM or PM")),
        };
        if !(1..=12).contains(&month) {
            return Err(err("month out of range"));
        }
        if !(1..=12).contains(&hour12) {
            return Err(err("hour out of range (12-hour clock)"));
        }
        if minute > 59 || second > 59 {
            return Err(err("minutes or seconds out of range"));
        }
        let year = year as i32;
        if NaiveDate::from_ymd_opt(year, month, day).is_none() {
            return Err(err("day out of range for the month"));
        }
        let (month, hour12) = (month as u8, hour12 as u8);
        // 12 AM is midnight (0), 12 PM is noon (12).
        let hour = (hour12 % 12) + if pm { 12 } else { 0 };
        Ok(Civil { year, month, day: day as u8, hour, minute: minute as u8, second: second as u8 })
    }

    /// Writes the LLU form back (the inverse of [`Civil::parse_llu`]).
    pub fn to_llu(self) -> String {
        let (hour12, meridiem) = match self.hour {
            0 => (12, "AM"),
            h @ 1..=11 => (h, "AM"),
            12 => (12, "PM"),
            h => (h - 12, "PM"),
        };
        format!(
            "{}/{}/{:04} {}:{:02}:{:02} {}",
            self.month, self.day, self.year, hour12, self.minute, self.second, meridiem
        )
    }

    /// Seconds since the epoch if this wall-clock time were read as UTC; `None` for a date the calendar has not
    /// (only a `Civil` written by hand can hold one) or a time past 23:59:59.
    pub fn unix_secs_as_utc(self) -> Option<i64> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month.into(), self.day.into())?;
        let time = date.and_hms_opt(self.hour.into(), self.minute.into(), self.second.into())?;
        Some(time.and_utc().timestamp())
    }

    /// The calendar date and time of `secs` seconds since the epoch, in UTC (an instant past the calendar's
    /// range, ±262,000 years, reads as its end).
    pub fn from_unix_secs(secs: i64) -> Self {
        let secs = secs.clamp(DateTime::<Utc>::MIN_UTC.timestamp(), DateTime::<Utc>::MAX_UTC.timestamp());
        let at = DateTime::from_timestamp(secs, 0).unwrap_or_default();
        // chrono's month, day, hour, minute and second are 1–31 or 0–59: each fits a byte.
        let byte = |n: u32| u8::try_from(n).unwrap_or_default();
        Civil {
            year: at.year(),
            month: byte(at.month()),
            day: byte(at.day()),
            hour: byte(at.hour()),
            minute: byte(at.minute()),
            second: byte(at.second()),
        }
    }
}

/// The first instant after `now` at which a wall clock `offset_min` minutes from UTC shows `minute_of_day`
/// (07:00 = 420): "until the morning" for quiet windows and taking over the night.
pub fn next_wall_clock(now: UtcTime, offset_min: i32, minute_of_day: u16) -> UtcTime {
    let offset = i64::from(offset_min) * MINUTE;
    let local = now.unix_secs() + offset;
    let today = local.div_euclid(DAY) * DAY + i64::from(minute_of_day) * MINUTE;
    let next = if today > local { today } else { today + DAY };
    UtcTime::from_unix_secs(next - offset)
}

/// Monday 0 … Sunday 6, of the day numbered `day` since 1970-01-01 (a Thursday).
pub fn weekday(day: i64) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

/// Parses the ISO 8601 instants Nightscout clients send in queries (`find[created_at][$gte]`): `2026-12-07`,
/// `2026-12-07T02:14`, `2026-12-07T02:14:05`, with optional milliseconds and `Z` (UTC; an offset is refused).
pub fn parse_iso8601(input: &str) -> Option<UtcTime> {
    let input = input.strip_suffix('Z').unwrap_or(input);
    let (date, time) = input.split_once('T').unwrap_or((input, "00:00:00"));
    let time = time.split_once('.').map_or(
        time,
        |(whole, millis)| {
            if millis.bytes().all(|b| b.is_ascii_digit()) { whole } else { "x" }
        },
    );
    let number = |part: &str, len: usize| {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse::<i32>().ok()).flatten()
    };
    let mut date = date.split('-');
    let (year, month, day) = (number(date.next()?, 4)?, number(date.next()?, 2)?, number(date.next()?, 2)?);
    let mut time = time.split(':');
    let (hour, minute) = (number(time.next()?, 2)?, number(time.next()?, 2)?);
    let second = time.next().map_or(Some(0), |s| number(s, 2))?;
    if date.next().is_some() || time.next().is_some() {
        return None;
    }
    let byte = |v: i32| u8::try_from(v).ok();
    let civil = Civil {
        year,
        month: byte(month)?,
        day: byte(day)?,
        hour: byte(hour)?,
        minute: byte(minute)?,
        second: byte(second)?,
    };
    civil.unix_secs_as_utc().map(UtcTime)
}

/// Parses an LLU `FactoryTimestamp` (UTC) into an instant.
pub fn parse_factory(input: &str) -> Result<UtcTime> {
    let civil = Civil::parse_llu(input)?;
    // A parsed date is one the calendar has.
    civil.unix_secs_as_utc().map(UtcTime).ok_or_else(|| Error::timestamp(input, "no such date"))
}

/// The wearer's UTC offset in minutes, from a reading's `Timestamp` (local wall clock) and its instant, rounded
/// to the nearest 15 minutes (every real offset is a multiple of 15). `None` when the local time does not parse
/// or the offset is beyond ±14 h.
pub fn wearer_offset_minutes(local: &str, at: UtcTime) -> Option<i16> {
    let local = Civil::parse_llu(local).ok()?.unix_secs_as_utc()?;
    let diff_min = local.checked_sub(at.unix_secs())? as f64 / MINUTE as f64;
    let rounded = (diff_min / 15.0).round() * 15.0;
    (rounded.abs() <= 14.0 * 60.0).then_some(rounded as i16)
}

/// A byte cursor for the hand-written parser.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// Reads between `min` and `max` ASCII digits.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let mut value = 0u32;
        let mut len = 0;
        while len < max {
            match self.bytes.get(self.pos) {
                Some(b) if b.is_ascii_digit() => {
                    value = value * 10 + u32::from(b - b'0');
                    self.pos += 1;
                    len += 1;
                }
                _ => break,
            }
        }
        (len >= min).then_some(value)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.pos) == Some(&byte)).then(|| self.pos += 1)
    }

    fn rest(&self) -> &[u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_wall_clock_time_is_strictly_after_now_on_that_clock() {
        let midnight = 1_796_601_600; // 2026-12-07 00:00 UTC
        let at = |secs: i64| UtcTime::from_unix_secs(midnight + secs);
        assert_eq!(next_wall_clock(at(22 * HOUR), 0, 8 * 60), at(DAY + 8 * HOUR));
        assert_eq!(next_wall_clock(at(2 * HOUR), 0, 8 * 60), at(8 * HOUR));
        assert_eq!(next_wall_clock(at(8 * HOUR), 0, 8 * 60), at(DAY + 8 * HOUR), "not now itself");
        // 23:30 UTC on a UTC+1 clock (00:30): 07:00 there is 06:00 UTC the next day.
        assert_eq!(next_wall_clock(at(23 * HOUR + 30 * MINUTE), 60, 7 * 60), at(DAY + 6 * HOUR));
        assert_eq!(next_wall_clock(at(HOUR), -300, 7 * 60), at(12 * HOUR), "UTC-5");
    }
    use proptest::prelude::*;

    #[test]
    fn parses_the_iso_instants_nightscout_clients_send() {
        let at = UtcTime::from_unix_secs(1_765_073_645); // 2025-12-07T02:14:05Z
        assert_eq!(parse_iso8601(&at.to_iso8601()), Some(at));
        assert_eq!(parse_iso8601("2025-12-07T02:14:05Z"), Some(at));
        assert_eq!(parse_iso8601("2025-12-07T02:14:05"), Some(at));
        assert_eq!(parse_iso8601("2025-12-07T02:14"), Some(at + -5));
        assert_eq!(parse_iso8601("2025-12-07"), Some(at + -(2 * 3600 + 14 * 60 + 5)));
        for wrong in [
            "",
            "2025-12-07T02:14:05+01:00",
            "2025-13-07",
            "2025-02-30",
            "2025-12-07T24:00",
            "25-12-07",
            "2025-12-07T02:14:05.x",
            "2025-12-07-01",
            "2025-12-07T02:14:05:01",
            "1765073645",
        ] {
            assert_eq!(parse_iso8601(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn parses_real_fixture_timestamps_as_utc() {
        let cases = [
            ("12/30/2022 4:47:40 PM", "2022-12-30T16:47:40.000Z"),
            ("5/21/2022 1:39:50 AM", "2022-05-21T01:39:50.000Z"),
            ("6/19/2023 10:49:13 PM", "2023-06-19T22:49:13.000Z"),
            ("6/20/2023 12:49:13 AM", "2023-06-20T00:49:13.000Z"),
            ("1/1/2024 12:00:00 PM", "2024-01-01T12:00:00.000Z"),
            ("2/29/2024 11:59:59 PM", "2024-02-29T23:59:59.000Z"),
            ("12/31/1999 11:59:59 PM", "1999-12-31T23:59:59.000Z"),
            ("01/02/2024 01:02:03 AM", "2024-01-02T01:02:03.000Z"),
        ];
        for (input, iso) in cases {
            assert_eq!(parse_factory(input).unwrap().to_iso8601(), iso, "{input}");
        }
    }

    #[test]
    fn midnight_and_noon_on_the_twelve_hour_clock() {
        let midnight = parse_factory("3/5/2024 12:00:00 AM").unwrap();
        let one_am = parse_factory("3/5/2024 1:00:00 AM").unwrap();
        let noon = parse_factory("3/5/2024 12:00:00 PM").unwrap();
        let eleven_pm = parse_factory("3/5/2024 11:00:00 PM").unwrap();
        assert_eq!(midnight.civil().hour, 0);
        assert_eq!(one_am.secs_since(midnight), HOUR);
        assert_eq!(noon.civil().hour, 12);
        assert_eq!(eleven_pm.civil().hour, 23);
        assert_eq!(noon.secs_since(midnight), 12 * HOUR);
    }

    #[test]
    fn rejects_everything_else() {
        let bad = [
            "",
            "12/30/2022",
            "12/30/2022 4:47:40",
            "12/30/2022 4:47:40 pm",
            "12/30/2022 4:47:40 PM ",
            " 12/30/2022 4:47:40 PM",
            "12/30/2022  4:47:40 PM",
            "13/1/2022 4:47:40 PM",
            "0/1/2022 4:47:40 PM",
            "2/30/2022 4:47:40 PM",
            "2/29/2023 4:47:40 PM",
            "2/29/1900 4:47:40 PM",
            "1/1/2022 0:47:40 AM",
            "1/1/2022 13:47:40 PM",
            "1/1/2022 4:60:40 PM",
            "1/1/2022 4:47:60 PM",
            "1/1/2022 4:7:40 PM",
            "1/1/22 4:47:40 PM",
            "1/1/20222 4:47:40 PM",
            "123/1/2022 4:47:40 PM",
            "2022-12-30T16:47:40Z",
            "30.12.2022 16:47:40",
            "1/1/2022 4:47:40 ПМ",
            "1/1/2022 4:47:40 P",
            "1/1/2022 4:47:40 PMX",
        ];
        for input in bad {
            assert!(parse_factory(input).is_err(), "accepted {input:?}");
        }
    }

    #[test]
    fn error_keeps_only_a_short_prefix_of_huge_input() {
        let huge = "9".repeat(100_000);
        match parse_factory(&huge) {
            Err(Error::Timestamp { input, .. }) => assert_eq!(input.len(), 64),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn wearer_offset_from_local_and_factory_time() {
        let at = parse_factory("6/19/2023 10:49:13 PM").unwrap();
        assert_eq!(wearer_offset_minutes("6/20/2023 12:49:13 AM", at), Some(120));
        let at = parse_factory("12/30/2022 4:47:40 PM").unwrap();
        assert_eq!(wearer_offset_minutes("12/30/2022 5:47:40 PM", at), Some(60));
        assert_eq!(wearer_offset_minutes("12/30/2022 11:47:41 AM", at), Some(-300));
        assert_eq!(wearer_offset_minutes("garbage", at), None);
        assert_eq!(wearer_offset_minutes("12/31/2022 11:47:40 PM", at), None);
    }

    #[test]
    fn millis_round_down_to_the_second() {
        assert_eq!(UtcTime::from_unix_millis(1_999).unix_secs(), 1);
        assert_eq!(UtcTime::from_unix_millis(-1).unix_secs(), -1);
        assert_eq!(UtcTime::from_unix_secs(5).unix_millis(), 5_000);
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(secs in 946_684_800i64..4_133_980_799i64) {
            // 2000-01-01T00:00:00Z ..= 2100-12-31T23:59:59Z
            let t = UtcTime::from_unix_secs(secs);
            let text = t.to_llu();
            prop_assert_eq!(parse_factory(&text), Ok(t));
        }

        #[test]
        fn civil_round_trips(secs in -10_000_000_000i64..10_000_000_000i64) {
            prop_assert_eq!(Civil::from_unix_secs(secs).unix_secs_as_utc(), Some(secs));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
            let _ = parse_factory(&s);
        }

        #[test]
        fn near_miss_strings_never_panic(s in "[0-9/: APM]{0,30}") {
            if let Ok(t) = parse_factory(&s) {
                // Anything accepted must be a real instant that prints back in the canonical form.
                prop_assert_eq!(parse_factory(&t.to_llu()), Ok(t));
            }
        }
    }

    #[test]
    fn a_wall_clock_reads_the_instant_at_an_offset() {
        let t = UtcTime::from_unix_secs(3 * DAY + 10 * HOUR + 5 * MINUTE + 59);
        assert_eq!(t.wall_clock(0), "10:05");
        assert_eq!(t.wall_clock(90), "11:35");
        assert_eq!(t.wall_clock(-11 * 60), "23:05", "the day before");
    }
}
