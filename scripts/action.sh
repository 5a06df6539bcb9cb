#!/usr/bin/env bash
# The entry of the composite action (action.yml): decides how this ref of
# the action gets its keysweep binary, and gets it.
#
#   action.sh plan     mode=release|source and version= for the next steps
#   action.sh install  bin= the verified binary (release) or the one built
#                      from this ref's own source (source; setup-go has run)
#
# A release ref is a tag vX.Y.Z, or a major tag (v1) or commit SHA that
# points at the same commit as one: the action downloads that release's
# archive for the runner's OS and architecture, checks it against
# SHA256SUMS, checks SHA256SUMS's keyless cosign signature when cosign is
# on PATH, and refuses a binary whose `keysweep version` is not the
# release's. Any other ref (a branch, an unreleased SHA, `uses: ./`) is
# built from its own source, the files the runner fetched for this very
# ref, so what runs is always the code of the ref the workflow names.
#
# Runs under bash on Linux, macOS and Windows runners (Git Bash) and on
# self-hosted runners; needs curl and sha256sum or shasum for a release,
# git to resolve a major tag or SHA (without git such a ref is built).
#
# Environment (action.yml sets the first three from the github context,
# which composite steps see only through env:):
#   KEYSWEEP_ACTION_REF, KEYSWEEP_ACTION_REPOSITORY, KEYSWEEP_ACTION_PATH
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_SERVER_URL
#   KEYSWEEP_FROM_SOURCE=true      build from source whatever the ref
#   KEYSWEEP_REQUIRE_SIGNATURE=true refuse a release when cosign is missing
#   KEYSWEEP_RELEASE_BASE_URL      where releases are downloaded from
#                                  (default SERVER/OWNER/REPO/releases/download)
#   KEYSWEEP_REPOSITORY_URL        where git ls-remote reads tags from
#                                  (default SERVER/OWNER/REPO)
set -euo pipefail

die() { echo "::error title=keysweep action::$*" >&2; exit 2; }
note() { echo "::notice title=keysweep action::$*"; }
output() { echo "$1=$2" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this as a step of the action}"; }

# unixpath turns a Windows path (D:\a\_actions\…) into the one Git Bash
# uses; elsewhere it is the path as given.
unixpath() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s\n' "$1"; fi
}

action_path=$(unixpath "${KEYSWEEP_ACTION_PATH:-$(dirname "$0")/..}")
ref=${KEYSWEEP_ACTION_REF:-}
repository=${KEYSWEEP_ACTION_REPOSITORY:-}
# The runner fetches an action to _actions/OWNER/REPO/REF: where the context
# is empty (composite actions inside composite actions), the path says it.
case "$action_path" in
*/_actions/*/*/*)
  [ -n "$ref" ] || ref=$(basename "$action_path")
  [ -n "$repository" ] || repository=$(basename "$(dirname "$(dirname "$action_path")")")/$(basename "$(dirname "$action_path")")
  ;;
esac
server=${GITHUB_SERVER_URL:-https://github.com}

semver='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'

# platform prints the release's GOOS_GOARCH for this runner, or fails.
platform() {
  local os arch
  case "${RUNNER_OS:-}" in
  Linux) os=linux ;; macOS) os=darwin ;; Windows) os=windows ;; *) return 1 ;;
  esac
  case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 ;; ARM64) arch=arm64 ;; *) return 1 ;;
  esac
  echo "${os}_${arch}"
}

# release_at prints the highest release tag vX.Y.Z that points at the same
# commit as REF (a major tag like v1, or a commit SHA), or nothing.
release_at() {
  local want=$1 url=${KEYSWEEP_REPOSITORY_URL:-$server/$repository} refs
  command -v git >/dev/null 2>&1 || return 0
  refs=$(GIT_TERMINAL_PROMPT=0 git ls-remote --tags "$url" 2>/dev/null) || return 0
  # ls-remote prints "SHA refs/tags/NAME" and, for an annotated tag, also
  # "SHA refs/tags/NAME^{}" with the commit it points at, which wins.
  printf '%s\n' "$refs" | awk -v want="$want" '
    { name = $2; sub(/^refs\/tags\//, "", name); peeled = sub(/\^\{\}$/, "", name)
      if (peeled || !(name in commit)) commit[name] = $1 }
    END {
      target = want
      if (want !~ /^[0-9a-f]+$/) { if (!(want in commit)) exit; target = commit[want] }
      for (name in commit) if (commit[name] == target && name ~ /^v[0-9]+\.[0-9]+\.[0-9]+$/) print name
    }' | sort -t. -k1.2,1n -k2,2n -k3,3n | tail -n 1
}

plan() {
  local version="" mode=source
  if [ "${KEYSWEEP_FROM_SOURCE:-}" = true ]; then
    :
  elif ! platform >/dev/null; then
    note "no release archive for ${RUNNER_OS:-this OS} on ${RUNNER_ARCH:-this architecture}: building keysweep from source"
  elif [[ $ref =~ $semver ]]; then
    mode=release version=$ref
  elif [[ $ref =~ ^v[0-9]+(\.[0-9]+)?$ || $ref =~ ^[0-9a-f]{40}$ ]] && [ -n "$repository" ]; then
    version=$(release_at "$ref")
    if [ -n "$version" ]; then mode=release; fi
  fi
  if [ "$mode" = source ]; then
    # What `keysweep version` prints for a build of this ref: the commit or
    # branch it names, never a bare "dev".
    local name=${ref:-local}
    if [[ $name =~ ^[0-9a-f]{40}$ ]]; then name=${name:0:12}; fi
    version="dev+$(printf '%s' "$name" | tr -c 'A-Za-z0-9._-' '-')"
  fi
  echo "keysweep ${version} (${mode}) for ${repository:-the local action}@${ref:-(local)}"
  output mode "$mode"
  output version "$version"
}

# sha256 prints the SHA-256 of a file in hex.
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | awk '{print $1}'
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | awk '{print $1}'
  else die "neither sha256sum nor shasum is installed: cannot verify the download"
  fi
}

fetch() { # URL FILE
  curl -fsSL --retry 3 --connect-timeout 20 --max-time 300 -o "$2" "$1" || die "could not download $1"
}

install_release() {
  local version=$1 plat ext=tar.gz exe="" base dir archive want got
  [[ $version =~ $semver ]] || die "not a release version: $version"
  plat=$(platform) || die "no release archive for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
  case $plat in windows_*) ext=zip exe=.exe ;; esac
  base=${KEYSWEEP_RELEASE_BASE_URL:-$server/$repository/releases/download}
  dir=$(unixpath "${RUNNER_TEMP:?RUNNER_TEMP is not set}")/keysweep-$version
  rm -rf "$dir" && mkdir -p "$dir"
  archive="keysweep_${version}_${plat}.${ext}"

  fetch "$base/$version/SHA256SUMS" "$dir/SHA256SUMS"
  if command -v cosign >/dev/null 2>&1; then
    fetch "$base/$version/SHA256SUMS.sigstore.json" "$dir/SHA256SUMS.sigstore.json"
    # Keyless: the certificate must be the release workflow's, run for this tag.
    cosign verify-blob --bundle "$dir/SHA256SUMS.sigstore.json" \
      --certificate-identity "$server/$repository/.github/workflows/release.yml@refs/tags/$version" \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com \
      "$dir/SHA256SUMS" >&2 || die "the signature of SHA256SUMS of $version does not verify: refusing to run the download"
  elif [ "${KEYSWEEP_REQUIRE_SIGNATURE:-}" = true ]; then
    die "KEYSWEEP_REQUIRE_SIGNATURE is true but cosign is not installed (add sigstore/cosign-installer before this step)"
  else
    note "cosign is not installed: checked the download against the release's SHA256SUMS only, not its signature (docs/github-action.md, Verification)"
  fi

  fetch "$base/$version/$archive" "$dir/$archive"
  # The line for exactly this file; sha256sum marks binary mode with '*'.
  want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$dir/SHA256SUMS")
  [ -n "$want" ] || die "SHA256SUMS of $version has no line for $archive"
  got=$(sha256 "$dir/$archive")
  [ "$got" = "$want" ] || die "checksum mismatch for $archive: SHA256SUMS says $want, the download is $got; refusing to run it"

  mkdir "$dir/bin"
  if [ "$ext" = zip ]; then
    if command -v unzip >/dev/null 2>&1; then unzip -q "$dir/$archive" "keysweep$exe" -d "$dir/bin"
    else tar -xf "$dir/$archive" -C "$dir/bin" "keysweep$exe"
    fi
  else
    tar -xzf "$dir/$archive" -C "$dir/bin" "keysweep$exe"
  fi || die "$archive has no keysweep$exe"
  check_version "$dir/bin/keysweep$exe" "$version"
  output bin "$dir/bin/keysweep$exe"
}

install_source() {
  local version=$1 dir exe=""
  command -v go >/dev/null 2>&1 || die "go is not installed: the source build needs actions/setup-go, which action.yml runs"
  case "${RUNNER_OS:-}" in Windows) exe=.exe ;; esac
  dir=$(unixpath "${RUNNER_TEMP:?RUNNER_TEMP is not set}")/keysweep-src
  rm -rf "$dir" && mkdir -p "$dir"
  echo "building keysweep $version from $action_path"
  (cd "$action_path" && GOFLAGS="-mod=readonly -buildvcs=false" go build \
    -ldflags "-s -w -X github.com/keysweep/keysweep/version.stamped=$version" \
    -o "$dir/keysweep$exe" ./cmd/keysweep) || die "could not build keysweep from $action_path"
  check_version "$dir/keysweep$exe" "$version"
  output bin "$dir/keysweep$exe"
}

# check_version refuses a binary that is not the version it should be.
check_version() { # BIN VERSION
  local got
  got=$("$1" version 2>/dev/null) || die "$1 does not run on this runner"
  [ "$got" = "keysweep $2" ] || die "the binary says \"$got\", expected keysweep $2: refusing to run it"
  echo "$got"
}

case "${1:-}" in
plan) plan ;;
install)
  case "${KEYSWEEP_MODE:-}" in
  release) install_release "${KEYSWEEP_VERSION:-}" ;;
  source) install_source "${KEYSWEEP_VERSION:-}" ;;
  *) die "KEYSWEEP_MODE must be release or source (from the plan step), not '${KEYSWEEP_MODE:-}'" ;;
  esac
  ;;
*) die "usage: action.sh plan|install" ;;
esac
