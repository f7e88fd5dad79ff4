#!/usr/bin/env bash
# Installs the console's front-end libraries from npm (exact versions from web/package-lock.json)
# and copies the files the pages load into web/static/libs (gitignored). Idempotent: `npm ci`
# runs again only when the lock file is newer than node_modules.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
web="$root/web"
libs="$web/static/libs"
modules="$web/node_modules"

if [ ! -d "$modules" ] || [ "$web/package-lock.json" -nt "$modules/.package-lock.json" ]; then
  echo "build-web-assets: npm ci"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi

copy() { # copy <file under node_modules> <directory under libs>
  mkdir -p "$libs/$2"
  cp "$modules/$1" "$libs/$2/"
}
copy htmx.org/dist/htmx.min.js htmx
copy htmx-ext-sse/dist/sse.min.js htmx
copy bootstrap/dist/js/bootstrap.bundle.min.js bootstrap
copy admin-lte/dist/css/adminlte.min.css admin-lte
copy admin-lte/dist/js/adminlte.min.js admin-lte
copy tabulator-tables/dist/js/tabulator.min.js tabulator
copy tabulator-tables/dist/css/tabulator_bootstrap5.min.css tabulator
copy uplot/dist/uPlot.iife.min.js uplot
copy uplot/dist/uPlot.min.css uplot
copy bootstrap-icons/font/bootstrap-icons.min.css bootstrap-icons
mkdir -p "$libs/bootstrap-icons/fonts"
cp "$modules"/bootstrap-icons/font/fonts/* "$libs/bootstrap-icons/fonts/"
echo "build-web-assets: ok ($libs)"
