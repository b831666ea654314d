//! Static files, embedded in the binary. Each URL carries a hash of the file's content, so
//! browsers may keep it for a year and still see a new version at once.

use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

/// An embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 2] = [
    Asset {
        path: "/static/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../static/style.css"),
    },
    Asset {
        path: "/static/stoa.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../static/stoa.js"),
    },
];

/// `?v=<hash>` for each asset, in the order of `ASSETS`.
static VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = Sha256::digest(a.body.as_bytes());
            let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
            format!("v={short}")
        })
        .collect()
});

static URLS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .zip(VERSIONS.iter())
        .map(|(a, v)| format!("{}?{v}", a.path))
        .collect()
});

/// The stylesheet's versioned URL.
pub fn stylesheet_url() -> &'static str {
    URLS[0].as_str()
}

/// The script's versioned URL.
pub fn script_url() -> &'static str {
    URLS[1].as_str()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    for (index, asset) in ASSETS.iter().enumerate() {
        cfg.route(
            asset.path,
            web::get().to(move |req: HttpRequest| serve(index, req)),
        );
    }
}

async fn serve(index: usize, req: HttpRequest) -> HttpResponse {
    let asset = &ASSETS[index];
    let versioned = req.query_string() == VERSIONS[index];
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, asset.content_type))
        .insert_header((CACHE_CONTROL, cache))
        .body(asset.body)
}

/// Files the operator puts in `<data_dir>/public/` (`robots.txt`, a logo, a site-verification
/// file), served at `/<file name>` from memory. Read once at start: a changed file shows
/// after a restart. Built-in routes win over a file of the same name.
#[derive(Debug, Clone, Default)]
pub struct PublicFiles(std::sync::Arc<Vec<PublicFile>>);

#[derive(Debug)]
struct PublicFile {
    path: String,
    content_type: &'static str,
    body: web::Bytes,
}

/// Larger files are left out (with a warning): this is for small files, not downloads.
const MAX_PUBLIC_FILE: u64 = 16 * 1024 * 1024;

impl PublicFiles {
    /// Reads the regular files directly in `dir`; none when `dir` does not exist.
    pub fn load(dir: &std::path::Path) -> std::io::Result<PublicFiles> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PublicFiles::default()),
            Err(e) => return Err(e),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            let servable = name.contains('.')
                && !name.starts_with('.')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !meta.is_file() || !servable {
                continue;
            }
            if meta.len() > MAX_PUBLIC_FILE {
                tracing::warn!(file = %name, "public file over 16 MiB left out");
                continue;
            }
            files.push(PublicFile {
                content_type: content_type_of(&name),
                body: web::Bytes::from(std::fs::read(entry.path())?),
                path: format!("/{name}"),
            });
        }
        Ok(PublicFiles(std::sync::Arc::new(files)))
    }

    /// How many files are served.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One route per file.
    pub fn routes(&self, cfg: &mut web::ServiceConfig) {
        for index in 0..self.0.len() {
            let files = self.clone();
            cfg.route(
                &self.0[index].path,
                web::get().to(move || {
                    let file = &files.0[index];
                    let response = HttpResponse::Ok()
                        .insert_header((CONTENT_TYPE, file.content_type))
                        .insert_header((CACHE_CONTROL, "public, max-age=300"))
                        .body(file.body.clone());
                    async move { response }
                }),
            );
        }
    }
}

fn content_type_of(name: &str) -> &'static str {
    let extension = name.rsplit('.').next().unwrap_or_default();
    match extension.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}
