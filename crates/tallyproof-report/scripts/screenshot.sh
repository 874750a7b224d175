#!/usr/bin/env bash
# Render a report to PNG in headless Chromium, at a phone's width and at a
# desktop's, to look at it the way a reader would.
#   crates/tallyproof-report/scripts/screenshot.sh report.html [out-prefix]
# Needs Debian's chromium (apt-get install chromium).
set -euo pipefail
html=$(realpath "$1")
out=${2:-${html%.html}}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-component-update --disable-sync --no-first-run
       --user-data-dir="$profile" --hide-scrollbars)
chromium "${flags[@]}" --window-size=412,2400 --screenshot="$out-phone.png" "file://$html" 2>/dev/null
chromium "${flags[@]}" --window-size=1000,3000 --screenshot="$out-desktop.png" "file://$html" 2>/dev/null
chromium "${flags[@]}" --print-to-pdf="$out.pdf" --no-pdf-header-footer "file://$html" 2>/dev/null
ls -l "$out-phone.png" "$out-desktop.png" "$out.pdf"
