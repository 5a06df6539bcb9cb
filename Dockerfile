# syntax=docker/dockerfile:1
# keysweep's container image, built locally with Docker:
#   docker build --build-arg VERSION=dev -t keysweep .
#   docker run --rm -v "$PWD:/repo" -w /repo keysweep scan .
#
# The published image (ghcr.io/keysweep/keysweep) is not built from this
# file: scripts/release.sh writes it, without Docker, from the release's
# own binaries (scripts/releasetool). Both give the same layout: a static
# binary at /keysweep, the CA certificates it needs to reach AWS and the
# GitHub API, /etc/passwd with the non-root user it runs as (65532), /tmp.

# The build stage runs on the builder's own platform and cross-compiles:
# no emulation, the same toolchain for every target.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
ARG VERSION=""
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/keysweep/keysweep/version.stamped=${VERSION}" \
      -o /keysweep ./cmd/keysweep && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >/passwd && \
    printf 'root:x:0:\nnonroot:x:65532:\n' >/group && \
    mkdir -p /rootfs/tmp /rootfs/home/nonroot && chmod 1777 /rootfs/tmp && chown 65532:65532 /rootfs/home/nonroot

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /passwd /etc/passwd
COPY --from=build /group /etc/group
COPY --from=build /rootfs/ /
COPY --from=build /keysweep /keysweep
LABEL org.opencontainers.image.title=keysweep \
      org.opencontainers.image.licenses=Apache-2.0 \
      org.opencontainers.image.source=https://github.com/keysweep/keysweep
ENV HOME=/home/nonroot
USER 65532:65532
ENTRYPOINT ["/keysweep"]
