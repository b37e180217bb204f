#!/usr/bin/env bash
# The load generator's memory per outstanding attempt: loadgen against a server that holds every
# request for a long time (reference-gateway/examples/bench_upstream.rs --hold-ms 600000), with a
# client timeout longer than the run, so every attempt sent stays outstanding, each on its own
# connection. For each level N the script sends ~N intents over RAMP seconds, waits until all
# are sent, samples loadgen's RSS (/proc/PID/status VmRSS) and its established connections to the
# server (ss), then interrupts it (SIGINT) and reads the exact number of intents from
# results.json. Bytes per outstanding attempt = slope of RSS over outstanding attempts (least
# squares over the levels), connection included (user-space memory only: kernel socket buffers
# are not in RSS).
#
# Open files: one per connection on each side. The script raises `ulimit -n` as far as it is
# allowed (the hard limit, unless root may raise that too); levels above the limit are skipped,
# and 50k outstanding is then extrapolated from the slope. MIXED (default 50000) adds one run
# with that many outstanding attempts but connections capped near the limit: the rest wait for
# a connection (still outstanding, timed from their intended send), which shows the cost of an
# attempt without a connection.
#
#     bash bench/loadgen-memory.sh
#
# ATTRIBUTE_N (default 5000; 0 to skip) then runs loadgen/examples/conn_memory.rs against the
# same server: the RSS per item of bare TCP connections, of loadgen's lean HTTP/1.1 client and its hyper client with a pending
# request, of the same with a 1 KiB read buffer, and of idle tasks, to show where the memory goes.
#
# Knobs (environment): LEVELS ("100 5000 10000 15000 19000"), MIXED (50000; 0 to skip), RAMP
# (s, 10), ATTRIBUTE_N (5000), UPSTREAM_PORT (19303), CARGO_TARGET_DIR. Goal: under 8 KiB per
# outstanding attempt.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

LEVELS=${LEVELS:-"100 5000 10000 15000 19000"}
MIXED=${MIXED:-50000}
RAMP=${RAMP:-10}
UPSTREAM_PORT=${UPSTREAM_PORT:-19303}
URL="http://127.0.0.1:$UPSTREAM_PORT/hold"

need_time
need ss
build_tools
ATTRIBUTE_N=${ATTRIBUTE_N:-5000}
if [[ $ATTRIBUTE_N != 0 ]]; then
    (cd "$ROOT" && cargo build --release --locked -q -p spillway-loadgen --example conn_memory) >&2
fi

# Raise the open-file limit: first try well above 60k (works where root holds CAP_SYS_RESOURCE),
# else the hard limit.
ulimit -n 131072 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
CAP=$((NOFILE - 300)) # connections loadgen may open (each side needs one fd per connection)
echo "ulimit -n = $NOFILE: at most $CAP connections" >&2

quiet_wait
notes=$(tool_notes)
start_upstream "$UPSTREAM_PORT" --threads 1 --hold-ms 600000

RES="$SCRATCH/res.tsv" # label target intents conns rss_kib hwm_kib upstream_rss_kib connections_flag
: >"$RES"

# measure LABEL N CONNECTIONS_FLAG
measure() {
    local label=$1 n=$2 cflag=$3 out="$SCRATCH/lg-$1-$2" rate lg conns rss hwm urss intents rc
    rate=$(awk -v n="$n" -v r="$RAMP" 'BEGIN { printf "%.3f", n / r }')
    start "lg-$label-$n" "$SPILLWAY" loadgen run --target "$URL" --phases "${RAMP}s@$rate" --timeout 3600s \
        --connections "$cflag" --no-progress -o "$out.d"
    lg=$LAST_PID
    # Until every arrival has been sent and the connections have settled (bounded).
    sleep $((RAMP + 3))
    local prev=-1
    for _ in $(seq 1 30); do
        conns=$(ss -Htn state established "( dport = :$UPSTREAM_PORT )" 2>/dev/null | wc -l)
        [[ $conns == "$prev" ]] && break
        prev=$conns
        sleep 1
    done
    kill -0 "$lg" 2>/dev/null || { cat "$SCRATCH/lg-$label-$n.log" >&2; die "loadgen exited early"; }
    rss=$(awk '/^VmRSS:/{print $2}' /proc/"$lg"/status)
    hwm=$(awk '/^VmHWM:/{print $2}' /proc/"$lg"/status)
    urss=$(awk '/^VmRSS:/{print $2}' /proc/"$UP"/status)
    # Stop it: SIGINT writes the results (marked incomplete) after at most ~1 s more.
    kill -INT "$lg"
    rc=0
    for _ in $(seq 1 300); do
        kill -0 "$lg" 2>/dev/null || break
        sleep 0.1
    done
    stop "$lg"
    [[ -r $out.d/results.json ]] || { tail -5 "$SCRATCH/lg-$label-$n.log" >&2; die "loadgen wrote no results"; }
    # Intents still in flight at the interrupt are left out of the figures (counted in the
    # notes, bda8382), and here every intent is: offered counts the answered ones only.
    intents=$(json_get "$out.d/results.json" 'r["summary"]["offered"] + r.get("notes", {}).get("left_out", 0)')
    [[ $intents =~ ^[0-9]+$ && $intents -gt 0 ]] || die "results.json of $label N=$n counts no intents ($intents): the script no longer reads what loadgen writes"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$n" "$intents" "$conns" "$rss" "$hwm" "$urss" "$cflag" >>"$RES"
    echo "  $label N=$n: $intents intents, $conns connections, loadgen RSS $rss KiB" >&2
    # Let the server drop the closed connections before the next level.
    for _ in $(seq 1 100); do
        [[ $(ss -Htn state established "( sport = :$UPSTREAM_PORT )" 2>/dev/null | wc -l) == 0 ]] && break
        sleep 0.2
    done
}

skipped=""
for n in $LEVELS; do
    # Poisson counts vary: keep 4 standard deviations of headroom under the cap.
    if awk -v n="$n" -v c="$CAP" 'BEGIN { exit !(n + 4 * sqrt(n) + 10 > c) }'; then
        skipped+=" $n"
        continue
    fi
    measure conn "$n" "$CAP"
done
if [[ $MIXED != 0 ]]; then
    measure mixed "$MIXED" "$CAP"
fi

ATTR="$SCRATCH/attr.tsv"
: >"$ATTR"
if [[ $ATTRIBUTE_N != 0 ]]; then
    for mode in tcp lean hyper hyper-small-read tasks; do
        timeout 120 "$EX/conn_memory" "$URL" "$ATTRIBUTE_N" "$mode" >>"$ATTR" || die "conn_memory $mode failed"
        tail -1 "$ATTR" >&2
        for _ in $(seq 1 100); do
            [[ $(ss -Htn state established "( sport = :$UPSTREAM_PORT )" 2>/dev/null | wc -l) == 0 ]] && break
            sleep 0.2
        done
    done
fi

echo "## Load generator: memory per outstanding attempt"
echo
echo "$notes"
echo "ulimit -n $NOFILE (hard limit $(ulimit -Hn)); loadgen --connections $CAP; target bench_upstream --threads 1 --hold-ms 600000 (holds every request 10 min)"
echo "command: spillway loadgen run --target $URL --phases ${RAMP}s@(N/$RAMP) --timeout 3600s --connections $CAP --no-progress; RSS sampled ~3 s after the last arrival, then SIGINT"
[[ -n $skipped ]] && echo "levels skipped (over the open-file limit):$skipped"
echo
echo "| run | outstanding attempts (intents sent) | with a connection (ss) | loadgen RSS | peak (VmHWM) | RSS above the smallest level | per attempt vs the smallest level | upstream RSS |"
echo "|---|---|---|---|---|---|---|---|"
awk -F'\t' '
{ row[NR] = $0 }
END {
    # baseline: the smallest "conn" level
    for (k = 1; k <= NR; k++) { split(row[k], f, "\t"); if (f[1] == "conn" && (b == "" || f[3] < bi)) { b = k; bi = f[3]; br = f[5] } }
    for (k = 1; k <= NR; k++) {
        split(row[k], f, "\t")
        d = f[5] - br
        per = (f[3] > bi) ? sprintf("%.0f B", d * 1024 / (f[3] - bi)) : "-"
        printf "| %s | %d | %d | %.1f MiB | %.1f MiB | %.1f MiB | %s | %.1f MiB |\n", (f[1] == "conn" ? "each on its own connection" : "mixed: connections capped"), f[3], f[4], f[5] / 1024, f[6] / 1024, d / 1024, per, f[7] / 1024
    }
}' "$RES"
echo
awk -F'\t' -v mixed="$MIXED" '
$1 == "conn" { n++; x[n] = $3; y[n] = $5 * 1024; sx += $3; sy += $5 * 1024 }
$1 == "mixed" { mx = $3; mc = $4; my = $5 * 1024 }
END {
    if (n < 2) { print "fewer than two levels: no slope"; exit }
    mxx = sx / n; myy = sy / n
    for (i = 1; i <= n; i++) { sxy += (x[i] - mxx) * (y[i] - myy); sxx += (x[i] - mxx) ^ 2 }
    if (sxx == 0) { print "error: every level counted the same intents: no slope"; exit 1 }
    slope = sxy / sxx; icpt = myy - slope * mxx
    for (i = 1; i <= n; i++) { r = y[i] - (icpt + slope * x[i]); ss += r * r; st += (y[i] - myy) ^ 2 }
    printf "least-squares fit over the %d connection levels: RSS = %.1f MiB + %.0f B x outstanding attempts (R^2 = %.4f); goal < 8 KiB (8192 B): %s\n", n, icpt / 1048576, slope, 1 - ss / st, (slope < 8192 ? "met" : "NOT met")
    printf "extrapolated to 50,000 outstanding attempts, each with its connection: %.0f MiB\n", (icpt + slope * 50000) / 1048576
    if (mx > 0) {
        w = mx - mc
        printf "mixed run: %d outstanding, %d with a connection, %d waiting for one: RSS %.1f MiB; the fit predicts %.1f MiB for %d connected attempts, so each waiting attempt costs about %.0f B\n", mx, mc, w, my / 1048576, (icpt + slope * mc) / 1048576, mc, (w > 0 ? (my - icpt - slope * mc) / w : 0)
    }
}' "$RES"
if [[ -s $ATTR ]]; then
    echo
    echo "where it goes (loadgen/examples/conn_memory.rs URL $ATTRIBUTE_N MODE, same server, same runtime flavour): RSS growth per item"
    echo
    echo "| layer | items | RSS growth | per item |"
    echo "|---|---|---|---|"
    awk -F'\t' '{
        d = ($1 == "tcp") ? "bare tokio TcpStream + a GET written" : ($1 == "lean") ? "loadgen::h1 (the default for http), one pending request per connection" : ($1 == "hyper") ? "loadgen::http::client (https, HTTP/2), one pending request per connection" : ($1 == "hyper-small-read") ? "hyper client with http1_read_buf_exact_size(1024), plain http" : "idle tokio task with a 1 KiB future, no socket"
        printf "| %s (%s) | %d | %.1f MiB | %s B |\n", $1, d, $2, ($4 - $3) / 1024, $5
    }' "$ATTR"
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
