# Shared by scripts/run and scripts/test: install what the suite needs,
# each step idempotent and announced, so re-running costs seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
SAO_VERSION=8.0.11
STEP=0
STEPS=${STEPS:-4}

# Each step says when it starts (minutes:seconds since the command began).
step() {
    STEP=$((STEP + 1))
    printf '\n[%d/%d] %s  (at %d:%02d)\n' "$STEP" "$STEPS" "$*" \
        $((SECONDS / 60)) $((SECONDS % 60))
}

ensure_python() {
    step "Python virtualenv and packages (requirements.txt)"
    if [ ! -x "$PY" ]; then
        python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
        "$PY" -m pip install --quiet --upgrade pip
    fi
    local stamp="$VENV/.requirements.sha"
    local wanted
    wanted=$(cat "$ROOT/requirements.txt" "$ROOT"/addons/*/pyproject.toml | sha1sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        (cd "$ROOT" && "$PY" -m pip install --quiet -r requirements.txt)
        # Editable installs leave build metadata in the addons.
        rm -rf "$ROOT"/addons/*/*.egg-info
        echo "$wanted" > "$stamp"
    else
        echo "    up to date"
    fi
}

ensure_sao() {
    step "Tryton web client sao $SAO_VERSION (npm)"
    local sao="$ROOT/var/sao"
    if [ ! -f "$sao/package/dist/tryton-sao.js" ] \
            || ! grep -q "\"version\": \"$SAO_VERSION\"" "$sao/package/package.json"; then
        rm -rf "$sao" && mkdir -p "$sao"
        (cd "$sao" && npm pack --silent "tryton-sao@$SAO_VERSION" >/dev/null \
            && tar xzf "tryton-sao-$SAO_VERSION.tgz" \
            && cd package \
            && npm install --omit=dev --legacy-peer-deps --no-audit --no-fund --loglevel=error)
    else
        echo "    up to date"
    fi
    # sao is served under /admin/; the portal owns the rest of the site.
    mkdir -p "$ROOT/var/www"
    ln -sfn "$sao/package" "$ROOT/var/www/admin"
}

ensure_chromium() {
    step "Chromium for browser tests (Debian package)"
    if [ -x /usr/bin/chromium ]; then
        echo "    up to date"
        return
    fi
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    # Wait for another apt/dpkg run (e.g. unattended upgrades) instead of failing.
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 \
        install -y -qq chromium
}

ensure_postgresql() {
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        echo "    starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    fi
}
