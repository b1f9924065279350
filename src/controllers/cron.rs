//! Cron schedules as the CronJob controller reads them: `cron.ParseStandard` of robfig/cron v3
//! (five fields `minute hour day-of-month month day-of-week`, ranges `a-b`, steps `/n`, lists
//! `a,b`, month and weekday names, `*` and `?`; the descriptors `@yearly` … `@hourly` and
//! `@every <duration>`; an optional `TZ=`/`CRON_TZ=` prefix), and `Schedule::next`, the first
//! activation strictly after a time. Errors are robfig's words, which the controller puts in
//! its `UnparseableSchedule` events.
//!
//! Time zones: kubeglass has no tz database, so it knows UTC (and its aliases) and the fixed
//! `Etc/GMT±N` zones; any other name is refused as `unknown time zone NAME`.

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    kind: Kind,
    /// The zone's offset from UTC in seconds (fixed: the zones kubeglass knows have no DST).
    offset: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// One bit per allowed value; `STAR` marks a field written `*` or `?` (robfig's `starBit`),
    /// which changes how day-of-month and day-of-week combine.
    Fields { minute: u64, hour: u64, dom: u64, month: u64, dow: u64 },
    /// `@every <duration>`, in whole seconds.
    Every(i64),
}

const STAR: u64 = 1 << 63;

struct Bounds {
    min: i64,
    max: i64,
    names: &'static [(&'static str, i64)],
}

const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[] };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[] };
const DOM: Bounds = Bounds { min: 1, max: 31, names: &[] };
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
const DOW: Bounds = Bounds { min: 0, max: 6, names: &[("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)] };

/// The offset from UTC, in seconds, of a time zone kubeglass knows (`time.LoadLocation`'s
/// error otherwise).
pub fn zone_offset(name: &str) -> Result<i64, String> {
    const UTC_ALIASES: &[&str] = &[
        "",
        "UTC",
        "Local",
        "Etc/UTC",
        "Etc/GMT",
        "GMT",
        "Etc/Universal",
        "Universal",
        "Etc/Zulu",
        "Zulu",
        "Etc/UCT",
        "UCT",
        "Etc/Greenwich",
        "Greenwich",
        "Etc/GMT0",
        "GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "GMT+0",
        "GMT-0",
    ];
    if UTC_ALIASES.contains(&name) {
        return Ok(0);
    }
    // POSIX sign convention: Etc/GMT+5 is five hours *behind* UTC.
    let fixed = name.strip_prefix("Etc/GMT").and_then(|rest| {
        let (sign, digits) = match rest.as_bytes().first()? {
            b'+' => (-1, &rest[1..]),
            b'-' => (1, &rest[1..]),
            _ => return None,
        };
        let hours: i64 = digits.parse().ok().filter(|_| !digits.starts_with('0') && digits.len() <= 2)?;
        let max = if sign < 0 { 12 } else { 14 };
        (hours <= max).then_some(sign * hours * 3600)
    });
    fixed.ok_or_else(|| format!("unknown time zone {name}"))
}

/// `cron.ParseStandard`.
pub fn parse(spec: &str) -> Result<Schedule, String> {
    let mut spec = spec.trim();
    let mut offset = 0;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let (zone, rest) = spec.split_once(' ').unwrap_or((spec, ""));
        let name = zone.split_once('=').map_or("", |(_, n)| n);
        offset = zone_offset(name).map_err(|e| format!("provided bad location {name}: {e}"))?;
        spec = rest.trim();
    }
    if spec.is_empty() {
        return Err("empty spec string".to_string());
    }
    if let Some(descriptor) = spec.strip_prefix('@') {
        let fields = match descriptor {
            "yearly" | "annually" => "0 0 1 1 *",
            "monthly" => "0 0 1 * *",
            "weekly" => "0 0 * * 0",
            "daily" | "midnight" => "0 0 * * *",
            "hourly" => "0 * * * *",
            _ => match descriptor.strip_prefix("every ") {
                Some(duration) => {
                    let seconds = go_duration_seconds(duration).ok_or_else(|| format!("failed to parse duration {spec}: {duration:?}"))?;
                    return Ok(Schedule { kind: Kind::Every(seconds.max(1)), offset });
                }
                None => return Err(format!("unrecognized descriptor: {spec}")),
            },
        };
        return parse_fields(fields, offset);
    }
    parse_fields(spec, offset)
}

fn parse_fields(spec: &str, offset: i64) -> Result<Schedule, String> {
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    Ok(Schedule {
        kind: Kind::Fields {
            minute: field(fields[0], &MINUTES)?,
            hour: field(fields[1], &HOURS)?,
            dom: field(fields[2], &DOM)?,
            month: field(fields[3], &MONTHS)?,
            dow: field(fields[4], &DOW)?,
        },
        offset,
    })
}

/// One field: a comma-separated list of ranges (`getField`).
fn field(text: &str, bounds: &Bounds) -> Result<u64, String> {
    text.split(',').try_fold(0, |bits, expr| Ok(bits | range(expr, bounds)?))
}

/// `number | number "-" number [ "/" number ]`, or `*`/`?` with an optional step (`getRange`).
fn range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (b.min, b.max, STAR)
    } else {
        let start = int_or_name(low_and_high[0], b)?;
        let end = match low_and_high.len() {
            1 => start,
            2 => int_or_name(low_and_high[1], b)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        (start, end, 0)
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = number(range_and_step[1])?;
            // "N/step" means "N-max/step".
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    // Bounds are at most 0..=59 here, so a step beyond 64 behaves like 64.
    Ok((start..=end).step_by(step.min(64) as usize).fold(extra, |bits, v| bits | 1 << v))
}

fn int_or_name(text: &str, b: &Bounds) -> Result<i64, String> {
    let lower = text.to_ascii_lowercase();
    match b.names.iter().find(|(name, _)| *name == lower) {
        Some((_, value)) => Ok(*value),
        None => number(text),
    }
}

/// `mustParseInt`, with Go's `strconv.Atoi` error words.
fn number(text: &str) -> Result<i64, String> {
    let parsed: i64 =
        text.parse().map_err(|_| format!("failed to parse int from {text}: strconv.Atoi: parsing {text:?}: invalid syntax"))?;
    if parsed < 0 {
        return Err(format!("negative number ({parsed}) not allowed: {text}"));
    }
    Ok(parsed)
}

/// A Go duration (`time.ParseDuration`) such as `1h30m` or `90s`, in whole seconds.
fn go_duration_seconds(text: &str) -> Option<i64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    (total < 1e12).then_some(total as i64)
}

impl Schedule {
    /// The first activation strictly after `after` (seconds since the Unix epoch), or `None`
    /// when there is none within five years (robfig's limit, e.g. `0 0 30 2 *`).
    pub fn next(&self, after: i64) -> Option<i64> {
        let (minute, hour, dom, month, dow) = match self.kind {
            Kind::Every(seconds) => return after.checked_add(seconds),
            Kind::Fields { minute, hour, dom, month, dow } => (minute, hour, dom, month, dow),
        };
        let has = |bits: u64, v: u32| bits & (1u64 << v) != 0;
        // Beyond about 35,000 years from 1970 there is nothing to schedule (and the civil-date
        // arithmetic below stays far from overflowing).
        if after.unsigned_abs() > 1 << 40 {
            return None;
        }
        // Work in the zone's civil time, minute by minute at the coarsest unit that is wrong.
        let local = after + self.offset;
        let mut t = local.div_euclid(60) * 60 + 60;
        let year_limit = civil(t).0 + 5;
        loop {
            let (y, m, d, h, min) = civil(t);
            if y > year_limit {
                return None;
            }
            let days = t.div_euclid(86_400);
            let weekday = (days + 4).rem_euclid(7) as u32;
            let dom_ok = has(dom, d);
            let dow_ok = has(dow, weekday);
            // robfig's dayMatches: either field written as a star means both must match.
            let day_ok = if dom & STAR != 0 || dow & STAR != 0 { dom_ok && dow_ok } else { dom_ok || dow_ok };
            if !has(month, m) {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                t = days_from_civil(ny, nm, 1) * 86_400;
            } else if !day_ok {
                t = (days + 1) * 86_400;
            } else if !has(hour, h) {
                t = t.div_euclid(3600) * 3600 + 3600;
            } else if !has(minute, min) {
                t += 60;
            } else {
                return Some(t - self.offset);
            }
        }
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day, hour, minute) of seconds since the epoch (`civil_from_days`).
fn civil(t: i64) -> (i64, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, (secs / 3600) as u32, (secs % 3600 / 60) as u32)
}

/// Go's `time.RFC3339` of a Unix time in a fixed zone: `2026-01-01T02:00:00+02:00`, or `Z` for UTC.
pub fn rfc3339(t: i64, offset: i64) -> String {
    let (y, m, d, h, min) = civil(t + offset);
    let sec = (t + offset).rem_euclid(60);
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        format!("{}{:02}:{:02}", if offset < 0 { '-' } else { '+' }, offset.abs() / 3600, offset.abs() % 3600 / 60)
    };
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{sec:02}{zone}")
}

/// Go's `time.RFC1123Z` of a Unix time in UTC: `Thu, 01 Jan 2026 00:00:00 +0000`.
pub fn rfc1123z(t: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, m, d, h, min) = civil(t);
    let day = DAYS[t.div_euclid(86_400).rem_euclid(7) as usize];
    let month = MONTHS[(m as usize).saturating_sub(1) % 12];
    format!("{day}, {d:02} {month} {y:04} {h:02}:{min:02}:{:02} +0000", t.rem_euclid(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds of a UTC civil time.
    fn at(y: i64, m: u32, d: u32, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400 + h * 3600 + min * 60
    }

    fn next(spec: &str, after: i64) -> Option<i64> {
        parse(spec).unwrap().next(after)
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(at(2026, 1, 1, 0, 0), 1_767_225_600);
        assert_eq!(civil(at(2024, 2, 29, 13, 7)), (2024, 2, 29, 13, 7));
        assert_eq!(civil(at(1969, 12, 31, 23, 59)), (1969, 12, 31, 23, 59));
        assert_eq!(rfc3339(at(2026, 1, 1, 0, 0), 0), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(2026, 1, 1, 0, 0), 7200), "2026-01-01T02:00:00+02:00");
        assert_eq!(rfc3339(at(2026, 1, 1, 0, 0), -18_000), "2025-12-31T19:00:00-05:00");
        assert_eq!(rfc1123z(at(2026, 1, 1, 0, 5)), "Thu, 01 Jan 2026 00:05:00 +0000");
    }

    #[test]
    fn next_run_is_strictly_after_and_on_a_minute() {
        let new_year = at(2026, 1, 1, 0, 0);
        assert_eq!(next("* * * * *", new_year), Some(new_year + 60));
        assert_eq!(next("* * * * *", new_year + 59), Some(new_year + 60));
        assert_eq!(next("*/5 * * * *", new_year), Some(new_year + 300));
        assert_eq!(next("30 6-16/4 * * 1-5", new_year), Some(at(2026, 1, 1, 6, 30)), "Thursday");
        assert_eq!(next("30 6-16/4 * * 1-5", at(2026, 1, 2, 14, 30)), Some(at(2026, 1, 5, 6, 30)), "Friday to Monday");
        assert_eq!(next("0 12 * * sun", new_year), Some(at(2026, 1, 4, 12, 0)));
    }

    #[test]
    fn next_run_crosses_months_years_and_leap_days() {
        assert_eq!(next("0 0 31 * *", at(2026, 1, 31, 0, 0)), Some(at(2026, 3, 31, 0, 0)), "February has no 31st");
        assert_eq!(next("0 0 29 2 *", at(2026, 1, 1, 0, 0)), Some(at(2028, 2, 29, 0, 0)), "the next leap day");
        assert_eq!(next("@yearly", at(2026, 6, 1, 0, 0)), Some(at(2027, 1, 1, 0, 0)));
        assert_eq!(next("@monthly", at(2026, 12, 15, 0, 0)), Some(at(2027, 1, 1, 0, 0)));
        assert_eq!(next("@weekly", at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 4, 0, 0)));
        assert_eq!(next("0 0 30 2 *", at(2026, 1, 1, 0, 0)), None, "never");
        assert_eq!(next("* * * * *", i64::MAX), None, "no overflow at the end of time");
        assert_eq!(next("@every 1h", i64::MAX), None);
    }

    #[test]
    fn day_of_month_and_day_of_week_combine_as_robfig_does() {
        // Both restricted: either matches (the 13th, or any Friday).
        assert_eq!(next("0 0 13 * 5", at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 2, 0, 0)));
        // One is a star: both must match.
        assert_eq!(next("0 0 13 * *", at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 13, 0, 0)));
        // `*/1`-style steps keep the star; `*/2` does not.
        assert_eq!(next("0 0 */2 * 5", at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 2, 0, 0)));
    }

    #[test]
    fn names_lists_steps_and_question_marks() {
        assert_eq!(next("0 0 ? JAN,Mar mon", at(2026, 1, 6, 0, 0)), Some(at(2026, 1, 12, 0, 0)));
        assert_eq!(next("15,45 * * * *", at(2026, 1, 1, 0, 20)), Some(at(2026, 1, 1, 0, 45)));
        assert_eq!(next("10/20 * * * *", at(2026, 1, 1, 0, 31)), Some(at(2026, 1, 1, 0, 50)));
    }

    #[test]
    fn time_zones_shift_the_schedule() {
        // 09:00 in UTC+2 is 07:00 UTC.
        assert_eq!(next("CRON_TZ=Etc/GMT-2 0 9 * * *", at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 1, 7, 0)));
        assert_eq!(next("TZ=Etc/GMT+5 0 0 * * *", at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 1, 5, 0)));
        assert_eq!(parse("TZ=Europe/Paris 0 0 * * *").unwrap_err(), "provided bad location Europe/Paris: unknown time zone Europe/Paris");
        assert_eq!(zone_offset("Etc/GMT+13"), Err("unknown time zone Etc/GMT+13".to_string()));
        assert_eq!(zone_offset("Etc/GMT-14"), Ok(14 * 3600));
    }

    #[test]
    fn every_runs_at_a_fixed_interval() {
        assert_eq!(next("@every 1h30m", 100), Some(100 + 5400));
        assert_eq!(next("@every 90s", 0), Some(90));
        assert!(parse("@every soon").is_err());
    }

    #[test]
    fn errors_are_robfigs_words() {
        let err = |s: &str| parse(s).unwrap_err();
        assert_eq!(err(""), "empty spec string");
        assert_eq!(err("* * * *"), "expected exactly 5 fields, found 4: [* * * *]");
        assert_eq!(err("@often"), "unrecognized descriptor: @often");
        assert_eq!(err("60 * * * *"), "end of range (60) above maximum (59): 60");
        assert_eq!(err("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
        assert_eq!(err("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
        assert_eq!(err("*/0 * * * *"), "step of range should be a positive number: */0");
        assert_eq!(err("1-2-3 * * * *"), "too many hyphens: 1-2-3");
        assert_eq!(err("1/2/3 * * * *"), "too many slashes: 1/2/3");
        assert_eq!(err("x * * * *"), "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
        assert_eq!(err("* * * * 7"), "end of range (7) above maximum (6): 7");
        assert_eq!(err("99999999999 * * * *"), "end of range (99999999999) above maximum (59): 99999999999");
        assert_eq!(next("*/99999999999 * * * *", at(2026, 1, 1, 0, 0)), Some(at(2026, 1, 1, 1, 0)), "a huge step keeps only the start");
    }
}
