//! Resource quantities (`500m`, `1.5`, `128Mi`, `1e3`), as `resource.Quantity` parses them.
//!
//! kubeglass keeps every quantity as an integer count of thousandths ("milli-units"), which
//! is exact for cpu (`MilliValue`) and for memory in bytes times 1000. Values are rounded up,
//! as Kubernetes rounds `MilliValue`, and saturate instead of overflowing.

/// The message the API server gives for a malformed quantity.
pub const QUANTITY_FORMAT: &str = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Parses a quantity into milli-units (`"2"` → 2000, `"100m"` → 100, `"1Ki"` → 1_024_000).
pub fn parse_milli(text: &str) -> Result<i128, &'static str> {
    let s = text.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let (negative, digits) = match number.as_bytes().first() {
        Some(b'-') => (true, &number[1..]),
        Some(b'+') => (false, &number[1..]),
        _ => (false, number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let valid_digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !valid_digits(whole) || !valid_digits(fraction) {
        return Err(QUANTITY_FORMAT);
    }
    // value = mantissa × 10^exp10 × 2^exp2, with mantissa the digits without the point.
    let mantissa_digits = format!("{whole}{fraction}");
    let mut exp10: i32 = -(fraction.len() as i32) + 3; // +3: milli-units
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        exponent if exponent.starts_with(['e', 'E']) => {
            let e: i32 = exponent[1..].parse().map_err(|_| QUANTITY_FORMAT)?;
            exp10 = exp10.saturating_add(e);
        }
        _ => return Err(QUANTITY_FORMAT),
    }
    let mantissa = mantissa_digits.trim_start_matches('0');
    let mut value: i128 = 0;
    for b in mantissa.bytes() {
        value = value.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    value = value.saturating_mul(1i128 << exp2);
    if exp10 >= 0 {
        for _ in 0..exp10.min(60) {
            value = value.saturating_mul(10);
        }
    } else {
        let divisor = 10i128.checked_pow((-exp10) as u32).unwrap_or(i128::MAX);
        value = value / divisor + i128::from(value % divisor != 0);
    }
    Ok(if negative { -value } else { value })
}

/// Milli-units as `kubectl describe` shows cpu: `250m`, `2`.
pub fn format_cpu(milli: i128) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_suffixes_kubernetes_accepts() {
        assert_eq!(parse_milli("2"), Ok(2000));
        assert_eq!(parse_milli("100m"), Ok(100));
        assert_eq!(parse_milli("0.5"), Ok(500));
        assert_eq!(parse_milli("1Ki"), Ok(1_024_000));
        assert_eq!(parse_milli("8Gi"), Ok(8 * (1i128 << 30) * 1000));
        assert_eq!(parse_milli("128M"), Ok(128_000_000_000));
        assert_eq!(parse_milli("1e3"), Ok(1_000_000));
        assert_eq!(parse_milli("1.5m"), Ok(2), "MilliValue rounds up");
    }

    #[test]
    fn rejects_what_is_not_a_quantity_and_saturates_absurd_ones() {
        assert_eq!(parse_milli("abc"), Err(QUANTITY_FORMAT));
        assert_eq!(parse_milli("1x"), Err(QUANTITY_FORMAT));
        assert_eq!(parse_milli(""), Err(QUANTITY_FORMAT));
        assert_eq!(parse_milli("1e400"), Ok(i128::MAX));
    }
}
