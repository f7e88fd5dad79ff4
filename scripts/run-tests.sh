#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, contract suites on both backends, end-to-end
# against real local servers) with cargo-nextest (or `cargo test`), then each Python service
# under services/ with pytest in the repository's .venv. Every suite runs even if one fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
failed=0

if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@" || failed=1
else
  cargo test --workspace --no-fail-fast "$@" || failed=1
fi

for service in "$root"/services/*/; do
  [ -f "$service/pyproject.toml" ] || continue
  echo "== pytest services/$(basename "$service")"
  (cd "$service" && "$root/.venv/bin/python" -m pytest -q) || failed=1
done

exit $failed
