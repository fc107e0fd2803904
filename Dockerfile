# One image with every binary: each compose service runs one of them (a subgraph, or the
# router). Multi-stage: the toolchain stays in the build stage.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# Extra cargo features, e.g. `--build-arg FEATURES=media/cloud` for S3/Azure/GCS image storage.
ARG FEATURES=""
RUN cargo build --release --locked --workspace --bins --features "$FEATURES" \
 && mkdir /out \
 && cp target/release/accounts target/release/catalog target/release/inventory target/release/reviews target/release/media target/release/cart target/release/discounts target/release/orders target/release/payments target/release/shipping target/release/webhooks target/release/audit target/release/notifications target/release/livestream target/release/router target/release/shop /out/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 shop \
 && mkdir -p /var/lib/shop && chown shop /var/lib/shop
COPY --from=build /out/ /usr/local/bin/
USER shop
ENV LOG_FORMAT=json
