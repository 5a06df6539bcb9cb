# syntax=docker/dockerfile:1
# keysweep as a GitHub container action: a static binary and the CA
# certificates it needs to reach AWS and the GitHub API; nothing else (git
# is not needed, the history is read with go-git).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /keysweep ./cmd/keysweep

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /keysweep /keysweep
# The runner mounts the workspace at /github/workspace and makes it the
# working directory; the files there belong to another uid, which go-git,
# unlike git, does not refuse (no safe.directory).
ENTRYPOINT ["/keysweep"]
