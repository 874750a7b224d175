//! The HTML pages: they work without JavaScript (the Content-Security-Policy
//! allows none). Forms that change data carry a CSRF field derived from
//! the login, and are refused from another origin.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tallyproof_core::sheet::{EXTRA_NAMES, SourceKind, mapped_extras};

use super::error::ApiError;
use crate::AppState;
use crate::auth::{COOKIE, MaybeWitness, csrf_for, csrf_ok};
use crate::flow::SheetState;
use crate::store::{Role, Witness};
use crate::templates as t;

/// An error as an HTML page.
pub struct PageError(ApiError, String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(d) = &self.0 {
            tracing::error!(detail = %d, "internal error");
        }
        let status = self.0.status();
        let mut message = self.0.to_string();
        if let Some(f) = self.0.fields() {
            for (k, v) in f {
                message.push_str(&format!(" {k}: {}.", v.join("; ")));
            }
        }
        let page = t::ErrorPage {
            title: status.canonical_reason().unwrap_or("error").to_string(),
            election: self.1,
            who: None,
            csrf: String::new(),
            message,
            login: status == StatusCode::UNAUTHORIZED,
        };
        (status, render(&page)).into_response()
    }
}

type PageResult = Result<Response, PageError>;

/// One figure of a sheet, read from its counts.
type Figure = Box<dyn Fn(&tallyproof_core::sheet::Counts) -> Option<u64>>;

fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

fn err(state: &AppState) -> impl Fn(ApiError) -> PageError + '_ {
    |e| PageError(e, state.cfg.election.name.clone())
}

fn who(state: &AppState, w: &Option<Witness>) -> (Option<String>, String) {
    match w {
        Some(w) => (
            Some(format!("{} ({})", w.name, w.role.as_str())),
            csrf_for(&state.csrf_secret, &w.token_sha256),
        ),
        None => (None, String::new()),
    }
}

fn int(n: u64) -> String {
    tallyproof_core::thousands(n)
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.2}%", 100.0 * v))
}

/// A form from another origin is refused (with SameSite cookies and the
/// CSRF field, a third check).
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let o = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or(origin);
    if o == host {
        Ok(())
    } else {
        Err(ApiError::Forbidden("a form from another site".into()))
    }
}

/// The dashboard.
#[utoipa::path(get, path = "/", responses((status = 200, description = "HTML")))]
pub async fn dashboard(State(state): State<AppState>, MaybeWitness(w): MaybeWitness) -> PageResult {
    let e = err(&state);
    let snap = state.snapshot().await.map_err(|x| e(x.into()))?;
    let nat = snap.national.units.first();
    let mut rows = Vec::new();
    if let Some(n) = nat {
        for (i, o) in snap.national.options.iter().enumerate() {
            rows.push((o.clone(), int(n.votes[i]), pct(n.shares[i])));
        }
        rows.push(("valid".into(), int(n.valid), String::new()));
    }
    let mut coverage = Vec::new();
    if let Some(n) = nat {
        coverage.push(format!(
            "{} sheets counted of {} stations ({}); {}",
            int(n.sheets),
            n.stations_known.map_or("an unknown number of".into(), int),
            pct(n.sheet_coverage),
            snap.national.denominator
        ));
        if let (Some(r), Some(k)) = (n.registered_in_sheets, n.registered_known) {
            coverage.push(format!(
                "{} registered voters covered of {} ({})",
                int(r),
                int(k),
                pct(n.voter_coverage)
            ));
        }
    }
    let states: Vec<String> = snap
        .states
        .iter()
        .map(|(s, n)| format!("{} {}", int(*n as u64), s.label()))
        .collect();
    if !states.is_empty() {
        coverage.push(format!("Sheets by status: {}", states.join(", ")));
    }
    let feasibility = snap
        .feasibility
        .iter()
        .map(|(label, f)| match f {
            Ok(f) => {
                let lines = f
                    .stations
                    .iter()
                    .chain(&f.voters)
                    .map(|b| b.explanation.clone())
                    .chain(
                        f.joint
                            .iter()
                            .filter(|j| j.impossible)
                            .map(|j| j.explanation.clone()),
                    )
                    .collect();
                let (class, verdict) = if f.any_impossible {
                    ("impossible", "impossible given the sheets in hand")
                } else {
                    ("possible", "compatible with the sheets in hand")
                };
                (label.clone(), class.into(), verdict.into(), lines)
            }
            Err(m) => (
                label.clone(),
                "undetermined".into(),
                "not checked".into(),
                vec![m.clone()],
            ),
        })
        .collect();
    let (level_name, units) = match (state.cfg.levels.first(), snap.levels.first()) {
        (Some(l), Some(tab)) => (
            l.key.clone(),
            tab.units
                .iter()
                .map(|u| {
                    (
                        format!("/units/{}/{}", l.key, u.code),
                        if u.name.is_empty() {
                            u.code.clone()
                        } else {
                            format!("{} {}", u.code, u.name)
                        },
                        int(u.sheets),
                        pct(u.sheet_coverage),
                        u.shares.iter().map(|s| pct(*s)).collect(),
                    )
                })
                .collect(),
        ),
        _ => (String::new(), Vec::new()),
    };
    let (who, csrf) = who(&state, &w);
    Ok(render(&t::Dashboard {
        title: "Results".into(),
        election: state.cfg.election.name.clone(),
        who,
        csrf,
        last_change: snap.last_change.map_or("none yet".into(), crate::rfc3339),
        rows,
        coverage,
        feasibility,
        worst: snap.worst.explanation.clone(),
        level_name,
        options: snap.national.options.clone(),
        units,
    }))
}

/// One unit of a level: its totals and coverage, the units below it, or
/// its counted stations at the lowest level.
#[utoipa::path(get, path = "/units/{level}/{code}", params(("level" = String, Path, description = "level key"), ("code" = String, Path, description = "unit code")), responses((status = 200, description = "HTML"), (status = 404, description = "unknown")))]
pub async fn unit(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    Path((level, code)): Path<(String, String)>,
) -> PageResult {
    let e = err(&state);
    let snap = state.snapshot().await.map_err(|x| e(x.into()))?;
    let li = state
        .cfg
        .levels
        .iter()
        .position(|l| l.key == level)
        .ok_or_else(|| e(ApiError::NotFound))?;
    let tab = &snap.levels[li];
    let u = tab
        .units
        .iter()
        .find(|u| u.code == code)
        .ok_or_else(|| e(ApiError::NotFound))?;
    let mut paragraphs = vec![format!(
        "{} sheets counted of {} stations ({}). Valid votes {}.",
        int(u.sheets),
        u.stations_known.map_or("an unknown number of".into(), int),
        pct(u.sheet_coverage),
        int(u.valid)
    )];
    paragraphs.push(
        tab.options
            .iter()
            .zip(u.votes.iter().zip(&u.shares))
            .map(|(o, (v, s))| format!("{o} {} ({})", int(*v), pct(*s)))
            .collect::<Vec<_>>()
            .join(" · "),
    );
    let ds = &snap.dataset;
    let ui = ds.units[li].get(&code);
    let inside = |i: usize| ui.is_some_and(|x| ds.sheets.geo[li][i] == x);
    let (headers, rows) = if li + 1 < state.cfg.levels.len() {
        let child = &state.cfg.levels[li + 1].key;
        let codes: std::collections::HashSet<&str> = (0..ds.sheets.len())
            .filter(|&i| inside(i))
            .map(|i| ds.units[li + 1].codes[ds.sheets.geo[li + 1][i] as usize].as_str())
            .collect();
        let mut h = vec![child.clone(), "sheets".into(), "coverage".into()];
        h.extend(tab.options.iter().cloned());
        let rows = snap.levels[li + 1]
            .units
            .iter()
            .filter(|c| codes.contains(c.code.as_str()))
            .map(|c| {
                let mut cells = vec![int(c.sheets), pct(c.sheet_coverage)];
                cells.extend(c.shares.iter().map(|s| pct(*s)));
                (
                    format!("/units/{child}/{}", c.code),
                    format!("{} {}", c.code, c.name),
                    cells,
                )
            })
            .collect();
        (h, rows)
    } else {
        let mut h = vec!["station".into()];
        h.extend(tab.options.iter().cloned());
        let rows = (0..ds.sheets.len())
            .filter(|&i| inside(i))
            .map(|i| {
                let id = ds.sheets.station.get(i).to_string();
                let cells = ds
                    .sheets
                    .votes
                    .iter()
                    .map(|v| int(u64::from(v[i])))
                    .collect();
                (format!("/stations/{id}"), id, cells)
            })
            .collect();
        (h, rows)
    };
    let (who, csrf) = who(&state, &w);
    Ok(render(&t::List {
        title: format!("{level} {} {}", u.code, u.name),
        election: state.cfg.election.name.clone(),
        who,
        csrf,
        paragraphs,
        headers,
        rows,
    }))
}

/// A station's page.
#[utoipa::path(get, path = "/stations/{id}", params(("id" = String, Path, description = "station id")), responses((status = 200, description = "HTML"), (status = 404, description = "unknown")))]
pub async fn station(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    Path(id): Path<String>,
) -> PageResult {
    let e = err(&state);
    let rec = state
        .record(&id)
        .await
        .map_err(|x| e(x.into()))?
        .ok_or_else(|| e(ApiError::NotFound))?;
    let proof = match state.log.as_ref() {
        Some(log) => {
            let p = log
                .prove(&id)
                .map_err(|x| e(ApiError::Internal(x.to_string())))?;
            let (_, _, vkey) = log
                .head()
                .map_err(|x| e(ApiError::Internal(x.to_string())))?;
            p.last()
                .map(|p| (p.index, p.tree_size, p.to_tlog_proof(), vkey))
        }
        None => None,
    };
    let (who, csrf) = who(&state, &w);
    Ok(render(&t::Station {
        title: format!("Station {id}"),
        election: state.cfg.election.name.clone(),
        who,
        csrf,
        station: id,
        v: station_view(&state.cfg, &rec),
        proof,
    }))
}

/// What a station's page shows of its record (also the static export's
/// station bundles).
pub(crate) fn station_view(
    cfg: &tallyproof_core::Config,
    rec: &crate::store::StationRecord,
) -> t::StationView {
    let open = matches!(rec.sheet, Some(SheetState::Agreed | SheetState::Resolved));
    let shown: Vec<_> = rec
        .entries
        .iter()
        .filter(|x| open || matches!(x.kind, SourceKind::Import | SourceKind::Official))
        .collect();
    let hidden = rec.entries.len() - shown.len();
    let counted = rec
        .counted_entry
        .and_then(|c| rec.entries.iter().find(|x| x.id == c))
        .map(|x| &x.counts);
    let mut names: Vec<(String, Figure)> = Vec::new();
    for (k, o) in cfg.options.iter().enumerate() {
        names.push((o.key.clone(), Box::new(move |c| c.options.get(k).copied())));
    }
    for (k, m) in mapped_extras(cfg).into_iter().enumerate() {
        if m {
            names.push((EXTRA_NAMES[k].to_string(), Box::new(move |c| c.extras()[k])));
        }
    }
    let cell = |v: Option<u64>| v.map_or("–".into(), int);
    let rows = names
        .iter()
        .map(|(n, f)| {
            (
                n.clone(),
                counted.map_or("–".into(), |c| cell(f(c))),
                shown.iter().map(|x| cell(f(&x.counts))).collect(),
            )
        })
        .collect();
    let sources = shown
        .iter()
        .map(|x| {
            let by = x
                .witness_name
                .clone()
                .or_else(|| x.origin.file.clone())
                .unwrap_or_default();
            format!("#{} {} {by} ({})", x.id, x.kind.as_str(), x.state.as_str())
        })
        .collect();
    let history = rec
        .transitions
        .iter()
        .map(|h| {
            format!(
                "{} · {} {}: {} → {} by {}{}",
                crate::rfc3339(h.at),
                h.subject,
                h.entry.map_or(String::new(), |x| format!("#{x}")),
                h.from.clone().unwrap_or_else(|| "new".into()),
                h.to,
                h.who.clone().unwrap_or_else(|| "import".into()),
                h.leaf.map_or(String::new(), |l| format!(" · log leaf {l}"))
            )
        })
        .chain(rec.decisions.iter().map(|d| {
            format!(
                "{} · decision by {}: entry #{} counts ({})",
                crate::rfc3339(d.at),
                d.reviewer,
                d.entry,
                d.note
            )
        }))
        .collect();
    let place = rec
        .info
        .units
        .iter()
        .zip(&cfg.levels)
        .map(|((c, n), l)| format!("{} {c} {n}", l.key))
        .collect::<Vec<_>>()
        .join(" · ");
    let status = rec
        .sheet
        .map_or("no sheet yet", SheetState::label)
        .to_string();
    let status_class = rec.sheet.map_or("none", SheetState::as_str).to_string();
    t::StationView {
        id: rec.info.id.clone(),
        anchor: crate::export::component(&rec.info.id),
        place,
        status,
        status_class,
        sources,
        rows,
        hidden,
        flags: rec.flags.iter().map(|f| f.reason.clone()).collect(),
        photos: rec
            .uploads
            .iter()
            .map(|u| {
                (
                    format!("/images/{}", u.sha256),
                    format!("sha256 {} · QR code {}", u.sha256, u.qr_status),
                )
            })
            .collect(),
        history,
        static_proof: None,
    }
}

/// `?q=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// A station id (or its start), or a unit's code or name.
    pub q: Option<String>,
}

/// Search by station code, or any level's unit code or name.
#[utoipa::path(get, path = "/search", params(SearchQuery), responses((status = 200, description = "HTML")))]
pub async fn search(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let e = err(&state);
    let q = q.q.unwrap_or_default().trim().to_string();
    let mut rows = Vec::new();
    if !q.is_empty() && q.len() <= 100 {
        if let Some(s) = state.store.station(&q).await.map_err(|x| e(x.into()))? {
            return Ok(Redirect::to(&format!("/stations/{}", s.id)).into_response());
        }
        for s in state
            .store
            .stations_with_prefix(&q, 50)
            .await
            .map_err(|x| e(x.into()))?
        {
            rows.push((
                format!("/stations/{}", s.id),
                s.id.clone(),
                vec!["station".to_string()],
            ));
        }
        let snap = state.snapshot().await.map_err(|x| e(x.into()))?;
        let lower = q.to_lowercase();
        for (li, units) in snap.dataset.units.iter().enumerate() {
            let key = &state.cfg.levels[li].key;
            for (code, name) in units.codes.iter().zip(&units.names) {
                if code == &q || name.to_lowercase().contains(&lower) {
                    rows.push((
                        format!("/units/{key}/{code}"),
                        format!("{code} {name}"),
                        vec![key.clone()],
                    ));
                }
                if rows.len() >= 100 {
                    break;
                }
            }
        }
    }
    let paragraphs = if q.is_empty() {
        vec!["Type a station code, or a unit's code or name.".into()]
    } else if rows.is_empty() {
        vec![format!("Nothing matches {q:?}.")]
    } else {
        Vec::new()
    };
    let (who, csrf) = who(&state, &w);
    Ok(render(&t::List {
        title: format!("Search {q}"),
        election: state.cfg.election.name.clone(),
        who,
        csrf,
        paragraphs,
        headers: if rows.is_empty() {
            Vec::new()
        } else {
            vec!["match".into(), "kind".into()]
        },
        rows,
    }))
}

/// The log-in form.
#[utoipa::path(get, path = "/login", responses((status = 200, description = "HTML")))]
pub async fn login_form(State(state): State<AppState>) -> Response {
    render(&t::Login {
        title: "Log in".into(),
        election: state.cfg.election.name.clone(),
        who: None,
        csrf: String::new(),
        message: String::new(),
    })
}

/// The log-in form's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    /// The token shown when it was made.
    token: String,
}

/// Log in with a token: it is kept in an HttpOnly, SameSite=Strict cookie.
#[utoipa::path(post, path = "/login", request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"), responses((status = 303, description = "logged in"), (status = 401, description = "unknown token")))]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let e = err(&state);
    same_origin(&headers).map_err(&e)?;
    let token = f.token.trim();
    let known = if token.len() <= 200 {
        state
            .store
            .witness_by_token(&crate::auth::hash(token))
            .await
            .map_err(|x| e(x.into()))?
    } else {
        None
    };
    if known.is_none() {
        let mut r = render(&t::Login {
            title: "Log in".into(),
            election: state.cfg.election.name.clone(),
            who: None,
            csrf: String::new(),
            message: "That token is not known.".into(),
        });
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    }
    let mut r = Redirect::to("/enter").into_response();
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|x| e(ApiError::BadRequest(x.to_string())))?,
    );
    Ok(r)
}

/// A form with only its CSRF field.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CsrfForm {
    /// The page's CSRF field.
    csrf: String,
}

fn need(
    state: &AppState,
    w: Option<Witness>,
    csrf: Option<&str>,
    headers: &HeaderMap,
) -> Result<Witness, PageError> {
    let e = err(state);
    let w = w.ok_or_else(|| e(ApiError::Unauthorized))?;
    if let Some(c) = csrf {
        same_origin(headers).map_err(&e)?;
        if !csrf_ok(&state.csrf_secret, &w, c) {
            return Err(e(ApiError::Forbidden(
                "the form's CSRF field is wrong: reload the page".into(),
            )));
        }
    }
    Ok(w)
}

/// Log out: the cookie is cleared.
#[utoipa::path(post, path = "/logout", request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"), security(("bearer" = [])), responses((status = 303, description = "logged out"), (status = 401, description = "not logged in")))]
pub async fn logout(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    need(&state, w, Some(&f.csrf), &headers)?;
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("tp_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(r)
}

/// `?station=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EnterQuery {
    /// The station to fill in.
    pub station: Option<String>,
}

fn entry_fields(
    state: &AppState,
    values: &BTreeMap<String, String>,
) -> Vec<(String, String, String)> {
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut f: Vec<(String, String, String)> = state
        .cfg
        .options
        .iter()
        .map(|o| {
            (
                o.key.clone(),
                o.name.clone().unwrap_or_else(|| o.key.clone()),
                v(&o.key),
            )
        })
        .collect();
    for (k, m) in mapped_extras(&state.cfg).into_iter().enumerate() {
        if m {
            f.push((
                EXTRA_NAMES[k].into(),
                EXTRA_NAMES[k].into(),
                v(EXTRA_NAMES[k]),
            ));
        }
    }
    f
}

/// The entry form (logged-in witnesses).
#[utoipa::path(get, path = "/enter", params(EnterQuery), security(("bearer" = [])), responses((status = 200, description = "HTML"), (status = 401, description = "not logged in")))]
pub async fn enter_form(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    headers: HeaderMap,
    Query(q): Query<EnterQuery>,
) -> PageResult {
    let w = need(&state, w, None, &headers)?;
    let (who, csrf) = who(&state, &Some(w));
    Ok(render(&t::Enter {
        title: "Enter a sheet".into(),
        election: state.cfg.election.name.clone(),
        who,
        csrf,
        key: hex::encode(rand::random::<[u8; 16]>()),
        station: q.station.unwrap_or_default(),
        fields: entry_fields(&state, &BTreeMap::new()),
        errors: Vec::new(),
    }))
}

/// Send the entry form.
#[utoipa::path(post, path = "/enter", security(("bearer" = [])), responses((status = 200, description = "receipt"), (status = 401, description = "not logged in"), (status = 403, description = "CSRF or scope"), (status = 422, description = "the form again, with the reasons")))]
pub async fn enter(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    headers: HeaderMap,
    Form(mut f): Form<BTreeMap<String, String>>,
) -> PageResult {
    let csrf = f.remove("csrf").unwrap_or_default();
    let w = need(&state, w, Some(&csrf), &headers)?;
    let station = f.remove("station").unwrap_or_default().trim().to_string();
    let key = f
        .remove("idempotency_key")
        .filter(|k| !k.is_empty() && k.len() <= 200);
    let (who_s, csrf) = who(&state, &Some(w.clone()));
    match super::api::submit_typed(&state, &w, &station, &f, key.clone()).await {
        Ok(r) => Ok(render(&t::Receipt {
            title: "Received".into(),
            election: state.cfg.election.name.clone(),
            who: who_s,
            csrf,
            message: super::api::message(r.sheet, r.entry_state).into(),
            status_class: r.sheet.as_str().into(),
            station,
            entry: r.entry,
            sheet: r.sheet.label().into(),
        })),
        Err(ApiError::Unprocessable(m)) => {
            let errors = m
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.join("; ")))
                .collect();
            let mut r = render(&t::Enter {
                title: "Enter a sheet".into(),
                election: state.cfg.election.name.clone(),
                who: who_s,
                csrf,
                key: key.unwrap_or_default(),
                station,
                fields: entry_fields(&state, &f),
                errors,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(x) => Err(err(&state)(x)),
    }
}

/// Send a photo from the entry page (multipart: `csrf`, `station`,
/// `photo`): the answer says at once whether its QR code was read and,
/// when it was not, asks for a close-up of the code.
#[utoipa::path(post, path = "/upload", request_body(content = crate::http::api::UploadBody, content_type = "multipart/form-data"), security(("bearer" = [])), responses((status = 201, description = "HTML receipt"), (status = 401, description = "not logged in"), (status = 403, description = "CSRF or scope"), (status = 413, description = "too large"), (status = 422, description = "not a JPEG or PNG")))]
pub async fn upload(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    req: axum::extract::Request,
) -> PageResult {
    use axum::extract::FromRequest;
    let e = err(&state);
    let headers = req.headers().clone();
    // Logged in before the body is read; the CSRF field comes with it.
    let w = need(&state, w, None, &headers)?;
    let form = axum::extract::Multipart::from_request(req, &state)
        .await
        .map_err(|x| e(ApiError::BadRequest(x.body_text())))?;
    let f = super::api::read_upload(form).await.map_err(&e)?;
    let w = need(
        &state,
        Some(w),
        Some(f.csrf.as_deref().unwrap_or("")),
        &headers,
    )?;
    let station = f.station.clone();
    let v = super::api::receive_photo(&state, &w, f.photo, f.station)
        .await
        .map_err(&e)?;
    let qr = &v["qr"];
    let text = |k: &str| qr[k].as_str().unwrap_or_default().to_string();
    let mut lines = Vec::new();
    let (status_class, read) = match qr["qr"].as_str() {
        Some("read") => {
            lines.push(format!(
                "The QR code was read: it names station {}.",
                text("station")
            ));
            match qr["entry"]["sheet"].as_str() {
                Some(sheet) => lines.push(format!(
                    "Its numbers were entered as a scan; the sheet is now {}.",
                    SheetState::parse(sheet).map_or(sheet.to_string(), |s| s.label().to_string())
                )),
                None => lines.push(format!("No entry was made from it: {}.", text("problem"))),
            }
            ("agreed", true)
        }
        Some("pending") => {
            lines.push("The photo is stored; its QR code is still being read. Look at the station's page in a minute.".into());
            ("pending", true)
        }
        _ => {
            let reason = text("reason");
            if !reason.is_empty() {
                lines.push(format!("Why: {reason}."));
            }
            lines.push(format!(
                "The photo is stored, but {}.",
                crate::upload::ADVICE
            ));
            ("in-review", false)
        }
    };
    if let Some(flag) = v["flag"].as_str() {
        lines.push(format!("Flagged: {flag}."));
    }
    let (who, csrf) = who(&state, &Some(w));
    let mut r = render(&t::Photo {
        title: "Photo received".into(),
        election: state.cfg.election.name.clone(),
        who,
        csrf,
        sha256: v["sha256"].as_str().unwrap_or_default().to_string(),
        station: station.unwrap_or_default(),
        status_class: status_class.into(),
        read,
        lines,
    });
    *r.status_mut() = StatusCode::CREATED;
    Ok(r)
}

/// The review queue, entries side by side with their differences marked.
#[utoipa::path(get, path = "/review", security(("bearer" = [])), responses((status = 200, description = "HTML"), (status = 401, description = "not logged in"), (status = 403, description = "not a reviewer")))]
pub async fn review_page(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    headers: HeaderMap,
) -> PageResult {
    let e = err(&state);
    let w = need(&state, w, None, &headers)?;
    if w.role < Role::Reviewer {
        return Err(e(ApiError::Forbidden(
            "this needs a reviewer's token".into(),
        )));
    }
    let options: Vec<String> = state.cfg.options.iter().map(|o| o.key.clone()).collect();
    let mut items = Vec::new();
    for s in state
        .store
        .review_queue(50)
        .await
        .map_err(|x| e(x.into()))?
    {
        let Some(rec) = state.store.record(&s).await.map_err(|x| e(x.into()))? else {
            continue;
        };
        let entries = &rec.entries;
        let fields = entry_fields(&state, &BTreeMap::new());
        let first = entries.first().map(|x| &x.counts);
        let differs: std::collections::HashSet<String> = entries
            .iter()
            .skip(1)
            .flat_map(|x| {
                first
                    .map(|f| f.differences(&x.counts, &options))
                    .unwrap_or_default()
            })
            .map(|d| d.field)
            .collect();
        let rows = fields
            .iter()
            .map(|(name, _, _)| {
                let vals = entries
                    .iter()
                    .map(|x| {
                        let v = match options.iter().position(|o| o == name) {
                            Some(k) => x.counts.options.get(k).copied(),
                            None => EXTRA_NAMES
                                .iter()
                                .position(|n| n == name)
                                .and_then(|k| x.counts.extras()[k]),
                        };
                        v.map_or("–".into(), int)
                    })
                    .collect();
                (name.clone(), vals, differs.contains(name))
            })
            .collect();
        let label = |x: &crate::store::EntryRow| {
            format!(
                "#{} {} {}",
                x.id,
                x.kind.as_str(),
                x.witness_name
                    .clone()
                    .or_else(|| x.origin.file.clone())
                    .unwrap_or_default()
            )
        };
        items.push(t::ReviewItem {
            station: s.clone(),
            flags: rec.flags.iter().map(|f| f.reason.clone()).collect(),
            photos: rec.uploads.iter().map(|u| u.sha256.clone()).collect(),
            // Short headers, so that two entries fit side by side on a phone.
            headers: entries
                .iter()
                .map(|x| {
                    let by = x.witness_name.clone().or_else(|| x.origin.file.clone());
                    match (x.kind, by) {
                        (SourceKind::Witness, Some(b)) => format!("#{} {b}", x.id),
                        (k, Some(b)) => format!("#{} {} {b}", x.id, k.as_str()),
                        (k, None) => format!("#{} {}", x.id, k.as_str()),
                    }
                })
                .collect(),
            rows,
            entries: entries.iter().map(|x| (x.id, label(x))).collect(),
        });
    }
    let (who, csrf) = who(&state, &Some(w));
    Ok(render(&t::Review {
        title: "Review".into(),
        election: state.cfg.election.name.clone(),
        who,
        csrf,
        items,
    }))
}

/// The decision form's fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionForm {
    /// The page's CSRF field.
    csrf: String,
    /// The entry whose numbers count.
    entry: i64,
    /// Why.
    note: String,
}

/// A reviewer's decision from the review page.
#[utoipa::path(post, path = "/review/{station}", params(("station" = String, Path, description = "station id")), request_body(content = DecisionForm, content_type = "application/x-www-form-urlencoded"), security(("bearer" = [])), responses((status = 303, description = "decided"), (status = 401, description = "not logged in"), (status = 403, description = "not a reviewer, or CSRF"), (status = 409, description = "not in review")))]
pub async fn review_decide(
    State(state): State<AppState>,
    MaybeWitness(w): MaybeWitness,
    headers: HeaderMap,
    Path(station): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let e = err(&state);
    let w = need(&state, w, Some(&f.csrf), &headers)?;
    if w.role < Role::Reviewer {
        return Err(e(ApiError::Forbidden(
            "this needs a reviewer's token".into(),
        )));
    }
    if f.note.len() > 2000 {
        return Err(e(ApiError::field("note", "longer than 2,000 bytes")));
    }
    crate::service::decide(&state, &station, w.id, f.entry, &f.note)
        .await
        .map_err(&e)?;
    Ok(Redirect::to("/review").into_response())
}

/// The stylesheet.
pub async fn style() -> Response {
    let mut r = t::STYLE.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}
