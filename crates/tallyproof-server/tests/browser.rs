//! The witness and public flows in a real browser, driven from Rust
//! through WebDriver (`fantoccini` + Debian's `chromedriver` and headless
//! `chromium`), against a server on a loopback port:
//!
//! 1. the public looks up a station with the header's search form;
//! 2. two witnesses log in and type the same sheet through the HTML form:
//!    the first is held blind, the second makes it count, and the station
//!    page and the dashboard change;
//! 3. two witnesses disagree, the sheet reaches the review queue, and a
//!    reviewer counts one entry from the review page; the station page
//!    shows the decision and the dashboard changes again.
//!
//! Each step is photographed at phone (390 px) and desktop (1280 px) width
//! into `TALLYPROOF_SCREENSHOTS` (default: a temp dir). With `CI=true` a
//! missing chromium or chromedriver fails the test; elsewhere it is skipped
//! with a note.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

fn which(names: &[&str]) -> Option<PathBuf> {
    for c in names {
        if let Ok(o) = Command::new("which").arg(c).output()
            && o.status.success()
        {
            return Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        }
    }
    None
}

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(bin: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(bin)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Driver { child, url };
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver did not listen on port {port}");
}

async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars",
                "--force-device-scale-factor=1",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,900",
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("a Chromium session through {}: {e}", driver.url))
}

struct Shots {
    dir: PathBuf,
    taken: Vec<PathBuf>,
}

impl Shots {
    /// The current page at phone and at desktop width.
    async fn take(&mut self, c: &Client, name: &str) {
        for (label, w, h) in [("phone", 390, 844), ("desktop", 1280, 900)] {
            c.set_window_size(w, h).await.unwrap();
            let png = c.screenshot().await.unwrap();
            let p = self.dir.join(format!("{name}-{label}.png"));
            std::fs::write(&p, &png).unwrap();
            self.taken.push(p);
        }
    }
}

/// The text of the first element `css` selects once `want` accepts it
/// (a click that loads a page returns before the page is there), within
/// ten seconds.
async fn wait_for(c: &Client, css: &str, want: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut last = None;
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(t) = el.text().await
        {
            if want(&t) {
                return t;
            }
            last = Some(t);
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "{css} on {:?} never became what was awaited (last: {last:?})",
                c.current_url().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the first element `css` selects.
async fn text(c: &Client, css: &str) -> String {
    wait_for(c, css, |_| true).await
}

async fn type_into(c: &Client, css: &str, value: &str) {
    let el = c.find(Locator::Css(css)).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

async fn login(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    type_into(c, "input[name=token]", token).await;
    c.find(Locator::Css("main form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "h1", |t| t == "Enter a tally sheet").await;
}

async fn logout(c: &Client) {
    c.find(Locator::Css("header nav form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "header nav", |t| t.contains("Witness log-in")).await;
}

/// Type a sheet (A, B, registered 100, valid A + B) into the entry form and
/// send it; returns the receipt's message.
async fn enter(c: &Client, base: &str, station: &str, a: u64, b: u64) -> String {
    c.goto(&format!("{base}/enter")).await.unwrap();
    type_into(c, "form.entry input[name=station]", station).await;
    type_into(c, "form.entry input[name=A]", &a.to_string()).await;
    type_into(c, "form.entry input[name=B]", &b.to_string()).await;
    type_into(c, "form.entry input[name=registered]", "100").await;
    type_into(c, "form.entry input[name=valid]", &(a + b).to_string()).await;
    c.find(Locator::Css("form.entry button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "h1", |t| t == "Received").await;
    text(c, "p.status").await
}

/// The dashboard's coverage line ("N sheets counted of …").
async fn dashboard_coverage(c: &Client, base: &str) -> String {
    c.goto(&format!("{base}/")).await.unwrap();
    let all = text(c, "main").await;
    all.lines()
        .find(|l| l.contains("sheets counted"))
        .unwrap_or_else(|| panic!("no coverage line in the dashboard: {all}"))
        .to_string()
}

/// The station page's status and the "Counted" cell of option A.
async fn station_page(c: &Client, base: &str, id: &str) -> (String, String) {
    c.goto(&format!("{base}/stations/{id}")).await.unwrap();
    wait_for(c, "h1", |t| t == format!("Station {id}")).await;
    let status = text(c, "p.status strong").await;
    let row = text(c, "main table tbody tr:first-child").await;
    (status, row.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_agree_disagree_and_a_reviewer_decides_in_the_browser() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (Some(chromium), Some(chromedriver)) = (
        which(&["chromium", "chromium-browser", "google-chrome"]),
        which(&["chromedriver"]),
    ) else {
        if ci {
            panic!("CI=true but chromium or chromedriver is not installed");
        }
        eprintln!("note: chromium or chromedriver is not installed; skipping the browser flows");
        return;
    };
    let t = common::TestApp::new(common::Backend::Sqlite).await.unwrap();
    // One sheet already counts, so the dashboard has something to change.
    t.enter(&t.witness1, "01-001", 60, 30).await;
    t.enter(&t.witness2, "01-001", 60, 30).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = t.state.clone();
    tokio::spawn(async move { tallyproof_server::http::serve(state, listener).await });

    let dir = std::env::var("TALLYPROOF_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("tallyproof-browser"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut shots = Shots {
        dir: dir.clone(),
        taken: Vec::new(),
    };
    let profile = tempfile::tempdir().unwrap();
    let driver = start_driver(&chromedriver);
    let c = browser(&driver, &chromium, profile.path()).await;

    // The public: the dashboard, then a station found by its code.
    let before = dashboard_coverage(&c, &base).await;
    assert!(before.starts_with("1 sheets counted"), "{before}");
    shots.take(&c, "01-dashboard").await;
    type_into(&c, "header form.search input[name=q]", "01-003").await;
    c.find(Locator::Css("header form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "h1", |t| t == "Station 01-003").await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/stations/01-003")
    );
    assert_eq!(text(&c, "p.status strong").await, "no sheet yet");
    shots.take(&c, "02-lookup").await;

    // Two witnesses type the same sheet.
    login(&c, &base, &t.witness1).await;
    shots.take(&c, "03-entry-form").await;
    let m = enter(&c, &base, "01-003", 40, 50).await;
    assert!(m.contains("counts once a second"), "{m}");
    shots.take(&c, "04-first-entry").await;
    let (status, row) = station_page(&c, &base, "01-003").await;
    assert_eq!(status, "pending a second entry");
    // Blind: the first entry's numbers are not shown.
    assert!(!row.contains("40"), "{row}");
    shots.take(&c, "05-station-pending").await;
    logout(&c).await;
    login(&c, &base, &t.witness2).await;
    let m = enter(&c, &base, "01-003", 40, 50).await;
    assert!(m.contains("agrees with an independent entry"), "{m}");
    let (status, row) = station_page(&c, &base, "01-003").await;
    assert_eq!(status, "agreed");
    assert!(row.starts_with("A 40"), "{row}");
    shots.take(&c, "06-station-agreed").await;
    let after = dashboard_coverage(&c, &base).await;
    assert!(after.starts_with("2 sheets counted"), "{after}");
    shots.take(&c, "07-dashboard-after-agreement").await;

    // A disagreement: Beto (still logged in) and then Ana type 02-002
    // differently.
    let m = enter(&c, &base, "02-002", 11, 19).await;
    assert!(m.contains("counts once a second"), "{m}");
    logout(&c).await;
    login(&c, &base, &t.witness1).await;
    let m = enter(&c, &base, "02-002", 10, 20).await;
    assert!(m.contains("differs from another entry"), "{m}");
    shots.take(&c, "08-disagreement-receipt").await;
    let (status, _) = station_page(&c, &base, "02-002").await;
    assert_eq!(status, "in review");
    logout(&c).await;

    // The reviewer sees both entries side by side and counts Beto's.
    login(&c, &base, &t.reviewer).await;
    c.goto(&format!("{base}/review")).await.unwrap();
    assert_eq!(text(&c, "section.review h2").await, "02-002");
    let differs = c
        .find_all(Locator::Css("section.review tr.differs"))
        .await
        .unwrap();
    assert_eq!(differs.len(), 2, "A and B differ; valid is 30 in both");
    shots.take(&c, "09-review-queue").await;
    let forms = c
        .find_all(Locator::Css("section.review .choices form"))
        .await
        .unwrap();
    let mut chosen = None;
    for f in forms {
        let label = f
            .find(Locator::Css("button"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if label.contains("Beto") {
            chosen = Some(f);
        }
    }
    let f = chosen.expect("a button counting Beto's entry");
    let note = f.find(Locator::Css("input[name=note]")).await.unwrap();
    note.send_keys("the photo shows A 11, B 19").await.unwrap();
    f.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "h1", |t| t == "Review queue").await;
    wait_for(&c, "main p", |t| t == "Nothing to review.").await;
    shots.take(&c, "10-review-done").await;
    let (status, row) = station_page(&c, &base, "02-002").await;
    assert_eq!(status, "resolved by a reviewer");
    assert!(row.starts_with("A 11"), "{row}");
    let history = text(&c, "ol.history").await;
    assert!(
        history.contains("decision by Rita") && history.contains("the photo shows A 11, B 19"),
        "{history}"
    );
    shots.take(&c, "11-station-resolved").await;
    let last = dashboard_coverage(&c, &base).await;
    assert!(last.starts_with("3 sheets counted"), "{last}");
    c.close().await.unwrap();

    // Every screenshot is a PNG of the width asked for and not blank.
    for p in &shots.taken {
        let img = image::open(p).unwrap().to_rgb8();
        let want = if p.to_string_lossy().contains("phone") {
            390
        } else {
            1280
        };
        assert_eq!(img.width(), want, "{}", p.display());
        let first = *img.get_pixel(0, 0);
        let varied = img.pixels().filter(|&&q| q != first).count();
        assert!(
            varied > (img.width() * img.height() / 100) as usize,
            "{} looks blank",
            p.display()
        );
    }
    eprintln!(
        "{} screenshots in {}",
        shots.taken.len(),
        shots.dir.display()
    );
}
