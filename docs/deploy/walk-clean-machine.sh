#!/usr/bin/env bash
# Follow docs/operator-guide.md (section 1 "Deploy", section 2 "Backup and restore", section 6 "A read replica" and
# "Monitoring") on a clean Debian 12 made with debootstrap, booted with systemd-nspawn, and print PASS/FAIL per step.
#
# Not part of CI: it downloads Debian packages and the Python dependencies (about 10 minutes, 1.5 GB of disk).
# Run as root on a Debian/Ubuntu machine with `debootstrap` and `systemd-container` installed:
#
#     sudo docs/deploy/walk-clean-machine.sh            # the committed HEAD of this checkout, a fresh root
#
# Settings (environment): GUIDE_ROOT (where the clean system goes; default /var/tmp/govdata-guide-root, removed
# first), DEBIAN_MIRROR (default http://deb.debian.org/debian), GUIDE_BASE (an already debootstrapped bookworm tree
# to copy instead of running debootstrap, for repeated runs), KEEP_ROOT=1 (leave the root behind for a look).
#
# The machine is booted with a private network (its own loopback), so the guide's ports are used as written
# (PostgreSQL 5432 and 5433, the app 8000 and 8001, nginx 80 and 443, Prometheus 9090) without touching the host's.
# Packages are installed before the boot, over the host's network (step "packages"); everything after runs inside
# the booted machine, as root, with the guide's commands. The commands below are the guide's; where the guide says
# "CHANGE-ME" the walk puts generated values, and the site name is the shipped one (data.longyan.gov.example,
# resolved to 127.0.0.1 in the machine's /etc/hosts) with a self-signed certificate.
set -uo pipefail
{  # read whole before it runs: editing this file during a walk then cannot change the walk

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROOT=${GUIDE_ROOT:-/var/tmp/govdata-guide-root}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOG=${GUIDE_LOG:-/var/tmp/govdata-guide-walk.log}
FAILED=0
NSPAWN_PID=""
LEADER=""

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
for tool in debootstrap systemd-nspawn nsenter git; do
    command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install debootstrap systemd-container git)" >&2; exit 2; }
done
: >"$LOG"

step() {  # step NAME COMMAND...: runs it, logs its output, prints PASS or FAIL
    local name=$1; shift
    echo "=== $name" >>"$LOG"
    if "$@" >>"$LOG" 2>&1; then echo "PASS  $name"; else echo "FAIL  $name   (output: $LOG)"; FAILED=1; fi
}

offline_shell() {  # before the boot: a shell in the root with the host's network
    systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --pipe \
        /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive PIP_CERT=/etc/ssl/certs/ca-certificates.crt /bin/bash -euo pipefail -c "$1"
}

inside() {  # after the boot: a root shell in the running machine (its namespaces, its systemd)
    nsenter -t "$LEADER" -m -u -i -n -p -r -w \
        /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        /bin/bash -euo pipefail -c "cd /root && $1"
}

shutdown_machine() {
    if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        kill -TERM "$NSPAWN_PID"  # nspawn asks the machine's systemd to power off
        for _ in $(seq 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 1; done
        kill -0 "$NSPAWN_PID" 2>/dev/null && kill -KILL "$NSPAWN_PID"
    fi
    NSPAWN_PID=""
}
cleanup() {
    shutdown_machine
    if [ "${KEEP_ROOT:-0}" != 1 ] && [ -d "$ROOT" ]; then rm -rf --one-file-system "$ROOT"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the clean machine -------------------------------------------------------------------------------------------
make_root() {
    rm -rf --one-file-system "$ROOT"
    if [ -n "${GUIDE_BASE:-}" ]; then cp -a "$GUIDE_BASE" "$ROOT"
    else debootstrap --include=systemd,systemd-sysv,dbus,ca-certificates bookworm "$ROOT" "$MIRROR"; fi
    echo guide-walk >"$ROOT/etc/hostname"
    printf '127.0.1.1 guide-walk\n127.0.0.1 data.longyan.gov.example\n' >>"$ROOT/etc/hosts"
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    # Where the way out goes through a TLS-inspecting proxy, its CA (trusted by the host) is trusted by the machine
    # too, for pip; nothing is copied elsewhere.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    fi
    # the release to install: a copy of this repository's committed HEAD, as an operator would fetch it
    git clone -q "$REPO" "$ROOT/root/govdata"
    git -C "$ROOT/root/govdata" log -1 --format='walking commit %h %s'
}
step "debootstrap a clean Debian 12 (bookworm) and copy the repository in" make_root
[ -d "$ROOT/root/govdata" ] || { echo "no root, stopping"; exit 1; }

DB_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '/+=')
ADMIN_PASSWORD="Walk-$(head -c 9 /dev/urandom | base64 | tr -d '/+=')-9"
SITE=data.longyan.gov.example
GUIDE="$ROOT/root/govdata/docs/operator-guide.md"

block() {  # the guide's code block marked `<!-- walk: NAME -->`, with the walk's values for its placeholders
    local text
    text=$(awk -v mark="<!-- walk: $1 -->" '
        $0 == mark {state = 1; next}
        state == 1 && /^```/ {state = 2; next}
        state == 2 && /^```/ {exit}
        state == 2 {print}' "$GUIDE")
    [ -n "$text" ] || { echo "no block <!-- walk: $1 --> in the guide" >&2; return 1; }
    printf '%s\n' "$text" | sed \
        -e "s|CHANGE-ME-64-random-characters|$SECRET|g" -e "s|CHANGE-ME|$DB_PASSWORD|g" \
        -e "s|/path/to/govdata-NEW.whl|/root/dist/govdata-*.whl|g" -e "s|/path/to/govdata|/root/govdata|g" \
        -e "s|YOUR-SITE-NAME|$SITE|g" -e "s|YOUR-fullchain.pem|/root/walk-fullchain.pem|g" \
        -e "s|YOUR-privkey.pem|/root/walk-privkey.pem|g" -e "s|@PRIMARY:|@127.0.0.1:|g" -e "s|@REPLICA:|@127.0.0.1:|g" \
        -e "s|init --username admin\$|init --username admin --password '$ADMIN_PASSWORD'|"
}

as_operator() {  # a block run in the booted machine as an operator would type it: from the checkout, stop at an error
    local code
    code=$(block "$1") || return 1
    printf '%s\n' "--- guide block $1:" "$code" "---"
    nsenter -t "$LEADER" -m -u -i -n -p -r -w \
        /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        /bin/bash -e -c "cd /root/govdata && shopt -s expand_aliases
$code" 2>&1 | tee "$ROOT/root/walk-$1.out"
    return "${PIPESTATUS[0]}"
}
said() { grep -q -- "$2" "$ROOT/root/walk-$1.out"; }  # said BLOCK TEXT: the block's output contains TEXT

# --- guide §1 "Install" (needs the network: before the boot) -------------------------------------------------------
install_step() {
    local code
    code=$(block install) || return 1
    printf '%s\n' "--- guide block install:" "$code" "---"
    offline_shell "
        update-ca-certificates >/dev/null
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d  # started at boot
        apt-get update -q
        $code
        # what later steps install from Debian (section 6: prometheus) and the walk's certificate (openssl): fetched
        # now, while there is a network
        apt-get install -y -q prometheus openssl
        rm /usr/sbin/policy-rc.d
        # Installed beside the host's own PostgreSQL (one network namespace), pg_createcluster took the next free
        # port; the booted machine has its own network, where the guide's 5432 is free.
        sed -i 's/^port = .*/port = 5432/' /etc/postgresql/15/main/postgresql.conf
        pg_lsclusters
        /opt/govdata/.venv/bin/pip wheel -q --no-deps -w /root/dist /root/govdata   # the 'new' wheel for Upgrades
        /opt/govdata/.venv/bin/govdata --help >/dev/null
        id govdata && stat -c '%U %a %n' /var/lib/govdata /etc/govdata/govdata.env"
}
step "guide §1 Install: packages, venv, pip install, the govdata user and folders" install_step

# --- boot it -----------------------------------------------------------------------------------------------------
boot() {
    systemd-nspawn -q -D "$ROOT" -b --private-network --register=no --keep-unit --console=passive \
        >"$LOG.console" 2>&1 &
    NSPAWN_PID=$!
    for _ in $(seq 60); do
        for pid in $(pgrep -x systemd); do  # the machine's PID 1: a systemd that descends from our nspawn
            local up=$pid
            while [ "${up:-1}" -gt 1 ] && [ "$up" != "$NSPAWN_PID" ]; do up=$(ps -o ppid= -p "$up" | tr -d ' '); done
            [ "$up" = "$NSPAWN_PID" ] && LEADER=$pid
        done
        [ -n "$LEADER" ] && break
        sleep 1
    done
    [ -n "$LEADER" ] || return 1
    # the machine's bus appears a moment after its PID 1 (later on a first boot): ask until it says it is up
    inside 'for _ in $(seq 120); do
                state=$(systemctl is-system-running 2>/dev/null || true)
                case "$state" in running|degraded) break ;; esac; sleep 1
            done
            echo "system: $state"; systemctl is-active postgresql nginx'
}
step "boot the machine with systemd (systemd-nspawn -b, private network)" boot
[ -n "$LEADER" ] || { echo "the machine did not boot, stopping"; exit 1; }

settings() {
    block settings >"$ROOT/etc/govdata/govdata.env" && cat "$ROOT/etc/govdata/govdata.env" | sed 's/=.*/=…/'
    inside 'stat -c "%a %U:%G" /etc/govdata/govdata.env | grep -x "640 root:govdata"'
}
step "guide §1 Settings: /etc/govdata/govdata.env" settings

tuning() {
    block tuning >"$ROOT/etc/postgresql/15/main/conf.d/govdata.conf" || return 1
    as_operator tuning-restart && said tuning-restart '^300$' \
        && inside "sudo -u postgres psql -Atc 'SHOW shared_preload_libraries' | grep -x pg_stat_statements"
}
step "guide §1 PostgreSQL tuning: conf.d/govdata.conf, restart, in force" tuning

step "guide §1 PostgreSQL: role, database, govdata init" as_operator postgresql

units() {
    as_operator units && [ "$(grep -c '{"status":"ok"}' "$ROOT/root/walk-units.out")" = 2 ]
}
step "guide §1 systemd units: verify, enable --now, both /healthz answer" units

nginx_step() {
    # the walk's certificate: self-signed for the shipped name, trusted by the machine (as a CA's would be)
    inside "openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=$SITE -addext subjectAltName=DNS:$SITE \
                -keyout /root/walk-privkey.pem -out /root/walk-fullchain.pem 2>/dev/null
            cp /root/walk-fullchain.pem /usr/local/share/ca-certificates/walk-site.crt && update-ca-certificates" \
        && as_operator nginx && said nginx '"ok"' && said nginx '404$' \
        && inside "curl -sS -o /dev/null -w '%{http_code} %{redirect_url}\n' http://$SITE/login \
                       | grep -x '301 https://$SITE/login'
                   curl -sS -o /dev/null -w '%{http_code}\n' https://$SITE/open | grep -x 200"
}
step "guide §1 Reverse proxy with TLS: certificate, nginx -t, reload, HTTPS answers, /metrics 404, HTTP redirects" nginx_step

cat >"$ROOT/root/walk_login.py" <<'PY'
"""Sign in as the first administrator through nginx over TLS: password, then the TOTP enrolment the center role
must do (section 11), then a page that needs the session; the session cookie must be Secure."""
import re
import sys

import httpx
import pyotp

password = sys.argv[1]
site = "https://data.longyan.gov.example"
with httpx.Client(base_url=site, verify="/etc/ssl/certs/ca-certificates.crt", follow_redirects=False) as client:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed = client.post("/login", data={"username": "admin", "password": password, "csrf_token": token, "next": "/"})
    assert signed.status_code == 303, (signed.status_code, signed.text[:300])
    cookies = signed.headers.get_list("set-cookie")
    assert cookies and all("secure" in c.lower() for c in cookies if "govdata_session" in c), cookies
    page = client.get(signed.headers["location"])
    assert page.status_code == 200 and "totp-secret" in page.text, (signed.headers["location"], page.status_code)
    secret = re.search(r'data-testid="totp-secret">([^<]+)<', page.text).group(1).replace(" ", "")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    enrolled = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token, "next": "/"})
    assert enrolled.status_code == 303, (enrolled.status_code, enrolled.text[:300])
    users = client.get("/admin/users")
    assert users.status_code == 200 and "admin" in users.text, users.status_code
    print("signed in over TLS, enrolled TOTP, /admin/users answered 200")
PY
step "guide §11: sign in through nginx over TLS (password, TOTP enrolment, an admin page)" inside "
    /opt/govdata/.venv/bin/python /root/walk_login.py '$ADMIN_PASSWORD'"

prometheus_step() {
    as_operator prometheus && said prometheus '^# \(HELP\|TYPE\) ' || return 1
    inside "curl -fsS http://127.0.0.1:8001/metrics | grep -q '^# TYPE govdata_job_runs_total counter'
        for _ in \$(seq 60); do
            up=\$(curl -fsS -G http://127.0.0.1:9090/api/v1/query --data-urlencode 'query=sum(up{job=\"govdata\"})' \
                | grep -o '\"[0-9]\"\\]' || true)
            [ \"\$up\" = '\"2\"]' ] && break; sleep 2
        done
        echo \"govdata targets up: \$up\"; [ \"\$up\" = '\"2\"]' ]"
}
step "guide §6 Monitoring: /metrics on both units, Prometheus scrapes both (promtool checks the rules)" prometheus_step

ENV_CMD='sudo -u govdata env $(grep -v "^#" /etc/govdata/govdata.env | xargs)'
step "guide §2/§4: the jobs unit's daily security.backup wrote a good archive (pg_dump inside the unit)" inside "
    for _ in \$(seq 90); do ls /var/lib/govdata/backups/govdata-backup-*.tar.gz 2>/dev/null && break; sleep 2; done
    archive=\$(ls /var/lib/govdata/backups/govdata-backup-*.tar.gz | head -1)
    $ENV_CMD /opt/govdata/.venv/bin/govdata backup --verify \$archive | grep 备份文件完好"

step "guide §2: govdata backup and backup --verify" eval 'as_operator backup && said backup 备份文件完好'

restore_step() {
    as_operator restore && said restore 'events verified' \
        && inside "sudo -u postgres psql -d govdata_restored -Atc 'SELECT username FROM users' | grep -x admin"
}
step "guide §2: restore into a second database and home, audit verify" restore_step

replica_step() {
    as_operator replica && said replica '^t$' && said replica 'streaming' || return 1
    block replica-settings | grep '^GOVDATA_\(DATABASE_REPLICA_URL\|REPLICA_MAX_LAG\)' | sed 's/ *#.*//' \
        >>"$ROOT/etc/govdata/govdata.env"
    inside "systemctl restart govdata govdata-jobs
        until curl -fsS http://127.0.0.1:8000/healthz >/dev/null 2>&1; do sleep 1; done
        for _ in 1 2 3; do curl -fsS -o /dev/null https://$SITE/open; curl -fsS -o /dev/null https://$SITE/catalog; sleep 1; done
        n=\$(sudo -u postgres psql -p 5433 -Atc \"SELECT count(*) FROM pg_stat_activity WHERE usename = 'govdata'\")
        echo \"app connections on the replica: \$n\"; [ \"\$n\" -gt 0 ]
        journalctl -u govdata --no-pager | grep 'replica in use'"
}
step "guide §6 A read replica: a second cluster on 5433 streaming from the primary, used by the app" replica_step

upgrade_step() {
    as_operator upgrade && [ "$(grep -c 数据库已是最新版本 "$ROOT/root/walk-upgrade.out")" = 1 ] && said upgrade '"ok"' \
        && inside "$ENV_CMD /opt/govdata/.venv/bin/govdata migrate | grep 数据库已是最新版本"  # again: nothing to do
}
step "guide §1 Upgrades: backup, verify, stop, install the wheel, govdata migrate (twice), start" upgrade_step

step "power off the machine" shutdown_machine
if [ "$FAILED" = 0 ]; then echo "ALL PASS (log: $LOG)"; else echo "SOME STEPS FAILED (log: $LOG)"; fi
exit "$FAILED"
}
