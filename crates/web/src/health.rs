//! Probes for load balancers and orchestrators.

use actix_web::{HttpResponse, web};

use crate::{AppError, AppState};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(live))
        .route("/readyz", web::get().to(ready));
}

/// The process answers.
async fn live() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The process answers and its database does too.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    use stoa_db::diesel::connection::SimpleConnection;
    let reachable = state
        .db
        .run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|e| AppError::from(stoa_db::Error::from(e)))
        })
        .await;
    match reachable {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unreachable")
        }
    }
}
