# Shared helpers of bench/gateway-*.sh (sourced, not run). Starts servers in the background,
# remembers their PIDs, and kills exactly those (by PID) on exit, whatever happens.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where `build` puts the binaries: cargo's target dir, CARGO_TARGET_DIR when set (the scripts ran
# $ROOT/target's binaries whatever was built, stale ones included).
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
[[ $TARGET_DIR == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
BIN="$TARGET_DIR/release"
EX="$TARGET_DIR/release/examples"
SCRATCH="$(mktemp -d /tmp/spillway-bench.XXXXXX)"
export RUST_BACKTRACE=0
STARTED=()   # PIDs we started
NGINX_PIDS=() # nginx masters (stopped with QUIT so the workers go with them)

cleanup() {
    local pid
    for pid in "${NGINX_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Bounded wait, then force.
    for _ in $(seq 1 50); do
        local alive=0
        for pid in "${STARTED[@]}" "${NGINX_PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    for pid in "${STARTED[@]}" "${NGINX_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "error: $*" >&2
    exit 1
}

need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null || die "\`$c\` not found: apt-get update && apt-get install -y nginx wrk"
    done
}

build() {
    echo "building (cargo build --release) ..." >&2
    (cd "$ROOT" && cargo build --release --locked -q &&
        cargo build --release --locked -q -p spillway-reference-gateway \
            --example bench_upstream --example bench_latency --example bench_queue_memory) >&2
}

# port_free PORT: fails if something already listens on 127.0.0.1:PORT.
port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        die "127.0.0.1:$1 is already in use (set the *_PORT variables)"
    fi
}

# wait_http URL: until it answers (bounded: 10 s).
wait_http() {
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "$1 did not answer within 10 s"
}

# start NAME CMD...: runs CMD in the background, logs to $SCRATCH/NAME.log, records the PID in
# LAST_PID (not via $(...): the process must be a child of this shell).
start() {
    local name=$1
    shift
    "$@" >"$SCRATCH/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED+=("$LAST_PID")
}

# stop PID: stop one process we started, bounded.
stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# start_nginx NAME WORKERS LISTEN UPSTREAM [TASKSET_CPUS]: nginx from bench/nginx.conf.template.
start_nginx() {
    local name=$1 workers=$2 listen=$3 upstream=$4 cpus=${5:-}
    local dir="$SCRATCH/$name"
    mkdir -p "$dir"
    sed -e "s|@DIR@|$dir|g; s|@WORKERS@|$workers|g; s|@LISTEN@|$listen|g; s|@UPSTREAM@|$upstream|g; s|@KEEPALIVE@|${NGINX_KEEPALIVE:-128}|g" \
        "$ROOT/bench/nginx.conf.template" >"$dir/nginx.conf"
    if [[ -n $cpus ]]; then
        taskset -c "$cpus" nginx -e "$dir/error.log" -c "$dir/nginx.conf" -p "$dir" >"$dir/stdout.log" 2>&1 &
    else
        nginx -e "$dir/error.log" -c "$dir/nginx.conf" -p "$dir" >"$dir/stdout.log" 2>&1 &
    fi
    LAST_PID=$!
    NGINX_PIDS+=("$LAST_PID")
}

# cpu_ticks PID...: user+system clock ticks of these processes and their direct children
# (nginx workers), all threads included.
cpu_ticks() {
    local total=0 pid kids k
    for pid in "$@"; do
        kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
        for k in $pid $kids; do
            if [[ -r /proc/$k/stat ]]; then
                # Fields after the ")" of the command name: utime is the 12th, stime the 13th.
                total=$((total + $(sed 's/^.*) //' /proc/"$k"/stat | awk '{print $12 + $13}')))
            fi
        done
    done
    echo "$total"
}

# machine_ticks: "busy total" jiffies of the whole machine (all CPUs), from /proc/stat.
machine_ticks() {
    awk '/^cpu /{busy=$2+$3+$4+$7+$8+$9; total=busy+$5+$6; print busy, total}' /proc/stat
}

CLK_TCK=$(getconf CLK_TCK)

# quiet_wait: waits (at most QUIET_WAIT seconds, default 180) until the machine is under 25% busy
# over 3 s, so a compiler or test run of another session does not land inside the measurement;
# prints what it found either way. It does not make a busy machine quiet: read the CPU notes.
quiet_wait() {
    local limit=${QUIET_WAIT:-180} waited=0 b0 t0 b1 t1 pct
    while :; do
        read -r b0 t0 < <(machine_ticks)
        sleep 3
        read -r b1 t1 < <(machine_ticks)
        pct=$(( 100 * (b1 - b0) / (t1 - t0 > 0 ? t1 - t0 : 1) ))
        if [[ $pct -lt 25 ]]; then
            echo "machine ${pct}% busy before the run (waited ${waited} s for quiet)" >&2
            QUIET_NOTE="machine ${pct}% busy just before the run (waited ${waited} s for < 25%)"
            return 0
        fi
        waited=$((waited + 3))
        if [[ $waited -ge $limit ]]; then
            echo "warning: machine still ${pct}% busy after ${waited} s: running anyway" >&2
            QUIET_NOTE="machine still ${pct}% busy after waiting ${waited} s for quiet: figures are noisier"
            return 0
        fi
    done
}
QUIET_NOTE="no quiet check"

machine_notes() {
    echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs, $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    local rev="not a git checkout"
    if git -C "$ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
        rev="commit $(git -C "$ROOT" rev-parse --short HEAD)"
        git -C "$ROOT" status --porcelain 2>/dev/null | grep -qv '^??' && rev="$rev + local changes"
    fi
    echo "tools: $(nginx -v 2>&1 | sed 's/.*: //' || true), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2 || true); tree: $rev"
    echo "$QUIET_NOTE"
}

# An awk function for the tables: median(s) of the space-separated numbers in s. An even count
# takes the mean of the middle two, so a median time and a median rate name the same runs.
# Use as: awk "$AWK_MEDIAN"' { ... }'
AWK_MEDIAN='
function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'
