#!/usr/bin/env bash
# Renders a report with `spillway demo` and screenshots its index.html with headless Chromium,
# into docs/report.png (shown in the README).
#
#   docs/screenshot.sh            # the full demo (sim + live, ~2 min)
#   SIM_ONLY=1 docs/screenshot.sh # the simulator only (seconds)
#
# Needs Debian's chromium (installed with apt-get when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is not installed (Debian: apt-get install chromium)" >&2
        exit 1
    fi
fi

out=out/screenshot
rm -rf "$out"
demo_flags=()
[ -n "${SIM_ONLY:-}" ] && demo_flags+=(--sim-only)
cargo run --release --locked --quiet -- demo -o "$out" "${demo_flags[@]}"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium off the network (this machine has none) and out of the sandbox it
# cannot create as root; the window is tall enough for the summary and the overlaid charts.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1100,2300 \
    --screenshot="$PWD/docs/report.png" "file://$PWD/$out/index.html" 2>/dev/null
echo "docs/report.png from $out/index.html"
