# The Zendesk example bridge as a container image.
#
#   docker build -t zendesk-bridge .
#   docker run -p 8080:8080 -e BRIDGE_TOKEN=… zendesk-bridge
#
# Build stage: the release binary, with the dependency versions of Cargo.lock. Checked without a container engine by
# scripts/check-image.sh (the binary alone in a root filesystem like the runtime stage's, as its user).
FROM docker.io/library/rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --example zendesk \
    && install -D -m 0755 target/release/examples/zendesk /out/zendesk

# Runtime stage: glibc and libgcc only (no shell, no package manager), a non-root user (65532). TLS roots are in the
# binary (rustls with webpki-roots), so no CA bundle is needed.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/zendesk /usr/local/bin/zendesk
USER 65532:65532
# The bridge listens on 0.0.0.0:$PORT (BRIDGE_ADDR, when set, wins); GET /metrics on BRIDGE_METRICS_ADDR.
ENV PORT=8080 \
    BRIDGE_METRICS_ADDR=0.0.0.0:9090 \
    BRIDGE_LOG_FORMAT=json
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/usr/local/bin/zendesk", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/zendesk"]
