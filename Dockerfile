# syntax=docker/dockerfile:1
#
# Stoa container image. Build:   docker build -t stoa .
# Run (single node, SQLite):     docker run -p 8080:8080 -v stoa-data:/var/lib/stoa stoa
# Several nodes behind a proxy:  see docker-compose.yml

# ---- build ------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder

# Already in the rust:*-bookworm image; listed so the build says what it needs
# (openssl-sys for the bundled libpq). A no-op when present.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN cargo build --release --locked -p stoa

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system stoa \
    && useradd --system --gid stoa --home-dir /var/lib/stoa --shell /usr/sbin/nologin stoa \
    && mkdir -p /var/lib/stoa \
    && chown stoa:stoa /var/lib/stoa

COPY --from=builder /app/target/release/stoa /usr/local/bin/stoa

USER stoa
WORKDIR /var/lib/stoa

ENV STOA_BIND=0.0.0.0:8080 \
    STOA_DATA_DIR=/var/lib/stoa

EXPOSE 8080

# No HEALTHCHECK: the slim image has no curl/wget. The proxy (or orchestrator)
# checks /readyz from outside instead.

ENTRYPOINT ["stoa"]
CMD ["serve"]
