# Shared helpers of bench/sim-*.sh and bench/loadgen-*.sh (sourced after lib.sh, not run).
# Honours CARGO_TARGET_DIR (a separate target dir avoids waiting on another build's lock).

# TARGET_DIR, BIN and EX: lib.sh's.
SPILLWAY="$BIN/spillway"

# build_tools [EXTRA CARGO ARGS...]: the release binary, the trivial upstream and the results
# reader (loadgen/examples/results_hist.rs).
build_tools() {
    echo "building (cargo build --release, target dir $TARGET_DIR) ..." >&2
    (cd "$ROOT" && cargo build --release --locked -q &&
        cargo build --release --locked -q -p spillway-reference-gateway --example bench_upstream &&
        cargo build --release --locked -q -p spillway-loadgen --example results_hist) >&2
}

# tool_notes: CPU model, CPUs, kernel, load, tree, in one paragraph.
tool_notes() {
    echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs ($(grep -m1 'cpu MHz' /proc/cpuinfo | sed 's/.*: //') MHz), $(free -g | awk '/^Mem:/{print $2}') GiB RAM, kernel $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    local rev="not a git checkout"
    if git -C "$ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
        rev="commit $(git -C "$ROOT" rev-parse --short HEAD)"
        git -C "$ROOT" status --porcelain 2>/dev/null | grep -qv '^??' && rev="$rev + local changes"
    fi
    echo "tree: $rev; $(rustc --version 2>/dev/null || echo 'rustc ?')"
    echo "$QUIET_NOTE"
}

# timed OUT_PREFIX CMD...: runs CMD under /usr/bin/time -v; stdout to OUT_PREFIX.out, stderr
# (with time's report) to OUT_PREFIX.err, wall time in ns to OUT_PREFIX.wall (time's own has
# 10 ms resolution): Python's perf_counter around the spawn and the wait. Timed with `date`
# around it, as it was, a 0.1 s process read 3-4 ms long (the two `date` processes' own
# start-up); /usr/bin/time's fork and exec are still in, about 1 ms. (Timed from Python
# without it, the peak RSS would be Python's: a process's maximum carries over its exec.)
# Fails if CMD fails.
timed() {
    local out=$1
    shift
    python3 - "$out" /usr/bin/time -v "$@" <<'PY' || {
import subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
with open(out + ".out", "wb") as o, open(out + ".err", "wb") as e:
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, stdout=o, stderr=e).returncode
    wall = time.perf_counter() - t0
with open(out + ".wall", "w") as f:
    f.write(f"{round(wall * 1e9)}\n")
sys.exit(0 if rc == 0 else 1)
PY
        tail -20 "$out.err" >&2
        die "failed: $*"
    }
}

# time_fields OUT_PREFIX: "wall_s max_rss_kib user_s sys_s" of a `timed` run.
time_fields() {
    awk -F': ' -v wall="$(cat "$1.wall")" '
        BEGIN { w = wall / 1e9 }
        /Maximum resident set size/ { rss = $2 }
        /User time \(seconds\)/ { u = $2 }
        /System time \(seconds\)/ { s = $2 }
        END { printf "%s %s %s %s\n", w, rss, u, s }' "$1.err"
}

# json_get FILE EXPR: a value from a JSON file (EXPR is Python, `r` is the parsed document).
json_get() {
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

need_time() {
    [[ -x /usr/bin/time ]] || die "/usr/bin/time not found: apt-get install -y time"
}

# timed_rc OUT_PREFIX LIMIT_S CMD...: like `timed`, but bounded by `timeout LIMIT_S` and the exit
# code is kept in OUT_PREFIX.rc instead of failing the script.
timed_rc() {
    local out=$1 limit=$2 t0 t1 rc=0
    shift 2
    t0=$(date +%s%N)
    /usr/bin/time -v timeout --kill-after=5 "$limit" "$@" >"$out.out" 2>"$out.err" || rc=$?
    t1=$(date +%s%N)
    echo $((t1 - t0)) >"$out.wall"
    echo "$rc" >"$out.rc"
}

# start_upstream PORT [ARGS...]: the trivial hyper server (reference-gateway/examples/
# bench_upstream.rs) in the background; sets UP to its PID and waits until it answers.
start_upstream() {
    local port=$1
    shift
    port_free "$port"
    start "upstream-$port" "$EX/bench_upstream" --listen "127.0.0.1:$port" "$@"
    UP=$LAST_PID
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    die "bench_upstream did not listen on 127.0.0.1:$port within 10 s"
}

# lg_line RESULTS_DIR: the results_hist line (send_lateness) of a loadgen run.
lg_line() {
    "$EX/results_hist" "$1/results.json" send_lateness
}
