# syntax=docker/dockerfile:1
# Build: docker build --build-arg VERSION=1.2.3 --build-arg REVISION=$(git rev-parse HEAD) -t taikai .
# Run:   docker run -p 8080:8080 -e LINE_CHANNEL_SECRET=… -e LINE_CHANNEL_ACCESS_TOKEN=… -e REDIS_URL=redis://redis:6379/0 taikai
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
# The same script CI builds with (VERSION and REVISION reach it as build args).
RUN .ci/build /out/taikai

# Static, no shell, runs as the distroless "nonroot" user (65532), numeric
# so that Kubernetes' runAsNonRoot can verify it.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="taikai" \
      org.opencontainers.image.description="LINE bot that helps marketplace users withdraw their account" \
      org.opencontainers.image.source="https://github.com/taikaibot/taikai" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/taikai /taikai
EXPOSE 8080
USER 65532:65532
# The binary checks itself: there is no shell or curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/taikai", "healthcheck"]
ENTRYPOINT ["/taikai"]
CMD ["serve"]
