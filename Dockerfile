# syntax=docker/dockerfile:1

# ---- build ---------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS builder
WORKDIR /build

# Dependencies first, against a dummy crate, so that this layer is cached
# until Cargo.toml or Cargo.lock change. (TLS is rustls, SQLite is bundled:
# the image's gcc is all the native tooling needed; no pkg-config/OpenSSL.)
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

COPY src src
COPY views views
COPY migrations migrations
COPY assets assets
# The dummy crate's build must not be mistaken for the real one.
RUN rm -rf target/release/.fingerprint/ferrocrm-* \
        target/release/deps/ferrocrm-* target/release/deps/libferrocrm-* \
    && touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && install -m 0755 target/release/ferrocrm /usr/local/bin/ferrocrm

# ---- runtime -------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 ferrocrm \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin ferrocrm \
    && mkdir -p /data \
    && chown ferrocrm:ferrocrm /data \
    && chmod 0750 /data

COPY --from=builder /usr/local/bin/ferrocrm /usr/local/bin/ferrocrm

ENV FERROCRM_DATA_DIR=/data \
    FERROCRM_BIND=0.0.0.0:8000
# Declared after the chown so a fresh volume starts out owned by ferrocrm.
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/local/bin/ferrocrm", "healthcheck"]

USER ferrocrm
ENTRYPOINT ["/usr/local/bin/ferrocrm"]
CMD ["serve"]
