#!/usr/bin/env bash
# Create .venv with the system's Python 3.11+, installing Debian's venv package first when it is
# missing and we are root (a fresh Debian/Ubuntu has python3 without ensurepip).
set -euo pipefail
venv="${1:-.venv}"
python="${PYTHON:-python3}"
[ -x "$venv/bin/python" ] && exit 0
if ! "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "medstream needs Python 3.11 or newer as '$python' (set PYTHON=...)." >&2
    exit 1
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing python${version}-venv with apt-get ..." >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" >/dev/null
        "$python" -m venv "$venv"
    else
        echo "Cannot create a virtual environment: install the package python${version}-venv." >&2
        exit 1
    fi
fi
"$venv/bin/python" -m pip install -q --upgrade pip
