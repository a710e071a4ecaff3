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
# Build only when a source is newer than the last build, so that `make run`
# starts in seconds and one test run builds the app once.
if [ -f dist/index.html ] && [ -z "${WEB_FORCE_BUILD:-}" ] \
  && [ -z "$(find src public scripts index.html vite.config.ts tsconfig*.json package.json package-lock.json \
            -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "web: pwa/dist is up to date"
  exit 0
fi
npm run build
