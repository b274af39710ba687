# shellcheck shell=bash
# The functions the scripts share (setup.sh, test.sh, demo.sh, fuzz.sh,
# bench.sh, bench-es-server.sh, package.sh): source this file; sourcing
# it only defines functions and variables, it installs, builds or starts
# nothing and leaves the caller's shell options alone.
#
# fb_root: the top of the source tree.
fb_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes (only a
# Recommends of clang on Debian 12, so --no-install-recommends skips it).
# dpkg-dev, debhelper, lintian: scripts/package.sh and the package's
# tests; systemd: the package's postinst makes its user with
# systemd-sysusers (no fakeroot: the package builds without root).
fb_packages=(build-essential cmake pkg-config clang clang-format valgrind
             libclang-rt-14-dev
             libcurl4-openssl-dev libjansson-dev libpq-dev libcmocka-dev
             libmicrohttpd-dev zlib1g-dev libisal-dev postgresql python3 curl
             dpkg-dev debhelper lintian systemd
             man-db groff-base python3-prometheus-client
             openssl stunnel4)

# fb_install_deps [PACKAGE...]: installs whichever of fb_packages and the
# given extra packages are missing (apt-get; nothing when all are there).
fb_install_deps() {
    local missing=() p
    for p in "${fb_packages[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            >/dev/null
    fi
}

# fb_build DIR [cmake args...]: configure and build every target in DIR.
fb_build() {
    local dir=$1; shift
    cmake -S "$fb_root" -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)" -- --no-print-directory >/dev/null
}

# --- a throwaway PostgreSQL and es-test-server (demo.sh, bench*.sh) -----
#
# fb_pg_start WORK: initdb a PostgreSQL 15 cluster in WORK/pg (trust
# auth, user forkbulk, fsync off: test data only) and start it on a free
# loopback port.  Sets fb_pg_conninfo and fb_pg_postmaster (pid).
# fb_es_start WORK BUILD [FLAGS...]: start BUILD's es-test-server with
# FLAGS on a free port.  Sets fb_es_pid, fb_es_port and fb_es_url.
# fb_services_start WORK BUILD: both, the server in es8 mode.
# fb_services_stop (from an EXIT trap) stops whatever was started; WORK
# is the caller's.
fb_pgbin=/usr/lib/postgresql/15/bin
fb_es_pid=
fb_pg_dir=

fb_as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

fb_pg_start() {
    local work=$1 port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir "$work/pg"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$work/pg"; fi
    fb_as_pg "$fb_pgbin/initdb" -D "$work/pg" -U forkbulk -A trust -E UTF8 \
        --locale=C --no-sync >/dev/null
    fb_as_pg "$fb_pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$work/pg -c fsync=off -c synchronous_commit=off" \
        start >/dev/null
    fb_pg_dir=$work/pg
    fb_pg_conninfo="host=127.0.0.1 port=$port user=forkbulk dbname=postgres"
    fb_pg_postmaster=$(head -n 1 "$work/pg/postmaster.pid")
}

fb_es_start() {
    local work=$1 build=$2
    shift 2
    "$build/test/server/es-test-server" --port 0 --ready-file "$work/es-port" \
        --quiet "$@" >/dev/null 2>"$work/es-server.err" &
    fb_es_pid=$!
    for _ in $(seq 200); do
        [ -s "$work/es-port" ] && break
        kill -0 "$fb_es_pid" 2>/dev/null || { cat "$work/es-server.err" >&2; return 1; }
        sleep 0.05
    done
    [ -s "$work/es-port" ] || { echo "es-test-server did not start" >&2; return 1; }
    fb_es_port=$(cat "$work/es-port")
    fb_es_url="http://127.0.0.1:$fb_es_port"
}

fb_services_start() {
    fb_pg_start "$1" && fb_es_start "$1" "$2" --mode es8
}

fb_services_stop() {
    if [ -n "$fb_es_pid" ]; then
        kill "$fb_es_pid" 2>/dev/null || true
        wait "$fb_es_pid" 2>/dev/null || true
        fb_es_pid=
    fi
    if [ -n "$fb_pg_dir" ]; then
        fb_as_pg "$fb_pgbin/pg_ctl" -D "$fb_pg_dir" -m fast -w stop >/dev/null 2>&1 || true
        fb_pg_dir=
    fi
}

# fb_flows_fill N: (re)creates table flows (test/data/flows.sql: the
# tests create it from the same file) and fills it with N flows spread
# evenly over 2026-11-27 03:00-04:00 UTC with generate_series: one
# destination in ten IPv6, tcp_flags NULL for half the rows; then VACUUM
# ANALYZE.  The same N always gives the same rows.
fb_flows_fill() {
    local n=$1
    psql -X -q -v ON_ERROR_STOP=1 -d "$fb_pg_conninfo" \
        -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS flows" \
        -f "$fb_root/test/data/flows.sql" -f - <<SQL
INSERT INTO flows
SELECT g,
       '2026-11-27 03:00:00+00'::timestamptz
         + ((g - 1) * 3600000000::bigint / $n) * interval '1 microsecond',
       ('10.' || (g % 256) || '.' || ((g / 256) % 256) || '.' || (g % 200 + 1))::inet,
       CASE WHEN g % 10 = 0 THEN ('2001:db8::' || to_hex(g % 65536))::inet
            ELSE ('192.0.' || (g % 250) || '.' || (g % 199 + 1))::inet END,
       1024 + g % 64000, (ARRAY[53, 80, 443, 22, 123])[1 + g % 5],
       (ARRAY[6, 6, 17, 1])[1 + g % 4], 40 + (g::bigint * 7919) % 1048576,
       1 + g % 1000, CASE WHEN g % 4 < 2 THEN g % 64 END, g % 48, (g + 7) % 48
FROM generate_series(1, $n) g;
VACUUM ANALYZE flows;
SQL
}
