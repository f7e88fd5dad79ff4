#!/usr/bin/env bash
# Installs what the test suite needs and a fresh machine lacks. Idempotent: it only installs
# what is missing, so a second run does nothing. Needs root (CI and the dev machines are root).
set -euo pipefail

# Debian packages the tests start as real peers: command → package.
declare -A debian_packages=(
  [redis-server]=redis-server        # the bus's Redis restart test starts its own server
  [redis-benchmark]=redis-tools      # peer figure in `make bench`
  [influxd]=influxdb                 # ingest forwarding test
  [prometheus]=prometheus            # Alertmanager API end-to-end test (Prometheus pushes alerts)
  [openssl]=openssl                  # the notifier's TLS tests make a throwaway CA
  [prometheus-alertmanager]=prometheus-alertmanager  # peer figure in bench/notifier.sh
  [snmpd]=snmpd                      # autodeploy scan tests run their own snmpd (v2c and v3)
  [pdftoppm]=poppler-utils           # the reporter's PDF test renders page 1 and extracts its text
  [chromium]=chromium                # the console's browser test (playwright-core drives it)
  [onesixtyone]=onesixtyone          # peer figure in `make bench` (bench/scan.sh)
)

missing=()
for command in "${!debian_packages[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${debian_packages[$command]}")
done

# Font files (no command to look for): file → package.
declare -A font_packages=(
  [/usr/share/fonts/truetype/arphic/uming.ttc]=fonts-arphic-uming  # reporter PDF: Traditional Chinese
)
for font_file in "${!font_packages[@]}"; do
  [ -f "$font_file" ] || missing+=("${font_packages[$font_file]}")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python test peers (aiosmtpd, ...) in the repository's own virtualenv.
repository_root=$(cd "$(dirname "$0")/.." && pwd)
venv="$repository_root/.venv"
requirements=(
  crates/notifier/tests/peers/requirements.txt
  apps/viot-web/tests/peers/requirements.txt
  crates/autodeploy/tests/peers/requirements.txt
)
if [ ! -x "$venv/bin/python" ]; then
  echo "install-test-deps: creating $venv"
  python3 -m venv "$venv"
fi
for requirement_file in "${requirements[@]}"; do
  stamp="$venv/.installed-$(echo "$requirement_file" | tr '/' '_')"
  if [ ! -f "$stamp" ] || [ "$repository_root/$requirement_file" -nt "$stamp" ]; then
    echo "install-test-deps: pip install -r $requirement_file"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repository_root/$requirement_file"
    touch "$stamp"
  fi
done

# Each Python service under services/ installs itself (with its test extras) into the venv.
for service in "$repository_root"/services/*/; do
  [ -f "$service/pyproject.toml" ] || continue
  name=$(basename "$service")
  stamp="$venv/.installed-service-$name"
  if [ ! -f "$stamp" ] || [ "$service/pyproject.toml" -nt "$stamp" ]; then
    echo "install-test-deps: pip install services/$name[test]"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -e "$service[test]"
    touch "$stamp"
  fi
done

# The OpenID provider the OIDC end-to-end tests start (npm `oidc-provider`, exact versions from
# its lock file); `npm ci` runs again only when the lock file is newer than node_modules.
oidc_peer="$repository_root/apps/viot-web/tests/peers/oidc"
if [ ! -d "$oidc_peer/node_modules" ] || [ "$oidc_peer/package-lock.json" -nt "$oidc_peer/node_modules/.package-lock.json" ]; then
  echo "install-test-deps: npm ci in apps/viot-web/tests/peers/oidc"
  (cd "$oidc_peer" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The console's npm packages (lock file) and the library files copied into web/static/libs.
"$repository_root/scripts/build-web-assets.sh"

# The shared services the tests use are started by the machine, never by us: check them.
check_port() {
  local name=$1 port=$2
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "install-test-deps: $name is not answering on 127.0.0.1:$port; the tests need it" >&2
    exit 1
  fi
}
check_port MariaDB 3306
check_port Redis 6379
echo "install-test-deps: ok"
