# syntax=docker/dockerfile:1
# keysweep as a GitHub container action: a static binary and the CA
# certificates it needs to reach AWS and the GitHub API; nothing else (git
# is not needed, the history is read with go-git).
#
# release.yml builds this for linux/amd64 and linux/arm64 and pushes it to
# ghcr.io/keysweep/keysweep, which action.yml runs. Locally:
#   docker build --build-arg VERSION=v1.2.3 -t keysweep .

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
      -o /keysweep ./cmd/keysweep

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /keysweep /keysweep
# The runner mounts the workspace at /github/workspace and makes it the
# working directory; the files there belong to another uid, which go-git,
# unlike git, does not refuse (no safe.directory). The action hands the
# SARIF file it writes to that uid (action.giveToWorkspaceOwner).
ENTRYPOINT ["/keysweep"]
