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
