//! kubectl's table output: columns aligned as `text/tabwriter` aligns them (padding 3), and
//! ages as `duration.HumanDuration` prints them.

/// Aligns rows into columns separated by at least three spaces; the last column is not padded.
pub fn render(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] + 3 - cell.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `duration.HumanDuration`: a short, human age such as `70s`, `3m10s`, `47h`, `2d1h`.
pub fn human_duration(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    let (minutes, hours) = (seconds / 60, seconds / 3600);
    if seconds < 60 * 2 {
        format!("{seconds}s")
    } else if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        }
    } else if minutes < 60 * 3 {
        format!("{minutes}m")
    } else if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        }
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        }
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from upstream's `TestHumanDuration` and `TestHumanDurationBoundaries`.
    #[test]
    fn human_duration_matches_upstream() {
        let s = 1000;
        let (m, h, d, y) = (60 * s, 3600 * s, 86400 * s, 365 * 86400 * s);
        let cases = [
            (s, "1s"),
            (70 * s, "70s"),
            (190 * s, "3m10s"),
            (70 * m, "70m"),
            (47 * h, "47h"),
            (49 * h, "2d1h"),
            (8 * d + 2 * h, "8d"),
            (367 * d, "367d"),
            (2 * y + 25 * h, "2y1d"),
            (8 * y + 2 * h, "8y"),
            (-2 * s, "<invalid>"),
            (0, "0s"),
            (999, "0s"),
            (2 * m - 1, "119s"),
            (2 * m, "2m"),
            (2 * m + s, "2m1s"),
            (10 * m - 1, "9m59s"),
            (10 * m + s, "10m"),
            (3 * h - 1, "179m"),
            (3 * h + m, "3h1m"),
            (8 * h - 1, "7h59m"),
            (8 * h + 59 * m, "8h"),
            (2 * d - 1, "47h"),
            (2 * d, "2d"),
            (8 * d - 1, "7d23h"),
            (2 * y - 1, "729d"),
            (8 * y - 1, "7y364d"),
        ];
        for (millis, want) in cases {
            assert_eq!(human_duration(millis), want, "{millis}ms");
        }
    }

    #[test]
    fn columns_are_padded_by_three() {
        let rows = vec![vec!["NAME".to_string(), "STATUS".to_string()], vec!["control-plane".to_string(), "Ready".to_string()]];
        assert_eq!(render(&rows), "NAME            STATUS\ncontrol-plane   Ready\n");
    }
}
