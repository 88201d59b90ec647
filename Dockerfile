# syntax=docker/dockerfile:1
# Build: docker build -t taikai .
# Run:   docker run -p 8080:8080 -e LINE_CHANNEL_SECRET=… -e LINE_CHANNEL_ACCESS_TOKEN=… -e REDIS_URL=redis://redis:6379/0 taikai
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/taikai ./cmd/taikai

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/taikai /taikai
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/taikai"]
CMD ["serve"]
