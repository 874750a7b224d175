//! The people's view of a quick-count plan and estimate.

use tallyproof_stats::quickcount::{Comparison, Estimate, Plan, Target};

use crate::output::{Table, int, pct};

/// The plan: sizes per stratum with the design effect and assumptions.
pub fn render_plan(p: &Plan) -> String {
    let on = match p.params.target {
        Target::LeaderShare { share } => {
            format!("the leader's share (expected {})", pct(Some(share)))
        }
        Target::FirstTwoMargin { first, second } => format!(
            "the margin between the first two (expected {} and {})",
            pct(Some(first)),
            pct(Some(second))
        ),
    };
    let mut out = format!(
        "Quick-count plan: ±{:.2} percentage points on {on} at {:.0}% confidence.\n\
         Draw {} of {} stations ({} sheets needed in hand; {:.0}% allowed never to report).\n\
         Expected half-width with the sheets needed: ±{:.2} pp; design effect {:.1} \
         (mean {:.0} valid votes per station).\nvariance from {}.\nmethod: {}.\n",
        p.params.margin * 100.0,
        p.params.confidence * 100.0,
        int(p.size as u64),
        int(p.frame_stations as u64),
        int(p.needed as u64),
        p.params.non_response * 100.0,
        p.expected_margin * 100.0,
        p.design_effect,
        p.mean_votes,
        p.variance_source,
        p.method
    );
    let mut t = Table::new(["stratum", "stations", "registered", "needed", "draw"]);
    for s in &p.strata {
        t.row([
            s.name.clone(),
            int(s.frame_stations as u64),
            s.frame_registered.map_or("unknown".into(), int),
            int(s.needed as u64),
            int(s.size as u64),
        ]);
    }
    out.push_str(&t.render());
    out.push_str(&format!("assumes: {}\n", p.assumptions.join("; ")));
    out
}

/// The estimate: shares, realised sample, announcement, warnings.
pub fn render_estimate(
    e: &Estimate,
    outside: usize,
    cmp: Option<&(String, Vec<Comparison>)>,
) -> String {
    let mut out = format!(
        "Quick count: {} of {} sampled stations in hand ({} other sheets ignored), {:.0}% intervals.\n",
        int(e.arrived as u64),
        int(e.drawn as u64),
        int(outside as u64),
        e.confidence * 100.0
    );
    let mut t = Table::new(["option", "share", "interval", "± pp"]);
    let mut order: Vec<usize> = (0..e.options.len()).collect();
    order.sort_by(|&a, &b| {
        e.options[b]
            .share
            .estimate
            .total_cmp(&e.options[a].share.estimate)
    });
    for j in order {
        let s = &e.options[j].share;
        t.row([
            e.options[j].option.clone(),
            pct(Some(s.estimate)),
            format!("{} – {}", pct(Some(s.low)), pct(Some(s.high))),
            format!("{:.2}", (s.high - s.estimate) * 100.0),
        ]);
    }
    out.push_str(&t.render());
    out.push_str(&format!(
        "{} leads {} by {:.2} pp (interval {:.2} – {:.2} pp).\n",
        e.leader,
        e.runner_up,
        e.margin.estimate * 100.0,
        e.margin.low * 100.0,
        e.margin.high * 100.0
    ));
    let mut t = Table::new(["stratum", "stations", "drawn", "in hand", "arrived"]);
    for r in &e.realised {
        let rate = (r.drawn > 0).then(|| r.arrived as f64 / r.drawn as f64);
        t.row([
            r.stratum.clone(),
            int(r.frame_stations as u64),
            int(r.drawn as u64),
            int(r.arrived as u64),
            pct(rate),
        ]);
    }
    out.push('\n');
    out.push_str(&t.render());
    if let Some((label, cs)) = cmp {
        out.push_str(&format!("\nAnnouncement: {label}\n"));
        let mut t = Table::new([
            "total",
            "announced",
            "quick count",
            "interval",
            "z",
            "verdict",
        ]);
        for c in cs {
            let q = &c.quick_count;
            t.row([
                c.key.clone(),
                pct(Some(c.announced)),
                pct(Some(q.estimate)),
                format!("{} – {}", pct(Some(q.low)), pct(Some(q.high))),
                format!("{:+.1}", c.z),
                if c.inside {
                    "inside".into()
                } else {
                    format!("OUTSIDE by {:.1} se", c.z.abs())
                },
            ]);
        }
        out.push_str(&t.render());
    }
    for w in &e.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&format!(
        "method: {}\nassumes: {}\n",
        e.method,
        e.assumptions.join("; ")
    ));
    out
}
