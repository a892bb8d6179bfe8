#!/usr/bin/env bash
# Build web/static/vendor/noble/noble.js from @noble/curves and @noble/hashes (npm, pinned).
#
#   scripts/vendor_noble.sh          rebuild noble.js and its licences, and pin the new
#                                    sha384 in web/vendor.py (the page's SRI integrity=)
#   scripts/vendor_noble.sh --check  rebuild in a temporary folder and fail unless the result
#                                    is byte for byte the committed noble.js and its sha384 is
#                                    the one pinned in web/vendor.py
#
# Inputs: scripts/vendor_noble/{package.json,package-lock.json,entry.mjs}.  `npm ci` installs
# exactly the versions and integrity hashes (sha512) of package-lock.json, without running
# any package's install script; esbuild (pinned there too) bundles entry.mjs into one IIFE
# that defines the global `ovnoble`.  Needs node and npm (Debian: apt-get install nodejs npm)
# and the npm registry.  See web/static/vendor/noble/VENDOR.md.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: scripts/vendor_noble.sh [--check]" >&2; exit 2 ;;
esac

command -v npm >/dev/null || { echo "vendor_noble: npm is needed (Debian: apt-get install npm)" >&2; exit 2; }

src=scripts/vendor_noble
dest=web/static/vendor/noble
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$src/package.json" "$src/package-lock.json" "$src/entry.mjs" "$work/"
( cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null )
( cd "$work" && ./node_modules/.bin/esbuild entry.mjs --bundle --format=iife --global-name=ovnoble \
    --target=es2020 --legal-comments=eof --charset=ascii --log-level=warning --outfile=out.js )

curves_version="$(node -p 'require(process.argv[1]).version' "$work/node_modules/@noble/curves/package.json")"
hashes_version="$(node -p 'require(process.argv[1]).version' "$work/node_modules/@noble/hashes/package.json")"
{
  printf '/* @noble/curves %s and @noble/hashes %s (MIT, (c) Paul Miller), bundled by esbuild for\n' \
    "$curves_version" "$hashes_version"
  printf ' * ownervote: do not edit; rebuild with scripts/vendor_noble.sh (see VENDOR.md beside this file). */\n'
  cat "$work/out.js"
} > "$work/noble.js"

sri() { printf 'sha384-%s' "$(openssl dgst -sha384 -binary "$1" | base64 -w0)"; }
built="$(sri "$work/noble.js")"
pinned="$(sed -n 's/^NOBLE_SRI = "\(.*\)"$/\1/p' web/vendor.py)"

if [ "$check" = 1 ]; then
  status=0
  if ! cmp -s "$work/noble.js" "$dest/noble.js"; then
    echo "vendor_noble: the rebuilt noble.js differs from $dest/noble.js" >&2; status=1
  fi
  if [ "$built" != "$pinned" ]; then
    echo "vendor_noble: rebuilt $built, web/vendor.py pins $pinned" >&2; status=1
  fi
  for pkg in curves hashes; do
    cmp -s "$work/node_modules/@noble/$pkg/LICENSE" "$dest/LICENSE-noble-$pkg" ||
      { echo "vendor_noble: $dest/LICENSE-noble-$pkg is not @noble/$pkg's LICENSE" >&2; status=1; }
  done
  [ "$status" = 0 ] && echo "vendor_noble: $dest/noble.js rebuilds identically ($built)"
  exit $status
fi

mkdir -p "$dest"
cp "$work/noble.js" "$dest/noble.js"
cp "$work/node_modules/@noble/curves/LICENSE" "$dest/LICENSE-noble-curves"
cp "$work/node_modules/@noble/hashes/LICENSE" "$dest/LICENSE-noble-hashes"
sed -i "s|^NOBLE_SRI = \".*\"$|NOBLE_SRI = \"$built\"|" web/vendor.py
echo "vendor_noble: wrote $dest/noble.js ($built); pinned in web/vendor.py"
