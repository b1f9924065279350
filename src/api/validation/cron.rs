//! Cron schedules as `robfig/cron`'s `ParseStandard` reads them (what CronJob validation
//! uses), with its error words.
/// (name, min, max, names) of the five fields.
const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    ("month", 1, 12, &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
    ("day of week", 0, 6, &["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
];

pub fn parse(spec: &str) -> Result<(), String> {
    let spec = spec.trim();
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        return Err("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".to_string());
    }
    if let Some(descriptor) = spec.strip_prefix('@') {
        let known = ["yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly"];
        return if known.contains(&descriptor) || descriptor.starts_with("every ") {
            Ok(())
        } else {
            Err(format!("unrecognized descriptor: {spec}"))
        };
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    for (field, (_, min, max, names)) in fields.iter().zip(FIELDS) {
        for range in field.split(',') {
            parse_range(range, min, max, names)?;
        }
    }
    Ok(())
}

fn parse_range(expr: &str, min: u32, max: u32, names: &[&str]) -> Result<(), String> {
    let (range, step) = match expr.split('/').collect::<Vec<_>>().as_slice() {
        [range] => (*range, None),
        [range, step] => (*range, Some(number(step)?)),
        _ => return Err(format!("too many slashes: {expr}")),
    };
    let (start, end) = match range.split('-').collect::<Vec<_>>().as_slice() {
        ["*" | "?"] => (min, max),
        [one] => {
            let v = value(one, names)?;
            (v, if step.is_some() { max } else { v })
        }
        [a, b] => (value(a, names)?, value(b, names)?),
        _ => return Err(format!("too many hyphens: {expr}")),
    };
    if start < min {
        return Err(format!("beginning of range ({start}) below minimum ({min}): {expr}"));
    }
    if end > max {
        return Err(format!("end of range ({end}) above maximum ({max}): {expr}"));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == Some(0) {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(())
}

fn value(text: &str, names: &[&str]) -> Result<u32, String> {
    match names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        Some(i) => Ok(i as u32 + if names.len() == 12 { 1 } else { 0 }),
        None => number(text),
    }
}

/// `mustParseInt`: Go's `strconv.Atoi`, then no negatives.
fn number(text: &str) -> Result<u32, String> {
    match text.parse::<i64>() {
        Ok(n) if n < 0 => Err(format!("negative number ({n}) not allowed: {text}")),
        Ok(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
        Err(_) => Err(format!("failed to parse int from {text}: strconv.Atoi: parsing {text:?}: invalid syntax")),
    }
}
