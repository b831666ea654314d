//! Static files, embedded in the binary. The stylesheet's URL carries a hash of its content,
//! so browsers may keep it for a year and still see a new version at once.

use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

const STYLE_CSS: &str = include_str!("../../../static/style.css");

static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLE_CSS.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/static/style.css?v={short}")
});

/// The stylesheet's versioned URL.
pub fn stylesheet_url() -> &'static str {
    STYLESHEET_URL.as_str()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/style.css", web::get().to(stylesheet));
}

async fn stylesheet(req: HttpRequest) -> HttpResponse {
    let versioned =
        req.query_string().starts_with("v=") && stylesheet_url().ends_with(req.query_string());
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((CACHE_CONTROL, cache))
        .body(STYLE_CSS)
}
