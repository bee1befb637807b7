#!/usr/bin/env bash
# Proves the packaged library works in a Nest 11 CommonJS app and a Nest 12 ESM app:
# builds nestjs-melange, packs it with `npm pack`, installs the tarball into each app under
# test/compat/, compiles the app with its own tsc and runs it against the local SQS server.
# Usage: bash test/compat/run.sh [app...]   (default: every app)
# COMPAT_KEEP=1 keeps each app's node_modules/ and dist/ afterwards, for debugging.
set -euo pipefail

COMPAT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$COMPAT_DIR/../.." && pwd)"
APPS=("$@")
if [ "${#APPS[@]}" -eq 0 ]; then
  APPS=(nest11-cjs nest12-esm)
fi
for app in "${APPS[@]}"; do
  if [[ ! "$app" =~ ^[a-z0-9-]+$ ]] || [ ! -f "$COMPAT_DIR/$app/package.json" ]; then
    echo "no such compat app: $app" >&2
    exit 2
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/melange-compat.XXXXXX")"
STEP="setup"
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "== compat: FAILED during: $STEP (exit $status)" >&2
  fi
  rm -rf "$WORK"
  if [ "${COMPAT_KEEP:-}" != "1" ]; then
    for app in "${APPS[@]}"; do
      rm -rf "$COMPAT_DIR/$app/node_modules" "$COMPAT_DIR/$app/dist" "$COMPAT_DIR/$app/src"
    done
  fi
}
trap cleanup EXIT

NPM_FLAGS=(--no-audit --no-fund --loglevel=error)
# The apps pin fauxqs 1.9.2, which runs on Node 20. Where Node has node:sqlite a user gets 2.x from
# `npm install fauxqs`, so there the apps get the release lib/testing/fauxqs-package.ts names.
FAUXQS=""
if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 5) ? 0 : 1)'; then
  FAUXQS=2.4.1
fi
echo "== Node $(node --version), fauxqs ${FAUXQS:-1.9.2 (as pinned)}"

STEP="building nestjs-melange"
echo "== $STEP"
(cd "$ROOT" && npm run build --silent)

STEP="npm pack"
echo "== $STEP"
TARBALL_NAME="$(cd "$ROOT" && npm pack --pack-destination "$WORK" --silent | tail -n 1)"
TARBALL="$WORK/$TARBALL_NAME"
[ -f "$TARBALL" ] || { echo "npm pack did not produce $TARBALL" >&2; exit 1; }
echo "   $TARBALL_NAME ($(du -k "$TARBALL" | cut -f1) KiB)"

for app in "${APPS[@]}"; do
  dir="$COMPAT_DIR/$app"
  echo "== $app"
  cd "$dir"
  rm -rf dist
  STEP="$app: npm ci"
  npm ci "${NPM_FLAGS[@]}"
  # --no-save: the tarball changes with every build, so it stays out of package.json and the lockfile.
  STEP="$app: installing the tarball (fauxqs ${FAUXQS:-as pinned})"
  # One install for both: a later `npm install --no-save` would prune the other.
  npm install --no-save "${NPM_FLAGS[@]}" "$TARBALL" ${FAUXQS:+"fauxqs@$FAUXQS"}
  # One source for both apps: each compiles it with its own Nest and module system.
  mkdir -p src && cp "$COMPAT_DIR/shared/main.ts" src/main.ts
  # Compiled with the app, never run: the documented names resolve from each entry, internal ones do not.
  cp "$COMPAT_DIR/shared/public-surface.ts" src/public-surface.ts
  STEP="$app: compiling (tsc)"
  ./node_modules/.bin/tsc -p tsconfig.json
  STEP="$app: running"
  node dist/main.js
done
STEP="done"

echo "== compat: all ${#APPS[@]} app(s) passed"
