#!/usr/bin/env bash
# Times a full-history keysweep scan against git's own fastest object dump
# (and gitleaks, when installed) on one repository, in one run, and prints a
# markdown table with wall time, peak RSS and the ratio to `git cat-file`.
#
# usage: scripts/bench.sh REPO [options]
#   -n N                 best of N runs per command (default 2)
#   --scan-runs N        best of N for the full keysweep and gitleaks scans
#                        (default: -n); 1 saves minutes on slow engines
#   --since REV          also time a pull-request style scan of REV..HEAD
#                        (default HEAD~20; "none" skips it)
#   --no-blobs           skip the blobs-only cat-file line
#   --no-gitleaks        skip gitleaks even if installed
#   --report FILE        keep keysweep's JSON report of the full scan
#   --rev REV            build keysweep from commit REV of this checkout
#                        (default: the work tree as it is)
#
# KEYSWEEP=/path/to/binary measures that binary instead of building one.
# Needs git, go and, for peak RSS, GNU time at /usr/bin/time. gitleaks is
# found on PATH or at $GITLEAKS.
set -euo pipefail

usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

[[ $# -ge 1 && $1 != -* ]] || usage
repo=$(cd "$1" && pwd)
shift
runs=2 scan_runs='' since=HEAD~20 blobs=1 use_gitleaks=1 report='' rev=''
while [[ $# -gt 0 ]]; do
	case $1 in
	-n) runs=$2; shift ;;
	--scan-runs) scan_runs=$2; shift ;;
	--since) since=$2; shift ;;
	--no-blobs) blobs=0 ;;
	--no-gitleaks) use_gitleaks=0 ;;
	--report) report=$2; shift ;;
	--rev) rev=$2; shift ;;
	-h | --help) usage ;;
	*) echo "bench.sh: unknown option $1" >&2; usage ;;
	esac
	shift
done
scan_runs=${scan_runs:-$runs}
if [[ -n $report ]]; then
	report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
fi

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gnu_time=/usr/bin/time
if ! [[ -x $gnu_time ]] || ! "$gnu_time" -f '%e %M' -o /dev/null true 2>/dev/null; then
	gnu_time=''
	echo "bench.sh: GNU time not found at /usr/bin/time: peak RSS unknown (apt-get install time)" >&2
fi

# Build once, so that compile time is never measured.
keysweep=$tmp/keysweep
if [[ -n ${KEYSWEEP:-} ]]; then
	keysweep=$KEYSWEEP keysweep_rev=$KEYSWEEP
elif [[ -n $rev ]]; then
	# An export, not a worktree: nothing is written to this repository.
	mkdir "$tmp/src"
	git -C "$root" archive "$rev" | tar -x -C "$tmp/src"
	(cd "$tmp/src" && go build -o "$keysweep" ./cmd/keysweep)
	keysweep_rev=$(git -C "$root" rev-parse --short "$rev^{commit}")
else
	(cd "$root" && go build -o "$keysweep" ./cmd/keysweep)
	keysweep_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [[ -n $(git -C "$root" status --porcelain 2>/dev/null) ]]; then
		keysweep_rev+=" plus uncommitted changes"
	fi
fi

gitleaks=${GITLEAKS:-$(command -v gitleaks || true)}
gitleaks_version=''
if [[ $use_gitleaks == 1 && -n $gitleaks ]]; then
	# Builds from `go install` print no version; the module version is in
	# the binary's build info.
	gitleaks_version=$(go version -m "$gitleaks" 2>/dev/null | awk '$1 == "mod" { print $3 }')
	[[ -n $gitleaks_version ]] || gitleaks_version=$("$gitleaks" version 2>/dev/null || echo unknown)
else
	gitleaks=''
fi

labels=() walls=() rsss=()

# measure LABEL RUNS CMD...: runs CMD RUNS times and records the fastest
# wall time and that run's peak RSS. Stdout goes to /dev/null, as issue 6
# measures git cat-file (a file would add gigabytes of disk writes to it);
# only with KEEP_STDOUT=1 is it kept, for keysweep's report.
measure() {
	local label=$1 n=$2 best='' best_rss='' i wall rss out=/dev/null
	shift 2
	[[ ${KEEP_STDOUT:-} == 1 ]] && out=$tmp/out
	echo "bench.sh: $label (best of $n)" >&2
	for ((i = 0; i < n; i++)); do
		if [[ -n $gnu_time ]]; then
			if ! "$gnu_time" -f '%e %M' -o "$tmp/time" "$@" >"$out" 2>"$tmp/err"; then
				echo "bench.sh: failed: $*" >&2
				tail -n 5 "$tmp/err" >&2
				labels+=("$label") walls+=(failed) rsss+=('')
				return
			fi
			read -r wall rss <"$tmp/time"
		else
			if ! { TIMEFORMAT=%R; time "$@" >"$out" 2>"$tmp/err"; } 2>"$tmp/time"; then
				echo "bench.sh: failed: $*" >&2
				tail -n 5 "$tmp/err" >&2
				labels+=("$label") walls+=(failed) rsss+=('')
				return
			fi
			wall=$(tail -n 1 "$tmp/time") rss=''
		fi
		echo "bench.sh:   run $((i + 1)): ${wall}s${rss:+, ${rss} KB}" >&2
		if [[ -z $best ]] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$wall best_rss=$rss
			[[ $out == /dev/null ]] || cp "$out" "$tmp/best.out"
		fi
	done
	labels+=("$label") walls+=("$best") rsss+=("$best_rss")
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

measure '`git cat-file --batch-all-objects --batch --unordered`' "$runs" \
	git -C "$repo" cat-file --batch-all-objects --batch --unordered

if [[ $blobs == 1 ]]; then
	# The list of blobs, in pack order, is made outside the measurement.
	git -C "$repo" cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)' --unordered |
		awk '$2 == "blob" { print $1 }' >"$tmp/blobs"
	measure '`git cat-file --batch` (blobs only, pack order)' "$runs" \
		sh -c 'exec git -C "$1" cat-file --batch <"$2"' sh "$repo" "$tmp/blobs"
fi

KEEP_STDOUT=1 measure '`keysweep scan` (full history, all refs)' "$scan_runs" \
	"$keysweep" scan "$repo" --no-progress --fail-on none --format json
if [[ -n $report && -s $tmp/best.out ]]; then
	cp "$tmp/best.out" "$report"
fi

if [[ $since != none ]]; then
	if git -C "$repo" rev-parse --verify -q "$since^{commit}" >/dev/null; then
		measure "\`keysweep scan --since $since\`" "$runs" \
			"$keysweep" scan "$repo" --since "$since" --no-progress --fail-on none --format json
	else
		echo "bench.sh: $since is not a commit in $repo: skipping the range scan" >&2
	fi
fi

if [[ -n $gitleaks ]]; then
	if "$gitleaks" git --help >/dev/null 2>&1; then
		measure "gitleaks $gitleaks_version \`git --log-opts=--all\`" "$scan_runs" \
			"$gitleaks" git "$repo" --log-opts=--all --no-banner --report-path "$tmp/gitleaks.json" --exit-code 0
	else
		measure "gitleaks $gitleaks_version \`detect --log-opts=--all\`" "$scan_runs" \
			"$gitleaks" detect --source "$repo" --log-opts=--all --no-banner --report-path "$tmp/gitleaks.json" --exit-code 0
	fi
fi

commits=$(git -C "$repo" rev-list --all --count)
pack=$(git -C "$repo" count-objects -vH | awk -F': ' '$1 == "size-pack" { print $2 }')
echo
echo "Repository: \`$repo\` ($commits commits, pack $pack)."
echo "Machine: $(nproc) CPUs, load average at start $load_start; $(git --version), $(go version | cut -d' ' -f3), keysweep $keysweep_rev; $(date -u '+%Y-%m-%d %H:%M UTC')."
echo
echo '| command | wall | peak RSS | ratio to cat-file |'
echo '|---|---|---|---|'
base=${walls[0]}
for i in "${!labels[@]}"; do
	wall=${walls[$i]} rss=${rsss[$i]} ratio=''
	if [[ $wall != failed ]]; then
		ratio=$(awk -v a="$wall" -v b="$base" 'BEGIN { if (b > 0) printf "%.2fx", a / b }')
		wall="$wall s"
	fi
	if [[ -n $rss ]]; then
		rss="$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }') MB"
	else
		rss=unknown
	fi
	echo "| ${labels[$i]} | $wall | $rss | $ratio |"
done
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)."
