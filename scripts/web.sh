#!/usr/bin/env bash
# Builds the web app into pwa/dist, which the server embeds.
set -euo pipefail
cd "$(dirname "$0")/../pwa"
if [ ! -f package.json ]; then
  echo "web: no pwa/package.json yet; the server runs without the app shell"
  exit 0
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
