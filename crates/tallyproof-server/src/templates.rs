//! The HTML pages' templates (askama, checked when compiled). Every value
//! is escaped by askama; the pages hold no script.

use askama::Template;

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub last_change: String,
    pub rows: Vec<(String, String, String)>,
    pub coverage: Vec<String>,
    /// (label, class, verdict, lines)
    pub feasibility: Vec<(String, String, String, Vec<String>)>,
    pub worst: String,
    pub level_name: String,
    pub options: Vec<String>,
    /// (href, label, sheets, coverage, shares)
    pub units: Vec<(String, String, String, String, Vec<String>)>,
}

/// What a station's page shows of its record (`station_body.html`).
pub struct StationView {
    pub id: String,
    /// Its anchor in a bundle page.
    pub anchor: String,
    pub place: String,
    pub status: String,
    pub status_class: String,
    pub sources: Vec<String>,
    pub rows: Vec<(String, String, Vec<String>)>,
    pub hidden: usize,
    /// Why it was put in review, when a flag did.
    pub flags: Vec<String>,
    /// (link, caption)
    pub photos: Vec<(String, String)>,
    pub history: Vec<String>,
    /// In a static bundle: where its leaf and proof are, and how to check.
    pub static_proof: Option<String>,
}

#[derive(Template)]
#[template(path = "station.html")]
pub struct Station {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub station: String,
    pub v: StationView,
    /// (index, tree size, proof text, verifier key)
    pub proof: Option<(u64, u64, String, String)>,
}

/// The stations whose id starts with one prefix, as one static page.
#[derive(Template)]
#[template(path = "stations_bundle.html")]
pub struct StationsBundle {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub stations: Vec<StationView>,
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct List {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub paragraphs: Vec<String>,
    pub headers: Vec<String>,
    /// (href, label, cells)
    pub rows: Vec<(String, String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct Login {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "enter.html")]
pub struct Enter {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub key: String,
    pub station: String,
    /// (name, label, value)
    pub fields: Vec<(String, String, String)>,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "receipt.html")]
pub struct Receipt {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub message: String,
    pub status_class: String,
    pub station: String,
    pub entry: i64,
    pub sheet: String,
}

#[derive(Template)]
#[template(path = "photo.html")]
pub struct Photo {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub sha256: String,
    pub station: String,
    pub status_class: String,
    /// Whether the QR code was read (or is being read).
    pub read: bool,
    pub lines: Vec<String>,
}

pub struct ReviewItem {
    pub station: String,
    /// Why it was flagged, when it was.
    pub flags: Vec<String>,
    pub photos: Vec<String>,
    pub headers: Vec<String>,
    /// (figure, values per entry, whether they differ)
    pub rows: Vec<(String, Vec<String>, bool)>,
    /// (entry id, label)
    pub entries: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "review.html")]
pub struct Review {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub items: Vec<ReviewItem>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub election: String,
    pub who: Option<String>,
    pub csrf: String,
    pub message: String,
    pub login: bool,
}

/// The stylesheet.
pub const STYLE: &str = include_str!("../templates/style.css");
