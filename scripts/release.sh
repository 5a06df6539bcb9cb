#!/usr/bin/env bash
# Builds everything a keysweep release publishes, into dist/, and proves it:
#
#   scripts/release.sh --dry-run   any commit (CI runs this); the version is
#                                  HEAD's release tag, else dev+<commit>
#   scripts/release.sh             a release: HEAD must be a clean vX.Y.Z tag
#                                  (.github/workflows/release.yml runs this)
#
# dist/ then holds, for linux, darwin and windows on amd64 and arm64:
#   keysweep_<version>_<os>_<arch>.tar.gz (.zip on windows)  the binary, LICENSE, README.md
#   keysweep_<version>_<os>_<arch>.cdx.json                   CycloneDX SBOM of that binary
#   SHA256SUMS                                                of all of the above
#   oci/                                                      the linux/amd64+arm64 image, an OCI
#                                                             image layout (FROM scratch, non-root)
# and every one of them is checked: the checksums, each archive's contents,
# each binary's stamped version (and that the native one prints it), each
# SBOM, the image's config (entrypoint, user, labels) and that the image's
# binary for this machine runs; and `go install …/cmd/keysweep@<version>`
# from a clean module cache, through a file:// module proxy made from this
# commit, builds a keysweep that prints that version. Nothing here needs
# Docker, a registry or the network beyond the Go module proxy.
#
# Environment: KEYSWEEP_RELEASE_JOBS (parallel builds, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
export PATH="$PATH:/usr/local/go/bin"

die() { echo "release: $*" >&2; exit 2; }
step() { echo "release: $* ($((SECONDS - start))s)"; }

dry=false
out=dist
while [ $# -gt 0 ]; do
  case "$1" in
  --dry-run) dry=true ;;
  --out) out=${2:?--out DIR}; shift ;;
  *) die "usage: scripts/release.sh [--dry-run] [--out DIR]" ;;
  esac
  shift
done
for tool in go git jq sha256sum tar unzip cmp; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done

module=github.com/keysweep/keysweep
targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)
semver='^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'

# The version: the release tag HEAD carries (exactly vX.Y.Z, compared as a
# whole string), else, in a dry run, the commit.
rev=$(git rev-parse HEAD)
tag=$(git tag --points-at HEAD | grep -E "$semver" | sort -t. -k1.2,1n -k2,2n -k3,3n | tail -n 1 || true)
dirty=""
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then dirty=-dirty; fi
if [ "$dry" = true ]; then
  if [ -n "$tag" ] && [ -z "$dirty" ]; then version=$tag; else version="dev+${rev:0:12}${dirty}"; fi
else
  [ -n "$tag" ] || die "HEAD ($rev) is no release tag vX.Y.Z; use --dry-run"
  [ -z "$dirty" ] || die "uncommitted changes; a release is built from the tagged commit only"
  # In release.yml: the tag that was pushed, compared whole (grep -x).
  if [ -n "${GITHUB_REF_NAME:-}" ]; then
    if ! [[ $GITHUB_REF_NAME =~ $semver ]] || ! git tag --points-at HEAD | grep -qxF -- "$GITHUB_REF_NAME"; then
      die "the workflow runs for $GITHUB_REF_NAME, which is no release tag of HEAD"
    fi
    tag=$GITHUB_REF_NAME
  fi
  version=$tag
fi
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct HEAD)
export SOURCE_DATE_EPOCH
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
source_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-keysweep/keysweep}"
hostplat="$(go env GOHOSTOS)/$(go env GOHOSTARCH)"
step "keysweep $version from $rev"

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
cleanup() {
  # go install leaves its module cache read-only.
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step "building releasetool"
go build -C scripts/releasetool -o "$work/releasetool" .
rt="$work/releasetool"

# One build per target. -trimpath and a stamped version: the same commit
# gives the same binary wherever it is built; CGO off: static binaries. No
# VCS stamping: the version and the image's revision label name the commit,
# and git may refuse a checkout owned by another user (CI runs as root).
build() { # OS/ARCH
  local os=${1%/*} arch=${1#*/} ext=""
  [ "$os" = windows ] && ext=.exe
  mkdir -p "$work/$os-$arch"
  GOOS=$os GOARCH=$arch CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build -trimpath -ldflags "-s -w -X $module/version.stamped=$version" \
    -o "$work/$os-$arch/keysweep$ext" ./cmd/keysweep
}
step "building ${#targets[@]} binaries (${KEYSWEEP_RELEASE_JOBS:-2} at a time)"
pids=()
failed=0
for t in "${targets[@]}"; do
  build "$t" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "${KEYSWEEP_RELEASE_JOBS:-2}" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" = 0 ] || die "a build failed"

step "archives and SBOMs"
for t in "${targets[@]}"; do
  os=${t%/*} arch=${t#*/} ext="" kind=tar.gz
  [ "$os" = windows ] && ext=.exe kind=zip
  base="keysweep_${version}_${os}_${arch}"
  "$rt" archive "$out/$base.$kind" "keysweep$ext=$work/$os-$arch/keysweep$ext" "LICENSE=LICENSE" "README.md=README.md"
  "$rt" sbom -o "$out/$base.cdx.json" -version "$version" -created "$created" "$work/$os-$arch/keysweep$ext"
done
(cd "$out" && sha256sum keysweep_* >SHA256SUMS)

step "image (OCI layout)"
"$rt" image -o "$out/oci" -version "$version" -revision "$rev" -source "$source_url" -created "$created" \
  "linux/amd64=$work/linux-amd64/keysweep" "linux/arm64=$work/linux-arm64/keysweep"

# ---- verification: everything above, as a user would meet it ----

step "verify: checksums"
(cd "$out" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS does not match dist/"
[ "$(wc -l <"$out/SHA256SUMS")" -eq $((2 * ${#targets[@]})) ] || die "SHA256SUMS has $(wc -l <"$out/SHA256SUMS") lines, want $((2 * ${#targets[@]}))"

step "verify: archives, binaries, SBOMs"
for t in "${targets[@]}"; do
  os=${t%/*} arch=${t#*/} ext="" kind=tar.gz
  [ "$os" = windows ] && ext=.exe kind=zip
  base="keysweep_${version}_${os}_${arch}"
  x="$work/x-$os-$arch"
  mkdir -p "$x"
  if [ "$kind" = zip ]; then
    list=$(unzip -Z1 "$out/$base.zip" | sort | tr '\n' ' ')
    unzip -q "$out/$base.zip" -d "$x"
  else
    list=$(tar -tzf "$out/$base.tar.gz" | sort | tr '\n' ' ')
    tar -xzf "$out/$base.tar.gz" -C "$x"
  fi
  want=$(printf '%s\n' LICENSE README.md "keysweep$ext" | sort | tr '\n' ' ')
  [ "$list" = "$want" ] || die "$base.$kind holds [$list], want [$want]"
  for f in LICENSE README.md; do
    cmp -s "$x/$f" "$f" || die "$base.$kind: $f differs from the commit's"
  done
  [ -x "$x/keysweep$ext" ] || die "$base.$kind: keysweep$ext is not executable"
  # The build as recorded in the binary: target, static, trimmed. A
  # -trimpath build does not record its -ldflags; the stamped version is a
  # string in the binary (and the native one prints it, below).
  info=$(go version -m "$x/keysweep$ext")
  for want in "GOOS=$os" "GOARCH=$arch" "CGO_ENABLED=0" "-trimpath=true"; do
    grep -qF -- "$want" <<<"$info" || die "$base: the binary's build information lacks $want"
  done
  grep -qaF -- "$version" "$x/keysweep$ext" || die "$base: the binary does not hold its version $version"
  if [ "$t" = "$hostplat" ]; then
    got=$("$x/keysweep$ext" version)
    [ "$got" = "keysweep $version" ] || die "$base: keysweep version prints \"$got\", want \"keysweep $version\""
    native="$x/keysweep$ext"
  fi
  jq -e --arg v "$version" --arg m "$module" '
    .bomFormat == "CycloneDX" and .metadata.component.name == $m and .metadata.component.version == $v
    and ([.components[].name] | index("github.com/go-git/go-git/v5") != null and index("std") != null)
    and ([.components[] | select(.name != "std" and (.properties // [] | map(.name) | index("go:module:sum") == null))] | length == 0)
  ' "$out/$base.cdx.json" >/dev/null || die "$base.cdx.json is not the SBOM of keysweep $version with its modules"
done
[ -n "${native:-}" ] || step "no release binary for $hostplat: ran none of them"

step "verify: image"
plat=$hostplat
case $plat in linux/amd64 | linux/arm64) ;; *) plat=linux/amd64 ;; esac
"$rt" inspect -layout "$out/oci" -extract "$plat=$work/image-keysweep" >"$work/image.json"
jq -e --arg v "$version" --arg r "$rev" --arg s "$source_url" '
  .mediaType == "application/vnd.oci.image.index.v1+json"
  and (.platforms | keys) == ["linux/amd64", "linux/arm64"]
  and ([.platforms[] |
        .entrypoint == ["/keysweep"] and .user == "65532:65532"
        and .labels["org.opencontainers.image.version"] == $v
        and .labels["org.opencontainers.image.revision"] == $r
        and .labels["org.opencontainers.image.source"] == $s
        and .labels["org.opencontainers.image.licenses"] == "Apache-2.0"
        and (.files | index("etc/ssl/certs/ca-certificates.crt 644 0:0") != null)
        and (.files | index("keysweep 755 0:0") != null)
        and (.files | index("tmp 1777 0:0") != null)
      ] | all)
' "$work/image.json" >/dev/null || { cat "$work/image.json"; die "the image's config is not what release.sh builds"; }
cmp -s "$work/image-keysweep" "$work/${plat/\//-}/keysweep" || die "the image's $plat /keysweep is not the release binary"
if [ "$plat" = "$hostplat" ]; then
  got=$("$work/image-keysweep" version)
  [ "$got" = "keysweep $version" ] || die "the image's binary prints \"$got\", want \"keysweep $version\""
  # It works as an image would run it: TLS roots from the image, not the host.
  step "image's $plat binary runs: $got"
fi
step "image $(jq -r .digest "$work/image.json")"

# go install …@version from a clean module cache. The module as the proxy
# would serve this commit (the tag, or a pseudo-version for a dry run) is
# laid out in a file:// proxy; the dependencies come from the module
# cache's download directory, itself a proxy layout; nothing from the
# network. -trimpath and CGO_ENABLED=0 only so the dependencies' compiled
# packages are the release builds' (the build cache), not to change what
# a user's go install builds.
step "verify: go install $module/cmd/keysweep@version from a clean module cache"
if [ -n "$tag" ] && [ -z "$dirty" ]; then
  modversion=$tag
else
  modversion="v0.0.0-$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S)-${rev:0:12}"
fi
mkdir -p "$work/src"
git archive HEAD | tar -x -C "$work/src"
"$rt" modproxy -o "$work/proxy" -module "$module" -version "$modversion" -created "$created" "$work/src"
cache_download="$(go env GOMODCACHE)/cache/download"
# GOSUMDB=off: the proxy's copies are this machine's module cache, checked
# against go.sum when they were downloaded; the checksum database is not
# reachable offline (and this commit's module is in none).
GOMODCACHE="$work/modcache" GOPROXY="file://$work/proxy,file://$cache_download" GOSUMDB=off \
  GOFLAGS="-mod=mod -trimpath" GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$work/gobin" \
  go install "$module/cmd/keysweep@$modversion" || die "go install $module/cmd/keysweep@$modversion failed"
got=$("$work/gobin/keysweep" version)
[ "$got" = "keysweep $modversion" ] || die "go install's keysweep prints \"$got\", want \"keysweep $modversion\""

step "done: keysweep $version in $out ($(du -sh "$out" | cut -f1))"
