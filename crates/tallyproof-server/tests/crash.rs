//! Crash: a server process killed with SIGKILL in the middle of a stream of
//! entries, then started again on the same SQLite file and log. Every
//! entry the server acknowledged (201) is in the store, each sheet's state
//! agrees with its entries, and the log verifies.
//!
//! The server is this test binary itself, started again with
//! `TP_CRASH_CHILD` set, running the `child` test below.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tallyproof_server::store::{Role, StationInfo};
use tallyproof_server::{AppState, auth, http, log::LogSink, store};

/// The server side: runs only when the parent sets `TP_CRASH_CHILD`.
#[test]
fn child() {
    let Ok(dir) = std::env::var("TP_CRASH_CHILD") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let dir = std::path::PathBuf::from(dir);
        let st = store::open(&format!("sqlite:{}", dir.join("t.db").display()))
            .await
            .unwrap();
        let log = LogSink::open_or_init(&dir.join("log"), "crash.example/log").unwrap();
        let state = AppState::new(st, common::config(), None, Vec::new(), Some(log));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("LISTENING {}", listener.local_addr().unwrap());
        // Durability, not the rate limits, is under test: the stream of
        // entries outruns a token's default burst on a quiet machine.
        http::serve_with(state, listener, &http::limits::Limits::off())
            .await
            .unwrap();
    });
}

fn spawn(dir: &std::path::Path) -> (Child, String) {
    let mut c = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("TP_CRASH_CHILD", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = c.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let addr = loop {
        let l = lines
            .next()
            .expect("the child ended before listening")
            .unwrap();
        // libtest prints "test child ... " before the test's own output.
        if let Some((_, a)) = l.split_once("LISTENING ") {
            break a.trim().to_string();
        }
    };
    // Keep draining the child's output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (c, addr)
}

/// One POST; the status, or none if the connection failed.
fn post(addr: &str, token: &str, body: &str) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let req = format!(
        "POST /api/v1/entries HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split(' ').nth(1)?.parse().ok()
}

#[test]
fn every_acknowledged_entry_survives_sigkill() {
    if std::env::var("TP_CRASH_CHILD").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let n = 300;
    let (t1, t2) = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let st = store::open(&format!("sqlite:{}", dir.path().join("t.db").display()))
                .await
                .unwrap();
            let stations: Vec<StationInfo> = (0..n)
                .map(|i| StationInfo {
                    id: format!("S{i:04}"),
                    units: vec![("01".into(), String::new()), ("01-d".into(), String::new())],
                    registered: Some(100),
                })
                .collect();
            st.put_stations(&stations).await.unwrap();
            let (a, ha) = auth::new_token();
            let (b, hb) = auth::new_token();
            st.add_witness("A", Role::Witness, &[], &ha, 0)
                .await
                .unwrap();
            st.add_witness("B", Role::Witness, &[], &hb, 0)
                .await
                .unwrap();
            (a, b)
        })
    };
    let (mut child, addr) = spawn(dir.path());
    // Each station entered by both witnesses with the same numbers, so
    // every second entry makes a sheet count and appends a leaf.
    let killer = {
        let pid = child.id();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(700));
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        })
    };
    let mut acked: Vec<(usize, usize)> = Vec::new();
    for i in 0..n {
        let body = format!(
            r#"{{"station":"S{i:04}","fields":{{"A":"{a}","B":"7","registered":"100","valid":"{v}"}}}}"#,
            a = i % 50,
            v = i % 50 + 7
        );
        let mut dead = false;
        for (w, t) in [&t1, &t2].into_iter().enumerate() {
            match post(&addr, t, &body) {
                Some(201) => acked.push((i, w)),
                Some(other) => panic!("status {other} for station {i}"),
                None => dead = true,
            }
        }
        if dead {
            break;
        }
    }
    killer.join().unwrap();
    let _ = child.wait();
    assert!(
        !acked.is_empty(),
        "no entry was acknowledged before the kill"
    );
    assert!(
        acked.len() < 2 * n,
        "the kill came after the whole stream: make the stream longer"
    );
    // Restart on the same files: it opens, and everything acknowledged is there.
    let (mut child, addr) = spawn(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let st = store::open(&format!("sqlite:{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        for &(i, w) in &acked {
            let rec = st.record(&format!("S{i:04}")).await.unwrap().unwrap();
            let name = ["A", "B"][w];
            assert!(
                rec.entries
                    .iter()
                    .any(|e| e.witness_name.as_deref() == Some(name)),
                "station {i}: witness {name}'s acknowledged entry is missing"
            );
            // Nothing half-written: a sheet with both entries is agreed,
            // with one is pending.
            let want = if rec.entries.len() == 2 {
                "agreed"
            } else {
                "pending"
            };
            assert_eq!(rec.sheet.unwrap().as_str(), want, "station {i}");
        }
        // The restarted server appended whatever the kill left out of the log.
        assert!(st.unlogged().await.unwrap().is_empty());
    });
    // The server still takes entries after the restart.
    let body = r#"{"station":"S0299","fields":{"A":"1","B":"7","registered":"100","valid":"8"}}"#;
    assert_eq!(post(&addr, &t1, body), Some(201));
    let _ = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
    // The log verifies (a torn last frame, if any, is reported, not an error).
    let rep = tallyproof_ledger::verify(&dir.path().join("log"), &Default::default()).unwrap();
    eprintln!(
        "crash: {} entries acknowledged before SIGKILL; log {} entries, {} unsigned, {} torn bytes",
        acked.len(),
        rep.entries,
        rep.unsigned_entries,
        rep.torn_bytes
    );
}
