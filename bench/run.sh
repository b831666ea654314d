#!/usr/bin/env bash
# Stoa's HTTP benchmark: loads a community (the Beer, Wine & Spirits Stack Exchange dump,
# optionally grown to 100k or 1M posts), starts `stoa serve` on 127.0.0.1 and runs one wrk
# scenario per page or form: thread pages, the same bytes as a static file (the ceiling),
# lists, the signed-in thread page, posting answers, logging in. Prints a Markdown table per
# backend and size. See bench/README.md; `bench/run.sh --help` for the options.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
LUA_DIR="$BENCH_DIR/lua"
DUMP_DIR="$REPO/../shared/data/stackexchange/beer.stackexchange.com"
FIXTURE_DIR="$REPO/crates/import/tests/fixtures/beer-small"

# ---------------------------------------------------------------------------------------------
# Options

BACKENDS=sqlite
SIZES=dump
DURATION=10
CONNECTIONS=64
SMOKE=false
BIN=""
OUT=""
PORT=18181
PG_ADMIN_URL="postgres://postgres@127.0.0.1:5432/postgres"
KEEP=false
ONLY="thread10,thread30,static,home,tag,signed,gzip,changing,answer,search,login"

usage() {
    cat <<'EOF'
Usage: bench/run.sh [options]

  --backend sqlite|postgres|both   database backend(s) to measure (default: sqlite)
  --sizes LIST                     comma list of dump,100k,1m (default: dump)
                                     dump: the Stack Exchange dump imported as is
                                     100k, 1m: the dump grown with `stoa bench-data` to that
                                     many posts in all
  --duration SECONDS               wrk duration per scenario (default: 10)
  --connections N                  wrk connections (default: 64)
  --smoke                          a few seconds: the small test fixture, 1 s per scenario,
                                   8 connections; fails unless every scenario got only
                                   2xx/3xx answers and no socket errors (for CI)
  --bin PATH                       stoa binary to run (default: cargo build --release -p stoa
                                   and use target/release/stoa)
  --out FILE                       also write the result tables to FILE (Markdown)
  --port N                         port on 127.0.0.1 for the server (default: 18181)
  --pg-admin-url URL               PostgreSQL database to create the benchmark databases from
                                   (default: postgres://postgres@127.0.0.1:5432/postgres)
  --keep                           keep the temporary data folders (and print where they are)
  --only LIST                      run only these scenarios, a comma list of thread10, thread30,
                                   static, home, tag, signed, gzip, changing, answer, search,
                                   login (default: all)
  -h, --help                       this help

Progress goes to standard error, the result tables to standard output.
EOF
}

die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

log() { printf '%s\n' "$*" >&2; }

parse_args() {
    while (($# > 0)); do
        case "$1" in
            --backend) BACKENDS="${2:?--backend needs a value}"; shift 2 ;;
            --sizes) SIZES="${2:?--sizes needs a value}"; shift 2 ;;
            --duration) DURATION="${2:?--duration needs a value}"; shift 2 ;;
            --connections) CONNECTIONS="${2:?--connections needs a value}"; shift 2 ;;
            --smoke) SMOKE=true; shift ;;
            --bin) BIN="${2:?--bin needs a value}"; shift 2 ;;
            --out) OUT="${2:?--out needs a value}"; shift 2 ;;
            --port) PORT="${2:?--port needs a value}"; shift 2 ;;
            --pg-admin-url) PG_ADMIN_URL="${2:?--pg-admin-url needs a value}"; shift 2 ;;
            --keep) KEEP=true; shift ;;
            --only) ONLY="${2:?--only needs a value}"; shift 2 ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
    done
    case "$BACKENDS" in
        sqlite | postgres) ;;
        both) BACKENDS="sqlite postgres" ;;
        *) die "--backend must be sqlite, postgres or both (got '$BACKENDS')" ;;
    esac
    [[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "--duration must be a whole number of seconds"
    [[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || die "--connections must be a positive number"
    [[ "$PORT" =~ ^[1-9][0-9]*$ ]] || die "--port must be a number"
    local name
    for name in ${ONLY//,/ }; do
        case "$name" in
            thread10 | thread30 | static | home | tag | signed | gzip | changing | answer | search | login) ;;
            *) die "--only takes thread10, thread30, static, home, tag, signed, gzip, changing, answer, search, login (got '$name')" ;;
        esac
    done
    if $SMOKE; then
        # The smoke run ignores --sizes, --duration and --connections: it must stay a few
        # seconds long whatever CI passes.
        SIZES=fixture DURATION=1 CONNECTIONS=8
    else
        local size
        for size in ${SIZES//,/ }; do
            case "$size" in
                dump | 100k | 1m) ;;
                *) die "--sizes takes dump, 100k and 1m (got '$size')" ;;
            esac
        done
        SIZES="${SIZES//,/ }"
    fi
}

# ---------------------------------------------------------------------------------------------
# Tools, binary, clean-up

# Installs what the benchmark needs from Debian when it is missing (wrk itself, curl, and the
# database clients used to count rows and create the PostgreSQL databases).
ensure_tools() {
    local need=() backend
    command -v wrk >/dev/null || need+=(wrk)
    command -v curl >/dev/null || need+=(curl)
    for backend in $BACKENDS; do
        case "$backend" in
            sqlite) command -v sqlite3 >/dev/null || need+=(sqlite3) ;;
            postgres) command -v psql >/dev/null || need+=(postgresql-client) ;;
        esac
    done
    ((${#need[@]} == 0)) && return 0
    log "installing from apt: ${need[*]}"
    local sudo=""
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${need[*]}"
        sudo=sudo
    fi
    local apt_log
    apt_log=$(mktemp)
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; } \
        >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        die "could not install ${need[*]}"
    fi
    rm -f "$apt_log"
}

# The binary under test: the one given, or a fresh release build.
resolve_bin() {
    if [[ -z "$BIN" ]]; then
        log "building: cargo build --release -p stoa"
        (cd "$REPO" && cargo build --release -p stoa) >&2
        BIN="$REPO/target/release/stoa"
    fi
    # Relative paths are taken from where the script was started, as an operator expects.
    [[ "$BIN" == /* ]] || BIN="$PWD/$BIN"
    [[ -x "$BIN" ]] || die "no stoa binary at $BIN"
}

SERVER_PID=""
WORK_ROOT=""
PG_DATABASES=()

cleanup() {
    local status=$?
    stop_server
    local db
    for db in "${PG_DATABASES[@]}"; do
        # WITH (FORCE) (PostgreSQL 13+) also ends connections a killed server left behind.
        psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
            psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 ||
            log "could not drop database $db: drop it by hand"
    done
    if [[ -n "$WORK_ROOT" ]]; then
        if $KEEP; then log "kept: $WORK_ROOT"; else rm -rf "$WORK_ROOT"; fi
    fi
    exit "$status"
}

# ---------------------------------------------------------------------------------------------
# One community: its data folder, its database, the stoa commands run against it

# Set by new_community for the backend and size being measured.
BACKEND="" SIZE="" DATA_DIR="" RUN_DIR="" DB_URL="" BASE="http://127.0.0.1:$PORT"

new_community() {
    BACKEND="$1" SIZE="$2"
    RUN_DIR="$WORK_ROOT/$BACKEND-$SIZE"
    DATA_DIR="$RUN_DIR/data"
    mkdir -p "$DATA_DIR/public"
    if [[ "$BACKEND" == postgres ]]; then
        local db
        db="stoa_bench_$(date +%s)_$RANDOM"
        psql -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" -c "CREATE DATABASE \"$db\"" >/dev/null ||
            die "cannot create a database on $PG_ADMIN_URL"
        PG_DATABASES+=("$db")
        DB_URL="${PG_ADMIN_URL%/*}/$db"
    else
        DB_URL=""
    fi
}

# The environment of every stoa command for the current community. It runs in RUN_DIR so no
# stoa.toml of the caller's is read; DATABASE_URL is set for PostgreSQL and removed for SQLite
# (then data_dir/stoa.db); STOA_SMTP_URL is removed so the sign-up mail goes to a file, not
# to a mail server. Other STOA_* variables of the caller pass through (listed in the header).
stoa_env() {
    STOA_ENV=(env -u DATABASE_URL -u STOA_CONFIG -u STOA_SMTP_URL -u STOA_TEST_DATABASE_URL STOA_DATA_DIR="$DATA_DIR"
        STOA_BIND="127.0.0.1:$PORT" STOA_BASE_URL="$BASE"
        STOA_TRUST_PROXY_HEADERS="${TRUST_PROXY:-false}" RUST_LOG=warn
        # The write path is measured, not new members' posting limits (a new member may
        # post every 30 seconds and 20 times a day by default, and their first post must
        # have taken a person's time to type).
        STOA_POST_GAP_SECONDS="[0, 0, 0, 0]" STOA_POSTS_PER_DAY="[0, 0, 0, 0]"
        STOA_MIN_FILL_SECONDS=0 STOA_APPROVAL_POSTS=0)
    if [[ -n "$DB_URL" ]]; then STOA_ENV+=(DATABASE_URL="$DB_URL"); fi
}

stoa_cmd() {
    stoa_env
    (cd "$RUN_DIR" && exec "${STOA_ENV[@]}" "$BIN" "$@")
}

# One value (or rows of space-separated values) from the community's database.
db_query() {
    if [[ "$BACKEND" == postgres ]]; then
        psql -X -q -At -F ' ' "$DB_URL" -c "$1"
    else
        sqlite3 -batch -noheader -separator ' ' -cmd '.timeout 5000' "$DATA_DIR/stoa.db" "$1"
    fi
}

post_count() { db_query "SELECT count(*) FROM posts WHERE deleted_at IS NULL"; }

# The owner comes from the command line before anything else (as an operator would do).
OWNER=bench_owner OWNER_EMAIL=owner@example.com
MEMBER=bench_member MEMBER_EMAIL=member@example.com
PASSWORD="velvet ladder orbit pancake"

create_owner() {
    printf '%s\n' "$PASSWORD" | stoa_cmd admin create-owner --username "$OWNER" --email "$OWNER_EMAIL" \
        >"$RUN_DIR/create-owner.log" 2>&1 || { cat "$RUN_DIR/create-owner.log" >&2; die "create-owner failed"; }
}

# Imports the dump (or the fixture) and grows it to the size asked for. bench-data prints the
# reference threads and tag, which end up in $RUN_DIR/bench-data.log.
load_data() {
    local source="$DUMP_DIR" target=0
    case "$SIZE" in
        fixture) source="$FIXTURE_DIR" ;;
        100k) target=100000 ;;
        1m) target=1000000 ;;
    esac
    log "importing $(basename "$source") into $BACKEND"
    local started=$SECONDS
    # --site: the fixture's folder name is not a host. The site name goes into each post's
    # attribution, as the licence asks.
    stoa_cmd import stackexchange "$source" --site beer.stackexchange.com \
        --site-name "Beer, Wine & Spirits Stack Exchange" --category "Beer, Wine & Spirits" \
        >"$RUN_DIR/import.log" 2>&1 || { head -n 10 "$RUN_DIR/import.log" >&2; die "import failed"; }
    head -n 1 "$RUN_DIR/import.log" | sed 's/^/  /' >&2
    local have extra
    have=$(post_count)
    # Every size gets the reference threads (a question with 10 answers, one with 30) from
    # bench-data, so the pages compared across sizes have the same shape; the sizes beyond
    # the dump also get the posts that bring the total to the target.
    extra=$((target > have ? target - have : 0))
    if ((extra < BENCH_DATA_MIN_POSTS)); then extra=$BENCH_DATA_MIN_POSTS; fi
    log "bench-data: $extra more posts (the import left $have)"
    stoa_cmd bench-data --posts "$extra" --seed 1 >"$RUN_DIR/bench-data.log" 2>&1 ||
        { head -n 10 "$RUN_DIR/bench-data.log" >&2; die "bench-data failed"; }
    grep '^Added' "$RUN_DIR/bench-data.log" | sed 's/^/  /' >&2 || true
    POSTS=$(post_count)
    log "  $POSTS posts in all, loaded in $((SECONDS - started)) s"
}
# Enough generated posts for the two reference threads (1 + 10 and 1 + 30 posts).
BENCH_DATA_MIN_POSTS=42

# Reads the reference thread pages and tag from bench-data's output.
find_targets() {
    local log="$RUN_DIR/bench-data.log"
    THREAD10=$(sed -n 's/^thread with 10 answers: \(\/q\/[^ ]*\).*/\1/p' "$log" | head -n 1)
    THREAD30=$(sed -n 's/^thread with 30 answers: \(\/q\/[^ ]*\).*/\1/p' "$log" | head -n 1)
    TAG=$(sed -n 's/^popular tag: \(.*\)$/\1/p' "$log" | head -n 1)
    [[ -n "$THREAD10" && -n "$THREAD30" && -n "$TAG" ]] ||
        { cat "$log" >&2; die "bench-data did not print the reference threads and tag"; }
    local id10=${THREAD10#/q/} id30=${THREAD30#/q/}
    id10=${id10%%/*} id30=${id30%%/*}
    # Answers go to a few other open threads, so the pages being read keep their shape.
    WRITE_THREADS=$(db_query "SELECT id FROM threads WHERE deleted_at IS NULL AND closed_at IS NULL
        AND id NOT IN ($id10, $id30) ORDER BY id DESC LIMIT 4" | paste -sd, -)
    [[ -n "$WRITE_THREADS" ]] || die "no open thread to post answers to"
}

# ---------------------------------------------------------------------------------------------
# The server

# Starts `stoa serve` in the background and waits until /healthz answers (bounded).
start_server() {
    if curl -s -o /dev/null --max-time 1 "$BASE/healthz"; then
        die "something already listens on 127.0.0.1:$PORT (use --port)"
    fi
    stoa_env
    # exec, twice (the subshell into env, env into stoa): $! is the server's own pid, whose
    # /proc/<pid>/status gives its memory.
    (cd "$RUN_DIR" && exec "${STOA_ENV[@]}" "$BIN" serve) >>"$RUN_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    local i
    for ((i = 0; i < 600; i++)); do
        if curl -sf -o /dev/null --max-time 1 "$BASE/healthz"; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$RUN_DIR/server.log" >&2
    die "the server did not become healthy on $BASE"
}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# True while the server runs; otherwise SERVER_DIED says how it ended (and its log's tail).
server_alive() {
    [[ -n "$SERVER_PID" ]] || { SERVER_DIED="not running"; return 1; }
    # A dead child stays a zombie (kill -0 succeeds) until it is waited for.
    if [[ -e "/proc/$SERVER_PID" ]] && ! grep -q '^State:.*zombie' "/proc/$SERVER_PID/status" 2>/dev/null; then
        return 0
    fi
    local status=0
    wait "$SERVER_PID" 2>/dev/null || status=$?
    SERVER_PID=""
    SERVER_DIED="exit status $status"
    if ((status > 128)); then SERVER_DIED+=" (signal $((status - 128)))"; fi
    tail -n 5 "$RUN_DIR/server.log" >&2
    return 1
}

# The server's resident-memory high-water mark (VmHWM) in MB. It only grows, so after each
# scenario it is the peak so far for this server process.
peak_rss_mb() {
    awk '/^VmHWM:/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "?"
}

# The server process's CPU time so far, user and system, in clock ticks (empty if unknown).
server_cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || true
}
CLOCK_TICKS=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------
# Sessions and form tokens, through the real forms with curl

hidden_from() { grep -o "name=\"$2\" value=\"[^\"]*\"" "$1" | head -n 1 | sed 's/.*value="//; s/"$//'; }
csrf_from() { hidden_from "$1" csrf; }
cookie_from() { awk -v name="$2" '$6 == name { print $7 }' "$1" | tail -n 1; }

# POSTs a form with the cookie jar $1; prints the HTTP status.
post_form() {
    local jar="$1"
    shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 30 -b "$jar" -c "$jar" -H "Origin: $BASE" "$@"
}

# Signs up a member through /register, then logs in with curl for the session used by the
# signed-in scenarios. Members need no confirmed address to answer (the policy lets any
# member answer), so this is an ordinary new member. Falls back to the owner if sign-up fails.
sign_in_member() {
    local jar="$RUN_DIR/member.jar" page="$RUN_DIR/form.html" status
    rm -f "$jar"
    curl -s -b "$jar" -c "$jar" "$BASE/register" -o "$page"
    status=$(post_form "$jar" --data-urlencode "csrf=$(csrf_from "$page")" -d "username=$MEMBER" \
        --data-urlencode "shown=$(hidden_from "$page" shown)" \
        -d "email=$MEMBER_EMAIL" --data-urlencode "password=$PASSWORD" "$BASE/register")
    if [[ "$status" == 303 ]]; then
        SIGNED_IN=$MEMBER
    else
        log "sign-up answered $status: using the owner account for the signed-in scenarios"
        SIGNED_IN=$OWNER
    fi
    rm -f "$jar"
    curl -s -b "$jar" -c "$jar" "$BASE/login" -o "$page"
    status=$(post_form "$jar" --data-urlencode "csrf=$(csrf_from "$page")" -d "login=$SIGNED_IN" \
        --data-urlencode "password=$PASSWORD" -d next=/ "$BASE/login")
    [[ "$status" == 303 ]] || die "logging in as $SIGNED_IN answered $status"
    SESSION=$(cookie_from "$jar" stoa_session)
    [[ -n "$SESSION" ]] || die "no session cookie after logging in"
    # The CSRF token of a signed-in page comes from the session: read it off the thread page.
    curl -s -H "Cookie: stoa_session=$SESSION" "$BASE$THREAD10" -o "$page"
    SESSION_CSRF=$(csrf_from "$page")
    [[ -n "$SESSION_CSRF" ]] || die "no CSRF token on the signed-in thread page"
}

# A guest's form secret and its token, for the log-in scenario.
guest_form() {
    local jar="$RUN_DIR/guest.jar" page="$RUN_DIR/login.html"
    rm -f "$jar"
    curl -s -b "$jar" -c "$jar" "$BASE/login" -o "$page"
    GUEST_SECRET=$(cookie_from "$jar" stoa_form)
    GUEST_CSRF=$(csrf_from "$page")
    [[ -n "$GUEST_SECRET" && -n "$GUEST_CSRF" ]] || die "no form cookie or token on /login"
}

# The anonymous 10-answer page, byte for byte, as a file the server serves from memory.
write_static_copy() {
    curl -sf "$BASE$THREAD10" -o "$DATA_DIR/public/thread-copy.html" ||
        die "the anonymous thread page $THREAD10 did not answer 200"
    PAGE10_BYTES=$(wc -c <"$DATA_DIR/public/thread-copy.html")
    PAGE30_BYTES=$(curl -s "$BASE$THREAD30" | wc -c)
}

# ---------------------------------------------------------------------------------------------
# Scenarios

# Results of the current community, in scenario order.
ROWS=() NOTES=() FAILURES=()
PAIRED_RATIO="" PAIRED_RANGE="" PAIRED_GZIP_RATIO="" PAIRED_GZIP_RANGE=""
declare -A RPS=() P50=() P95=() P99=() ERRS=() RSS=() REQS=() CPU=()

WRK_THREADS=2
wrk_threads() {
    WRK_THREADS=$(nproc)
    ((WRK_THREADS <= CONNECTIONS)) || WRK_THREADS=$CONNECTIONS
}

# preflight EXPECTED-STATUS CURL-ARGS...: checks one request before the load, so a scenario that
# would only measure redirects or refusals is caught (wrk counts 3xx as success).
preflight() {
    local want="$1" got
    shift
    got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@")
    [[ "$got" == "$want" ]] && return 0
    PREFLIGHT_ERROR="expected $want, got $got"
    return 1
}

# run_wrk NAME LUA-SCRIPT URL [wrk options...] [-- script args...]: one scenario, one row.
run_wrk() {
    local name="$1" script="$2" url="$3"
    shift 3
    local out="$RUN_DIR/wrk-${#ROWS[@]}.txt"
    log "== $name: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s $url"
    local cpu_before
    cpu_before=$(server_cpu_ticks)
    # The generous timeout keeps slow-by-design requests (argon2 log-ins queued behind each
    # other) from being counted as socket errors; their latency still shows how slow they were.
    if ! STOA_BENCH_LUA="$LUA_DIR" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
        --timeout 10s --latency -s "$LUA_DIR/$script" "$url" "$@" >"$out" 2>&1; then
        cat "$out" >&2
        record_failure "$name" "wrk failed"
        skip_row "$name" "wrk failed"
        return 0
    fi
    grep -E 'Requests/sec|requests in|Socket errors|Non-2xx' "$out" | sed 's/^ */  /' >&2
    # The line printed by done() in lua/common.lua: key=value pairs.
    local -A r=()
    local pair
    for pair in $(grep '^BENCH ' "$out" | tail -n 1 | cut -d' ' -f2-); do
        r[${pair%%=*}]=${pair#*=}
    done
    if [[ -z "${r[requests]:-}" ]]; then
        record_failure "$name" "no result line from wrk"
        skip_row "$name" "no result from wrk"
        return 0
    fi
    local socket=$((r[connect] + r[read] + r[write] + r[timeout])) status=${r[status]} errors=0
    if ((socket + status > 0)); then
        errors="$((socket + status)) (socket $socket, status ≥ 400: $status)"
    fi
    if ((r[requests] == 0)); then
        # Nothing came back within the run: wrk's percentiles are then meaningless zeros.
        errors="no response within ${DURATION} s"
        r[p50_us]="" r[p95_us]="" r[p99_us]=""
    fi
    ROWS+=("$name")
    REQS[$name]=${r[requests]}
    RPS[$name]=$(awk -v n="${r[requests]}" -v us="${r[duration_us]}" 'BEGIN { printf "%.0f", (us > 0 ? n * 1e6 / us : 0) }')
    P50[$name]=${r[p50_us]} P95[$name]=${r[p95_us]} P99[$name]=${r[p99_us]} ERRS[$name]=$errors RSS[$name]=$(peak_rss_mb)
    CPU[$name]=$(awk -v a="$cpu_before" -v b="$(server_cpu_ticks)" -v n="${r[requests]}" -v hz="$CLOCK_TICKS" \
        'BEGIN { if (n > 0 && a != "" && b != "") printf "%.1f µs", (b - a) * 1e6 / hz / n; else print "—" }')
    server_alive || record_failure "$name" "the server died during the run: $SERVER_DIED"
    if ((r[requests] == 0)); then
        if $SMOKE; then record_failure "$name" "no request completed"; else log "  no response within the run"; fi
    fi
    # A full run reports errors in the table; the smoke run fails on any.
    if $SMOKE && [[ "$errors" != 0 ]]; then record_failure "$name" "errors: $errors"; fi
}

record_failure() {
    FAILURES+=("$BACKEND/$SIZE: $1: $2")
    log "  FAILED: $1: $2"
}

# A scenario whose preflight failed still gets a row, so the table shows the gap.
skip_row() {
    local name="$1" why="$2"
    ROWS+=("$name")
    RPS[$name]="—" P50[$name]="" P95[$name]="" P99[$name]="" ERRS[$name]="$why" RSS[$name]="—" CPU[$name]="—"
}

# After a scenario the server may still be working through requests wrk gave up on (a slow
# page at 64 connections queues up behind the database pool). Waits, bounded, until a
# database round trip (/readyz) is quick again, so each scenario starts on an idle server.
settle() {
    local name="$1" started=$SECONDS
    until curl -sf -o /dev/null --max-time 2 "$BASE/readyz"; do
        if ((SECONDS - started >= SETTLE_LIMIT)); then
            record_failure "$name" "the server was still busy after $SETTLE_LIMIT s"
            skip_row "$name" "not run: server still busy"
            return 1
        fi
        sleep 1
    done
    if ((SECONDS - started > 2)); then
        NOTES+=("waited $((SECONDS - started)) s before \"$name\" for the server to finish the previous scenario's requests")
    fi
}
SETTLE_LIMIT=900

# Runs NAME if its preflight passes; otherwise records why it could not run.
scenario() {
    local name="$1" want="$2" script="$3" url="$4"
    shift 4
    local headers=()
    while (($# > 0)) && [[ "$1" == -H ]]; do headers+=("$1" "$2"); shift 2; done
    settle "$name" || return 0
    if ! preflight "$want" "${headers[@]}" "$url"; then
        record_failure "$name" "preflight: $PREFLIGHT_ERROR"
        skip_row "$name" "not run: $PREFLIGHT_ERROR"
        return 0
    fi
    run_wrk "$name" "$script" "$url" "${headers[@]}" "$@"
}

S_THREAD10="thread page, 10 answers (anonymous)"
S_THREAD30="thread page, 30 answers (anonymous)"
S_STATIC="same bytes as a static file (ceiling)"
S_HOME="home list /"
S_TAG="tag list"
S_HOME_SIGNED="home list / (signed in)"
S_TAG_SIGNED="tag list (signed in)"
S_SEARCH="search"
S_SIGNED="thread page, 10 answers (signed in)"
S_ANON_GZIP="thread page, 10 answers (anonymous), gzip as browsers ask"
S_SIGNED_GZIP="thread page, 10 answers (signed in), gzip as browsers ask"
S_HOME_SIGNED_GZIP="home list / (signed in), gzip as browsers ask"
S_ANON_CHANGING="thread page, 10 answers (anonymous), content changing"
S_SIGNED_CHANGING="thread page, 10 answers (signed in), content changing"
S_ANSWER="post an answer (POST, 303)"
S_LOGIN="log in (POST /login, 303)"

# Whether scenario NAME (a short name of --only) is to run.
wanted() { [[ ",$ONLY," == *",$1,"* ]]; }

run_scenarios() {
    if wanted thread10; then scenario "$S_THREAD10" 200 get.lua "$BASE$THREAD10"; fi
    if wanted thread30; then scenario "$S_THREAD30" 200 get.lua "$BASE$THREAD30"; fi
    if wanted static; then scenario "$S_STATIC" 200 get.lua "$BASE/thread-copy.html"; fi
    # Lists come from memory while nothing changes: guests' whole, members' filled in with
    # their own parts.
    local member_cookie=(-H "Cookie: stoa_session=$SESSION")
    if wanted home; then
        scenario "$S_HOME" 200 get.lua "$BASE/"
        scenario "$S_HOME_SIGNED" 200 get.lua "$BASE/" "${member_cookie[@]}"
    fi
    if wanted tag; then
        scenario "$S_TAG" 200 get.lua "$BASE/tags/$(urlencode "$TAG")"
        scenario "$S_TAG_SIGNED" 200 get.lua "$BASE/tags/$(urlencode "$TAG")" "${member_cookie[@]}"
    fi
    if wanted signed; then
        scenario "$S_SIGNED" 200 get.lua "$BASE$THREAD10" "${member_cookie[@]}"
        if wanted thread10 && ! $SMOKE; then
            signed_pairs
            PAIRED_RATIO=$PAIRS_MEDIAN PAIRED_RANGE=$PAIRS_RANGE
        fi
    fi
    if wanted gzip; then
        # What every browser sends: the page comes compressed.
        local browser_asks=(-H "Accept-Encoding: gzip, deflate, br, zstd")
        scenario "$S_ANON_GZIP" 200 get.lua "$BASE$THREAD10" "${browser_asks[@]}"
        scenario "$S_SIGNED_GZIP" 200 get.lua "$BASE$THREAD10" "${browser_asks[@]}" \
            "${member_cookie[@]}"
        scenario "$S_HOME_SIGNED_GZIP" 200 get.lua "$BASE/" "${browser_asks[@]}" \
            "${member_cookie[@]}"
        if wanted signed && ! $SMOKE; then
            signed_pairs "${browser_asks[@]}"
            PAIRED_GZIP_RATIO=$PAIRS_MEDIAN PAIRED_GZIP_RANGE=$PAIRS_RANGE
        fi
    fi
    if wanted changing; then changing_scenarios; fi
    if wanted answer; then answer_scenario; fi
    if wanted search || wanted login; then
        # Both need many client addresses, claimed in X-Forwarded-For.
        stop_server
        TRUST_PROXY=true start_server
        if wanted search; then search_scenario; fi
        if wanted login; then login_scenario; fi
    fi
}

# The 10-answer page, anonymous then signed in, while the community changes about ten times a
# second: the bench member votes on a post of the 30-answer thread and takes the vote back,
# again and again. Each vote is a commit, after which every page kept in memory is out of
# date, as on a busy community; the run then measures how readers fare while pages are
# rendered again.
changing_scenarios() {
    local page="$RUN_DIR/changing.html" post
    curl -s -H "Cookie: stoa_session=$SESSION" "$BASE$THREAD30" -o "$page"
    post=$(grep -o 'class="vote up[^"]*" name="[a-z]*" value="[0-9]*"' "$page" | head -n 1 |
        sed 's/.*value="\([0-9]*\)"/\1/')
    if [[ -z "$post" ]]; then
        record_failure "content changing" "no vote button for the bench member on $THREAD30"
        skip_row "$S_ANON_CHANGING" "not run: no post to vote on"
        return 0
    fi
    local name changes
    for name in "$S_ANON_CHANGING" "$S_SIGNED_CHANGING"; do
        changes="$RUN_DIR/changes-${#ROWS[@]}.txt"
        : >"$changes"
        (
            while :; do
                for vote in up none; do
                    curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
                        -H "Cookie: stoa_session=$SESSION" -H "Origin: $BASE" \
                        --data-urlencode "csrf=$SESSION_CSRF" -d "$vote=$post" "$BASE/votes" >>"$changes"
                    sleep 0.1
                done
            done
        ) &
        local changer=$!
        if [[ "$name" == "$S_SIGNED_CHANGING" ]]; then
            scenario "$name" 200 get.lua "$BASE$THREAD10" -H "Cookie: stoa_session=$SESSION"
        else
            scenario "$name" 200 get.lua "$BASE$THREAD10"
        fi
        kill "$changer" 2>/dev/null
        wait "$changer" 2>/dev/null || true
        local made refused
        made=$(grep -c '^303$' "$changes" || true)
        refused=$(grep -vc '^303$' "$changes" || true)
        NOTES+=("$name: $made votes changed the content during the scenario (each from $BASE/votes, 303)$( ((refused == 0)) || echo "; $refused were not accepted")")
        if $SMOKE && ((made == 0 || refused > 0)); then
            record_failure "$name" "the votes that change content: $made accepted, $refused not"
        fi
    done
}

# The signed-in ÷ anonymous ratio again, from PAIRS alternating runs of PAIR_SECONDS each
# (anonymous, then signed in), as the median of the pairs' ratios (PAIRS_MEDIAN, and
# PAIRS_RANGE): on a machine shared with other guests the speed drifts by a quarter within a
# minute, and two runs ten seconds apart measure that drift as much as the pages. Options are
# given to wrk for both (such as the Accept-Encoding browsers send).
PAIRS=5 PAIR_SECONDS=3
signed_pairs() {
    PAIRS_MEDIAN="" PAIRS_RANGE=""
    settle "signed-in pairs" || return 0
    local ratios=() i anon signed
    for ((i = 0; i < PAIRS; i++)); do
        anon=$(pair_run "$BASE$THREAD10" "$@")
        signed=$(pair_run "$BASE$THREAD10" "$@" -H "Cookie: stoa_session=$SESSION")
        ratios+=("$(awk -v s="$signed" -v a="$anon" 'BEGIN { if (a > 0) printf "%.1f", 100 * s / a; else print 0 }')")
    done
    local sorted
    sorted=$(printf '%s\n' "${ratios[@]}" | sort -g | paste -sd' ' -)
    PAIRS_MEDIAN=$(awk '{ print $(int((NF + 1) / 2)) }' <<<"$sorted")
    PAIRS_RANGE="$(awk '{ print $1 }' <<<"$sorted")–$(awk '{ print $NF }' <<<"$sorted")"
    log "  signed-in ÷ anonymous in $PAIRS alternating pairs${1:+ ($*)}: ${ratios[*]} (median $PAIRS_MEDIAN %)"
}

# pair_run URL [wrk options...]: requests a second in one short wrk run.
pair_run() {
    local url="$1"
    shift
    STOA_BENCH_LUA="$LUA_DIR" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${PAIR_SECONDS}s" \
        --timeout 10s -s "$LUA_DIR/get.lua" "$url" "$@" 2>/dev/null |
        awk '/^BENCH / { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
             printf "%.0f", (r["duration_us"] > 0 ? r["requests"] * 1e6 / r["duration_us"] : 0) }'
}

# Searching: queries made of two or three words from the community's own titles (as readers
# type them), each request a different one.
search_scenario() {
    local queries="$RUN_DIR/search-queries.txt"
    db_query "SELECT title FROM threads WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 500" |
        tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' ' ' |
        awk '{ n = 0; q = ""; for (i = 1; i <= NF && n < 3; i++) if (length($i) > 3) { q = q (n ? " " : "") $i; n++ } if (n >= 2) print q }' |
        while read -r q; do urlencode "$q"; printf '\n'; done >"$queries"
    if [[ ! -s "$queries" ]]; then
        record_failure "$S_SEARCH" "no titles to make queries from"
        skip_row "$S_SEARCH" "not run: no queries"
        return 0
    fi
    local first
    first=$(head -n 1 "$queries")
    settle "$S_SEARCH" || return 0
    if ! preflight 200 -H "X-Forwarded-For: 192.0.2.2" "$BASE/search?q=$first"; then
        record_failure "$S_SEARCH" "preflight: $PREFLIGHT_ERROR"
        skip_row "$S_SEARCH" "not run: $PREFLIGHT_ERROR"
        return 0
    fi
    run_wrk "$S_SEARCH" search.lua "$BASE/" -- "$queries"
    NOTES+=("search: $(wc -l <"$queries") different queries of two or three words from titles, one per request, each from its own X-Forwarded-For address (the limit is 60 searches a minute per address)")
}

# Posting answers: checks one through the form first, then counts the posts stored during
# the run, which proves that every request carried its own idempotency key.
answer_scenario() {
    local first=${WRITE_THREADS%%,*}
    settle "$S_ANSWER" || return 0
    if ! preflight 303 -H "Origin: $BASE" -H "Cookie: stoa_session=$SESSION" \
        --data-urlencode "csrf=$SESSION_CSRF" -d "key=bench-preflight-$NONCE" \
        --data-urlencode "body=A preflight answer, posted once before the load." \
        "$BASE/q/$first/answer"; then
        record_failure "$S_ANSWER" "preflight: $PREFLIGHT_ERROR"
        skip_row "$S_ANSWER" "not run: $PREFLIGHT_ERROR"
        return 0
    fi
    local before after
    before=$(post_count)
    run_wrk "$S_ANSWER" answer.lua "$BASE/" -- "$SESSION_CSRF" "$SESSION" "$NONCE" "$WRITE_THREADS" "$BASE"
    after=$(post_count)
    local stored=$((after - before)) counted=${REQS[$S_ANSWER]:-0}
    NOTES+=("answers: $stored stored during the run ($counted responses counted by wrk; requests still in flight at the end may add a few), posted as $SIGNED_IN to threads $WRITE_THREADS")
    # Fewer stored than answered means keys repeated (the server then returns the earlier post).
    if ((stored < counted)); then record_failure "$S_ANSWER" "only $stored answers stored for $counted responses"; fi
}

# Logging in, on a server restarted to trust X-Forwarded-For (see bench/lua/login.lua).
login_scenario() {
    guest_form
    if ! preflight 303 -H "Origin: $BASE" -H "Cookie: stoa_form=$GUEST_SECRET" \
        -H "X-Forwarded-For: 192.0.2.1" --data-urlencode "csrf=$GUEST_CSRF" \
        -d "login=$SIGNED_IN" --data-urlencode "password=$PASSWORD" -d next=/ "$BASE/login"; then
        record_failure "$S_LOGIN" "preflight: $PREFLIGHT_ERROR"
        skip_row "$S_LOGIN" "not run: $PREFLIGHT_ERROR"
        return 0
    fi
    run_wrk "$S_LOGIN" login.lua "$BASE/" -- "$GUEST_CSRF" "$GUEST_SECRET" "$SIGNED_IN" "$PASSWORD" "$BASE"
    RSS[$S_LOGIN]="${RSS[$S_LOGIN]:-} (new process)"
    NOTES+=("log in: as $SIGNED_IN with the correct password; the server ran with STOA_TRUST_PROXY_HEADERS=true and each request sent its own X-Forwarded-For, simulating many clients (the limits are 6 log-ins a minute and 30 an hour per address); argon2 makes this CPU-bound by design")
}

# Percent-encodes $1 byte by byte (LC_ALL=C), for a path segment or a query value.
urlencode() {
    local LC_ALL=C s="$1" out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case "$c" in
            [a-zA-Z0-9.~_-]) out+="$c" ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}

# ---------------------------------------------------------------------------------------------
# Report

ms() { awk -v us="$1" 'BEGIN { if (us == "") print "—"; else printf "%.2f ms", us / 1000 }'; }
thousands() { sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|[^0-9]\)/\1,\2\3/; ta' <<<"$1"; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f %%", 100 * a / b; else print "n/a" }'; }

TABLES=""

# Appends the current community's table, ratios and notes to TABLES.
report_community() {
    local t name
    t+=$'\n'"### $BACKEND, $SIZE ($(thousands "$POSTS") posts): ${DURATION} s per scenario, $CONNECTIONS connections, $WRK_THREADS wrk threads"$'\n\n'
    t+="| scenario | req/s | p50 | p95 | p99 | errors | server peak RSS | server CPU a request |"$'\n'
    t+="|---|---:|---:|---:|---:|---|---:|---:|"$'\n'
    for name in "${ROWS[@]}"; do
        t+="| $name | $(thousands "${RPS[$name]}") | $(ms "${P50[$name]}") | $(ms "${P95[$name]}") | $(ms "${P99[$name]}") | ${ERRS[$name]} | ${RSS[$name]} | ${CPU[$name]:-—} |"$'\n'
    done
    t+=$'\n'
    local anon=${RPS[$S_THREAD10]:-} static=${RPS[$S_STATIC]:-} signed=${RPS[$S_SIGNED]:-}
    if [[ "$anon" =~ ^[0-9]+$ && "$static" =~ ^[0-9]+$ ]]; then
        t+="- ratio, anonymous thread page ÷ static file: $(percent "$anon" "$static") (target ≥ 50 %)"$'\n'
    fi
    if [[ "$anon" =~ ^[0-9]+$ && "$signed" =~ ^[0-9]+$ ]]; then
        t+="- ratio, signed-in ÷ anonymous thread page: $(percent "$signed" "$anon") (target ≥ 80 %)"$'\n'
    fi
    local anon_gzip=${RPS[$S_ANON_GZIP]:-} signed_gzip=${RPS[$S_SIGNED_GZIP]:-}
    if [[ "$anon_gzip" =~ ^[0-9]+$ && "$signed_gzip" =~ ^[0-9]+$ ]]; then
        t+="- ratio, signed-in ÷ anonymous thread page, gzip as browsers ask: $(percent "$signed_gzip" "$anon_gzip")"$'\n'
    fi
    local anon_changing=${RPS[$S_ANON_CHANGING]:-} signed_changing=${RPS[$S_SIGNED_CHANGING]:-}
    if [[ "$anon_changing" =~ ^[0-9]+$ && "$signed_changing" =~ ^[0-9]+$ ]]; then
        t+="- ratio, signed-in ÷ anonymous thread page while content changes: $(percent "$signed_changing" "$anon_changing")"$'\n'
    fi
    if [[ -n "$PAIRED_RATIO" ]]; then
        t+="- ratio, signed-in ÷ anonymous, median of $PAIRS alternating ${PAIR_SECONDS}-s pairs: $PAIRED_RATIO % (pairs from $PAIRED_RANGE %; target ≥ 80 %)"$'\n'
    fi
    if [[ -n "$PAIRED_GZIP_RATIO" ]]; then
        t+="- ratio, signed-in ÷ anonymous with gzip as browsers ask, median of $PAIRS alternating ${PAIR_SECONDS}-s pairs: $PAIRED_GZIP_RATIO % (pairs from $PAIRED_GZIP_RANGE %)"$'\n'
    fi
    t+="- pages: 10-answer thread $THREAD10 ($(thousands "$PAGE10_BYTES") bytes), 30-answer thread $THREAD30 ($(thousands "$PAGE30_BYTES") bytes), tag $TAG"$'\n'
    t+="- server RSS after start: $IDLE_RSS; peak RSS is the process's high-water mark so far (VmHWM)"$'\n'
    local not_counted=""
    if [[ $BACKEND == postgres ]]; then not_counted="; PostgreSQL's own processes are not counted"; fi
    t+="- server CPU a request: the stoa process's user and system time during the run ÷ the requests completed$not_counted"$'\n'
    local note
    for note in "${NOTES[@]}"; do t+="- $note"$'\n'; done
    TABLES+="$t"
    # The figures the cross-size targets need.
    for name in "$S_THREAD10" "$S_SIGNED" "$S_HOME" "$S_TAG" "$S_HOME_SIGNED" "$S_TAG_SIGNED"; do
        LAT_P50["$BACKEND|$SIZE|$name"]=${P50[$name]:-}
        LAT_P99["$BACKEND|$SIZE|$name"]=${P99[$name]:-}
    done
    # The main server's peak: the log-in scenario runs in a process of its own.
    PEAK_RSS["$BACKEND|$SIZE"]=${RSS[$S_ANSWER]:-}
    LOGIN_RSS["$BACKEND|$SIZE"]=${RSS[$S_LOGIN]:-}
}
declare -A LAT_P99=() LAT_P50=() PEAK_RSS=() LOGIN_RSS=()

# Targets that compare sizes: page latency at 1M posts within 1.5x of the smallest
# community (the dump: about 1k questions, 3k posts), and the server's memory at 1M posts.
report_targets() {
    local backend name t=""
    for backend in $BACKENDS; do
        for name in "$S_THREAD10" "$S_SIGNED" "$S_HOME" "$S_TAG" "$S_HOME_SIGNED" "$S_TAG_SIGNED"; do
            local p50s=${LAT_P50["$backend|dump|$name"]:-} p50b=${LAT_P50["$backend|1m|$name"]:-}
            local p99s=${LAT_P99["$backend|dump|$name"]:-} p99b=${LAT_P99["$backend|1m|$name"]:-}
            [[ -n "$p50s" ]] || continue
            if [[ -z "$p50b" && -n "${LAT_P50["$backend|1m|$name"]+set}" ]]; then
                t+="- $backend, $name: no latency at 1M posts (no response within the run, or not run: see its row; target ≤ 1.5× the dump's)"$'\n'
                continue
            fi
            [[ -n "$p50b" ]] || continue
            t+="- $backend, $name, at 1M posts ÷ at the dump: p50 $(ratio "$p50b" "$p50s"), p99 $(ratio "$p99b" "$p99s") (target ≤ 1.5×)"$'\n'
        done
        if [[ -n "${PEAK_RSS["$backend|1m"]:-}" ]]; then
            t+="- $backend: server peak RSS at 1M posts under load: ${PEAK_RSS["$backend|1m"]} through the posting scenario (target ≤ 150 MB); the log-in scenario's own process: ${LOGIN_RSS["$backend|1m"]:-}"$'\n'
        fi
    done
    [[ -z "$t" ]] || TABLES+=$'\n'"### Across sizes"$'\n\n'"$t"
}

# a ÷ b as "1.23×", or "n/a" when either is missing.
ratio() {
    if [[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[1-9][0-9]*$ ]]; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'
    else
        echo "n/a"
    fi
}

header() {
    local commit
    commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n "$(git -C "$REPO" status --porcelain 2>/dev/null)" ]]; then commit+=" (uncommitted changes)"; fi
    printf '## Stoa benchmark, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf -- '- commit %s; binary %s (built %s)\n' "$commit" "$BIN_SOURCE" "$BIN_BUILT"
    printf -- '- %s cores, %s; wrk and the server share them, so figures are lower bounds\n' \
        "$(nproc)" "$(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
    local passed
    passed=$(compgen -e | grep '^STOA_' | grep -vxE 'STOA_(DATA_DIR|BIND|BASE_URL|TRUST_PROXY_HEADERS|CONFIG|SMTP_URL|POST_GAP_SECONDS|POSTS_PER_DAY|MIN_FILL_SECONDS|APPROVAL_POSTS)' | paste -sd' ' - || true)
    if [[ -n "$passed" ]]; then printf -- '- settings from the environment: %s\n' "$passed"; fi
    if $SMOKE; then printf -- '- smoke run: the small fixture, not a measurement\n'; fi
}

# ---------------------------------------------------------------------------------------------

measure() {
    new_community "$1" "$2"
    ROWS=() NOTES=() PAIRED_RATIO="" PAIRED_RANGE="" PAIRED_GZIP_RATIO="" PAIRED_GZIP_RANGE="" RPS=() P50=() P95=() P99=() ERRS=() RSS=() REQS=() CPU=()
    NONCE=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
    stoa_cmd migrate >"$RUN_DIR/migrate.log" 2>&1 || { cat "$RUN_DIR/migrate.log" >&2; die "migrate failed"; }
    create_owner
    load_data
    find_targets
    # First start: copy the anonymous page to public/, which the server loads at start.
    start_server
    write_static_copy
    stop_server
    start_server
    IDLE_RSS=$(awk '/^VmRSS:/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status")
    sign_in_member
    run_scenarios
    stop_server
    report_community
}

main() {
    parse_args "$@"
    BASE="http://127.0.0.1:$PORT"
    ensure_tools
    resolve_bin
    wrk_threads
    WORK_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/stoa-bench.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    # Run a copy: a rebuild of target/ during the run must not swap the binary between
    # server restarts (or under a running server).
    BIN_SOURCE="$BIN"
    BIN_BUILT=$(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')
    cp "$BIN" "$WORK_ROOT/stoa"
    BIN="$WORK_ROOT/stoa"
    local backend size ran=0
    for backend in $BACKENDS; do
        for size in $SIZES; do
            if [[ "$size" == fixture && ! -d "$FIXTURE_DIR" ]]; then
                die "the smoke fixture is missing: $FIXTURE_DIR"
            fi
            if [[ "$size" != fixture && ! -d "$DUMP_DIR" ]]; then
                log "$backend, $size: skipped: ../shared dump not found ($DUMP_DIR)"
                TABLES+=$'\n'"### $backend, $size"$'\n\n'"skipped: ../shared dump not found"$'\n'
                continue
            fi
            measure "$backend" "$size"
            ran=$((ran + 1))
        done
    done
    $SMOKE || report_targets
    local report
    report="$(header)"$'\n'"$TABLES"
    printf '%s\n' "$report"
    if [[ -n "$OUT" ]]; then
        mkdir -p "$(dirname "$OUT")"
        printf '%s\n' "$report" >"$OUT"
        log "written: $OUT"
    fi
    if ((${#FAILURES[@]} > 0)); then
        log "" "FAILED:"
        printf '  %s\n' "${FAILURES[@]}" >&2
        exit 1
    fi
    if $SMOKE; then log "smoke: every scenario answered 2xx/3xx with no errors"; fi
}

main "$@"
