//! One span per request, naming the route pattern (`/reset-password/{token}`), never the path
//! itself: paths carry single-use secrets, and logs are read by more people than the database.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::RootSpanBuilder;

/// Builds the request spans for `tracing_actix_web::TracingLogger`.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        tracing::info_span!("request", http.method = %request.method(), http.route = Empty, http.status = Empty)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if let Ok(response) = outcome {
            let route = response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "(no route)".to_owned());
            span.record("http.route", route.as_str());
            span.record("http.status", response.status().as_u16());
            tracing::debug!(parent: &span, "{} {} {}", response.request().method(), route, response.status().as_u16());
        }
    }
}
