#!/usr/bin/env bash
# Make sure the system programs the test suite runs for real are present: redis-server,
# PostgreSQL, nginx, Chromium and ss (iproute2). As root with apt-get, install what is missing; otherwise name
# the missing packages and fail.
set -euo pipefail

have_postgres() {
    command -v initdb >/dev/null && return 0
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
have_postgres || missing+=(postgresql)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v "${CHROMIUM_PATH:-/usr/bin/chromium}" >/dev/null || missing+=(chromium)
# ss shows a listening socket's backlog (tests/live/test_launchers.py).
command -v ss >/dev/null || missing+=(iproute2)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} with apt-get ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The Debian packages start their services; the tests run their own instances instead.
    for service in redis-server postgresql nginx; do
        command -v service >/dev/null && service "$service" stop >/dev/null 2>&1 || true
    done
else
    echo "Missing system packages: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]})." >&2
    exit 1
fi
