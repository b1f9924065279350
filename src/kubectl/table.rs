//! kubectl's table output: columns aligned as its tabwriter aligns them, and
//! ages as `duration.HumanDuration` prints them.

/// `text/tabwriter` as kubectl configures it (liggitt/tabwriter: minwidth 6, padding 3,
/// `RememberWidths`): a column is as wide as its widest cell plus three spaces, at least six,
/// and never narrower than it was in an earlier flush (so `kubectl get -w` rows only widen).
/// The last cell of a row is not part of a column and is not padded.
#[derive(Clone, Debug, Default)]
pub struct Tabwriter {
    widths: Vec<usize>,
}

impl Tabwriter {
    const MIN_WIDTH: usize = 6;
    const PADDING: usize = 3;

    /// Aligns one flush of rows and remembers the column widths.
    pub fn render(&mut self, rows: &[Vec<String>]) -> String {
        for row in rows {
            for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
                let width = (cell.chars().count() + Self::PADDING).max(Self::MIN_WIDTH);
                match self.widths.get_mut(i) {
                    Some(w) => *w = (*w).max(width),
                    None => self.widths.push(width),
                }
            }
        }
        let mut out = String::new();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                out.push_str(cell);
                if i + 1 < row.len() {
                    let pad = self.widths.get(i).copied().unwrap_or(0).saturating_sub(cell.chars().count());
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Go's `text/tabwriter` over tab-separated lines, as `kubectl describe` configures it
/// (minwidth 0, padding 2): a column block is a run of consecutive lines that have a
/// tab-terminated cell in that column, and each block is as wide as its widest cell plus the
/// padding. The text after a line's last tab is not padded.
pub fn align_blocks(text: &str, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text.split_terminator('\n').map(|l| l.split('\t').collect()).collect();
    let columns = lines.iter().map(|l| l.len().saturating_sub(1)).max().unwrap_or(0);
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.len()]).collect();
    for column in 0..columns {
        let mut start = 0;
        while start < lines.len() {
            if lines[start].len() <= column + 1 {
                start += 1;
                continue;
            }
            let end = (start..lines.len()).find(|&i| lines[i].len() <= column + 1).unwrap_or(lines.len());
            let width = lines[start..end].iter().map(|l| l[column].chars().count()).max().unwrap_or(0) + padding;
            for row in &mut widths[start..end] {
                row[column] = width;
            }
            start = end;
        }
    }
    let mut out = String::new();
    for (line, widths) in lines.iter().zip(&widths) {
        for (i, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < line.len() {
                out.extend(std::iter::repeat_n(' ', widths[i].saturating_sub(cell.chars().count())));
            }
        }
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
    fn describe_aligns_each_block_of_lines_on_its_own() {
        let text = "Name:\tweb\nNamespace:\tdefault\nContainers:\n  nginx:\n    Image:\tnginx\n";
        assert_eq!(align_blocks(text, 2), "Name:       web\nNamespace:  default\nContainers:\n  nginx:\n    Image:  nginx\n");
    }

    #[test]
    fn columns_are_padded_by_three() {
        let rows = vec![vec!["NAME".to_string(), "STATUS".to_string()], vec!["control-plane".to_string(), "Ready".to_string()]];
        assert_eq!(Tabwriter::default().render(&rows), "NAME            STATUS\ncontrol-plane   Ready\n");
        let mut remembering = Tabwriter::default();
        let short = vec![vec!["A".to_string(), "B".to_string()]];
        assert_eq!(remembering.render(&short), "A     B\n");
        remembering.render(&[vec!["LONGER-CELL".to_string(), "x".to_string()]]);
        assert_eq!(remembering.render(&short), "A             B\n");
    }
}
