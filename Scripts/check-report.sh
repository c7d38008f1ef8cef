#!/usr/bin/env bash
# Takes a screenshot of a run's report (RUN_DIR/index.html) in a real browser: headless Chromium.
#
#   Scripts/check-report.sh RUN_DIR [OUT.png]
#
# Installs Debian's chromium when it is missing (apt-get, as root or through sudo; nothing when present).
# Writes OUT.png (default: $TMPDIR/report-NAME.png, the window 1280×2000 unless REPORT_WIDTH /
# REPORT_HEIGHT say otherwise) and prints its path. Look at it: the summary, the curves, the sample grids
# and the translations should all show, with nothing broken.
set -euo pipefail

usage() { echo "usage: $0 RUN_DIR [OUT.png]   (write RUN_DIR/index.html first: cyclegan report RUN_DIR)" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
run_dir=$1
[[ -d $run_dir ]] || { echo "$run_dir: no such run folder" >&2; exit 1; }
page="$(cd "$run_dir" && pwd)/index.html"
[[ -f $page ]] || { echo "$page: no report yet; write it with: cyclegan report $run_dir" >&2; exit 1; }
name=$(basename "$(cd "$run_dir" && pwd)")
out=${2:-"${TMPDIR:-/tmp}/report-$name.png"}
width=${REPORT_WIDTH:-1280}
height=${REPORT_HEIGHT:-2000}

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
    echo "installing chromium (Debian package)..." >&2
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    log=$(mktemp)
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "could not install chromium (apt-get install -y chromium); see $log" >&2
        exit 1
    fi
    rm -f "$log"
    browser=$(command -v chromium)
fi

# A private profile, so that a running browser or a stale lock does not interfere.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --allow-file-access-from-files --virtual-time-budget=5000 \
    --screenshot="$out" --window-size="$width,$height" "file://$page" >/dev/null 2>&1 || {
    echo "chromium failed to take the screenshot of $page" >&2; exit 1; }
[[ -s $out ]] || { echo "chromium wrote no screenshot to $out" >&2; exit 1; }
echo "$out"
