//! The pages in a real browser: a server on a loopback port with two
//! witnesses' agreeing entries and one disagreement, and headless Chromium
//! (Debian `chromium`) rendering the dashboard, a station, the entry form
//! and the review queue at phone (390 px) and desktop (1280 px) widths.
//! The PNGs go to `TALLYPROOF_SCREENSHOTS` (default: a temp dir) to be
//! looked at; the test checks that each was written and is not blank.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("which").arg(c).output()
            && o.status.success()
        {
            return Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_at_phone_and_desktop_width() {
    let Some(browser) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but chromium is not installed");
        }
        eprintln!("note: chromium is not installed; skipping the screenshots");
        return;
    };
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    t.enter(&t.witness1, "01-001", 60, 30).await;
    t.enter(&t.witness2, "01-001", 60, 30).await;
    t.enter(&t.witness1, "01-002", 50, 40).await;
    t.enter(&t.witness2, "01-002", 55, 35).await;
    t.enter(&t.witness1, "02-001", 20, 30).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = t.state.clone();
    tokio::spawn(async move { tallyproof_server::http::serve(state, listener).await });
    let out = std::env::var("TALLYPROOF_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("tallyproof-screens"));
    std::fs::create_dir_all(&out).unwrap();
    let profile = tempfile::tempdir().unwrap();
    // Pages behind a log-in get the token as a cookie through a URL the
    // browser cannot set: render those from the HTML the server gives a
    // logged-in client, written to a file and opened from disk with the
    // stylesheet beside it.
    let (_, enter) = t.get_html("/enter?station=01-003", Some(&t.witness1)).await;
    let (_, review) = t.get_html("/review", Some(&t.reviewer)).await;
    let local = out.join("local");
    std::fs::create_dir_all(local.join("static")).unwrap();
    let a = addr.to_string();
    let css = tokio::task::spawn_blocking(move || fetch_css(&a))
        .await
        .unwrap();
    std::fs::write(local.join("static/style.css"), css).unwrap();
    let fix = |h: &str| h.replace("href=\"/static/style.css\"", "href=\"static/style.css\"");
    std::fs::write(local.join("enter.html"), fix(&enter)).unwrap();
    std::fs::write(local.join("review.html"), fix(&review)).unwrap();
    let pages = [
        ("dashboard", format!("http://{addr}/")),
        ("station", format!("http://{addr}/stations/01-001")),
        ("unit", format!("http://{addr}/units/region/01")),
        (
            "enter",
            format!("file://{}", local.join("enter.html").display()),
        ),
        (
            "review",
            format!("file://{}", local.join("review.html").display()),
        ),
    ];
    for (name, url) in &pages {
        for (w, h, label) in [(390, 844, "phone"), (1280, 900, "desktop")] {
            let png = out.join(format!("{name}-{label}.png"));
            let _ = std::fs::remove_file(&png);
            let status = Command::new(&browser)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--hide-scrollbars",
                    &format!("--user-data-dir={}", profile.path().display()),
                    &format!("--window-size={w},{h}"),
                    &format!("--screenshot={}", png.display()),
                    url,
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "chromium failed on {url}");
            let img = image::open(&png).unwrap().to_luma8();
            assert_eq!(img.width(), w);
            let dark = img.pixels().filter(|p| p.0[0] < 128).count();
            assert!(
                dark > 500,
                "{} looks blank ({dark} dark pixels)",
                png.display()
            );
        }
    }
    eprintln!("screenshots in {}", out.display());
}

/// The stylesheet, fetched over a plain TCP connection.
fn fetch_css(addr: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(
        format!("GET /static/style.css HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    r.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}
