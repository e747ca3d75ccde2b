#!/usr/bin/env bash
# Fails when litlora_widgets/static/widget.{js,css} differ from a fresh build of js/src
# (someone edited js/ without `cd js && npm run build`, or edited the bundle by hand).
set -euo pipefail
cd "$(dirname "$0")/../js"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx esbuild src/widget.js --bundle --format=esm --target=es2020 --outfile="$tmp/widget.js" --log-level=warning
npx esbuild src/widget.css --bundle --outfile="$tmp/widget.css" --log-level=warning
for f in widget.js widget.css; do
  cmp "$tmp/$f" "../litlora_widgets/static/$f" || {
    echo "litlora_widgets/static/$f is stale: run (cd js && npm ci && npm run build)" >&2
    exit 1
  }
done
echo "bundle up to date"
