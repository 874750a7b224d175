//! The config parser on arbitrary UTF-8. A config that parses is then used
//! to read a small file whose header holds every column it names, so that
//! whatever the config allows also reaches the reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyproof_core::Config;

fuzz_target!(|text: &str| {
    let Ok(cfg) = Config::from_toml(text) else {
        return;
    };
    let _ = cfg.option_keys();
    for r in tallyproof_core::Rule::ALL.iter() {
        let _ = cfg.severity(*r);
    }
    let mut names: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if !names.iter().any(|n| n == c) {
            names.push(c.to_string());
        }
    };
    cfg.station.id.iter().for_each(|p| add(p.column()));
    for l in &cfg.levels {
        l.code.parts().iter().for_each(|p| add(p.column()));
        if let Some(n) = &l.name {
            add(n);
        }
    }
    let c = &cfg.columns;
    for spec in [
        &c.registered,
        &c.valid,
        &c.null,
        &c.blank,
        &c.ballots,
        &c.issued,
    ]
    .into_iter()
    .flatten()
    {
        spec.columns().iter().for_each(|s| add(s));
    }
    for o in &cfg.options {
        match &o.columns {
            Some(spec) => spec.columns().iter().for_each(|s| add(s)),
            None => add(&o.key),
        }
    }
    if let Some(oc) = &cfg.input.option_column {
        add(oc);
    }
    if let Some(vc) = &cfg.input.votes_column {
        add(vc);
    }
    // Keep the file small: a config that names thousands of columns is
    // exercised by the parser alone.
    if names.len() > 64 || names.iter().any(|n| n.len() > 256) {
        return;
    }
    let d = cfg.input.delimiter.as_str();
    let first_option = cfg
        .options
        .first()
        .map(|o| o.value.clone().unwrap_or_else(|| o.key.clone()))
        .unwrap_or_default();
    let mut file = names.join(d);
    file.push('\n');
    for value in ["1", "7", ""] {
        let row: Vec<&str> = names
            .iter()
            .map(|n| {
                if cfg.input.option_column.as_deref() == Some(n.as_str()) {
                    first_option.as_str()
                } else {
                    value
                }
            })
            .collect();
        file.push_str(&row.join(d));
        file.push('\n');
    }
    let read = tallyproof_core::read_bytes(
        &cfg,
        "fuzz.csv",
        file.into_bytes(),
        None,
        &tallyproof_core::NoProgress,
    );
    if let Ok(ds) = read {
        tallyproof_fuzz::check(&cfg, &ds);
    }
});
