//! Output for people: aligned plain-text tables and number formatting.
//! (JSON output is serde's, from the library's result types.)

/// Format an integer with thousands separators: 7156462 -> "7,156,462".
pub fn int(n: u64) -> String {
    tallyproof_core::thousands(n)
}

/// A signed integer with thousands separators and an explicit sign.
pub fn signed(n: i64) -> String {
    let sign = if n < 0 {
        "-"
    } else if n > 0 {
        "+"
    } else {
        ""
    };
    format!("{sign}{}", int(n.unsigned_abs()))
}

/// A share as a percentage with two decimals, or "unknown".
pub fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) => format!("{:.2}%", v * 100.0),
        None => "unknown".to_string(),
    }
}

/// An optional count, or "unknown".
pub fn opt_int(n: Option<u64>) -> String {
    n.map_or_else(|| "unknown".to_string(), int)
}

/// A plain-text table: the first column left-aligned, the others right-aligned.
pub struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new<S: Into<String>>(head: impl IntoIterator<Item = S>) -> Table {
        Table {
            head: head.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Add a row.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Render with two spaces between columns: numbers right-aligned, text
    /// left-aligned.
    pub fn render(&self) -> String {
        let ncols = self.head.len();
        let mut width = vec![0usize; ncols];
        for r in std::iter::once(&self.head).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(ncols) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        // A column is right-aligned when every non-empty cell below the
        // head reads as a number.
        let right: Vec<bool> = (0..ncols)
            .map(|i| {
                let mut cells = self
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .filter(|c| !c.is_empty());
                i > 0 && cells.clone().next().is_some() && cells.all(|c| numeric(c))
            })
            .collect();
        let mut out = String::new();
        let line = |r: &Vec<String>, out: &mut String| {
            for (i, w) in width.iter().enumerate() {
                let c = r.get(i).map_or("", String::as_str);
                let pad = w - c.chars().count();
                if i > 0 {
                    out.push_str("  ");
                }
                if !right[i] {
                    out.push_str(c);
                    if i + 1 < ncols {
                        out.push_str(&" ".repeat(pad));
                    }
                } else {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(c);
                }
            }
            out.push('\n');
        };
        line(&self.head, &mut out);
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule, &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }
}

/// Whether a cell reads as a number (digits with separators, signs, a
/// percent sign, or "unknown" in a numeric column).
fn numeric(c: &str) -> bool {
    c == "unknown"
        || c == "-"
        || (!c.is_empty()
            && c.chars().any(|ch| ch.is_ascii_digit())
            && c.chars()
                .all(|ch| ch.is_ascii_digit() || ",.%+-<>×e –".contains(ch)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(7156462), "7,156,462");
        assert_eq!(signed(-1234), "-1,234");
    }

    #[test]
    fn table_aligns() {
        let mut t = Table::new(["name", "n"]);
        t.row(["a", "1"]);
        t.row(["bbb", "1,000"]);
        assert_eq!(
            t.render(),
            "name      n\n----  -----\na         1\nbbb   1,000\n"
        );
        let mut t = Table::new(["k", "text", "n"]);
        t.row(["x", "ab", "12"]);
        t.row(["y", "abcd", "3"]);
        assert_eq!(
            t.render(),
            "k  text   n\n-  ----  --\nx  ab    12\ny  abcd   3\n"
        );
    }
}
