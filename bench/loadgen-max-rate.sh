#!/usr/bin/env bash
# The load generator's highest sustained rate against a trivial local hyper server
# (reference-gateway/examples/bench_upstream.rs, one thread, answers at once), side by side in
# one run with wrk and oha against the same server.
#
# spillway loadgen is open loop: `--target URL --phases ${DURATION}s@R --timeout 2s` sends
# Poisson arrivals at R/s whatever the server does and records every request's latency from its
# intended send time. The script raises R (x GROWTH from START_RATE) until a run is not
# sustained, then bisects: a run is sustained when goodput ratio >= 0.999 and the generator does
# not report itself lagging (send lateness p99 <= 1 ms, no unsent arrivals). wrk and oha are
# closed loop: CONNS connections each send the next request as soon as the last one is answered,
# so they report the most the server and the tool can do together, not a rate held on a schedule.
# All three share the machine's CPUs with the server.
#
# loadgen also runs closed loop (`[workload.closed] users = CONNS, think_time = "0s"`, the
# scenario written to the scratch dir): the same measurement as wrk's and oha's, in the same rounds.
#
# oha also has an open-loop mode (`-q R --latency-correction`: R requests/s on CONNS connections,
# latency from the scheduled time). The script searches its highest sustained R the same way:
# sustained when it achieves >= 99% of R without errors and its corrected p99 stays under
# OPEN_P99_MS (10 ms; a tool that falls behind shows seconds). loadgen's runs are judged by the
# same latency bound in that table, besides its own lateness verdict.
#
#     apt-get install -y wrk; cargo install oha --locked
#     bash bench/loadgen-max-rate.sh
#
# Knobs (environment): DURATION (s per run, 10), START_RATE (5000), GROWTH (1.5), MAX_STEPS (10),
# BISECT (3), CONNS (wrk/oha connections, 64), THREADS (wrk threads, 2), LG_THREADS (loadgen
# --threads; default one per CPU), OHA (path of oha),
# UPSTREAM_PORT (19301), CARGO_TARGET_DIR.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-sim-loadgen.sh"

DURATION=${DURATION:-10}
START_RATE=${START_RATE:-5000}
GROWTH=${GROWTH:-1.5}
MAX_STEPS=${MAX_STEPS:-10}
BISECT=${BISECT:-3}
CONNS=${CONNS:-64}
OPEN_P99_MS=${OPEN_P99_MS:-10}
THREADS=${THREADS:-2}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
UPSTREAM_PORT=${UPSTREAM_PORT:-19301}
URL="http://127.0.0.1:$UPSTREAM_PORT/bench"

need_time
need wrk curl
[[ -x $OHA ]] || die "oha not found (cargo install oha --locked, or set OHA=path)"
build_tools
quiet_wait
notes=$(tool_notes)

start_upstream "$UPSTREAM_PORT" --threads 1
echo "upstream pid $UP on $URL" >&2
timeout 10 wrk -t"$THREADS" -c"$CONNS" -d2s "$URL" >/dev/null 2>&1 || true # warm-up

CLOSED="$SCRATCH/closed.tsv" # tool round rps p50_ms p99_ms errors cpu_s rss_kib requests upstream_ticks
LG="$SCRATCH/lg.tsv"         # rate rc offered attempts goodput lat_p50 lat_p99 lat_max unsent lagging timeouts errors int_p50 int_p99 cpu_s rss_kib ok upstream_ticks wall_s
: >"$CLOSED"
: >"$LG"

run_wrk() {
    local round=$1 out="$SCRATCH/wrk-$1" u0 u1
    u0=$(cpu_ticks "$UP")
    timed_rc "$out" $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$URL"
    u1=$(cpu_ticks "$UP")
    [[ $(cat "$out.rc") == 0 ]] || { cat "$out.out" "$out.err" >&2; die "wrk failed"; }
    read -r _ rss user sys < <(time_fields "$out")
    awk -v round="$round" -v cpu="$(echo "$user + $sys" | bc -l)" -v rss="$rss" -v ut=$((u1 - u0)) '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^Requests\/sec:/ { rps = $2 }
        /requests in/ { reqs = $1 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { errs += $NF }
        /Socket errors:/ { gsub(/,/, ""); errs += $4 + $6 + $8 + $10 }
        END { printf "wrk\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", round, rps, p50, p99, errs, cpu, rss, reqs, ut }' "$out.out" >>"$CLOSED"
    echo "  wrk round $round: $(awk '/^Requests\/sec:/{print $2}' "$out.out") req/s" >&2
}

run_oha() {
    local round=$1 out="$SCRATCH/oha-$1" u0 u1
    u0=$(cpu_ticks "$UP")
    timed_rc "$out" $((DURATION + 30)) "$OHA" -z "${DURATION}s" -c "$CONNS" --no-tui --output-format json "$URL"
    u1=$(cpu_ticks "$UP")
    [[ $(cat "$out.rc") == 0 ]] || { cat "$out.out" "$out.err" >&2; die "oha failed"; }
    read -r _ rss user sys < <(time_fields "$out")
    python3 - "$out.out" "$round" "$user" "$sys" "$rss" $((u1 - u0)) >>"$CLOSED" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
ok = sum(v for k, v in r["statusCodeDistribution"].items() if k.startswith("2"))
bad = sum(v for k, v in r["statusCodeDistribution"].items() if not k.startswith("2"))
# "aborted due to deadline" is oha cutting the in-flight requests at the end of -z: not an error.
errs = bad + sum(v for k, v in r["errorDistribution"].items() if "deadline" not in k)
print(f"oha\t{sys.argv[2]}\t{s['requestsPerSec']:.2f}\t{p['p50']*1e3:.3f}\t{p['p99']*1e3:.3f}\t{errs}\t{float(sys.argv[3]) + float(sys.argv[4]):.2f}\t{sys.argv[5]}\t{ok + bad}\t{sys.argv[6]}")
EOF
    echo "  oha round $round: $(json_get "$out.out" 'round(r["summary"]["requestsPerSec"])') req/s" >&2
}

CLOSED_TOML="$SCRATCH/closed.toml"
cat >"$CLOSED_TOML" <<EOF2
# loadgen closed loop, as wrk -c$CONNS: $CONNS users, each sends again as soon as it is answered.
[run]
duration = "${DURATION}s"
[workload.closed]
users = $CONNS
think_time = "0s"
[clients]
timeout = "2s"
[[backend.services]]
name = "bench"
apis = ["x"]
workers = 1
service_time = "1ms"
EOF2

run_lg_closed() {
    local round=$1 out="$SCRATCH/lgc-$1" u0 u1
    u0=$(cpu_ticks "$UP")
    timed_rc "$out" $((DURATION + 60)) "$SPILLWAY" loadgen run "$CLOSED_TOML" --target "http://127.0.0.1:$UPSTREAM_PORT" \
        --no-progress ${LG_THREADS:+--threads "$LG_THREADS"} -o "$out.d"
    u1=$(cpu_ticks "$UP")
    [[ -r $out.d/results.json ]] || { cat "$out.err" >&2; die "loadgen closed loop failed"; }
    read -r _ rss user sys < <(time_fields "$out")
    python3 - "$out.d/results.json" "$round" "$user" "$sys" "$rss" $((u1 - u0)) >>"$CLOSED" <<'EOF2'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
l = s["latency"]
errs = s["offered"] - s["successes"]
print(f"spillway loadgen closed\t{sys.argv[2]}\t{s['offered'] / s['duration_s']:.2f}\t{l['p50']*1e3:.3f}\t{l['p99']*1e3:.3f}\t{errs}\t{float(sys.argv[3]) + float(sys.argv[4]):.2f}\t{sys.argv[5]}\t{s['offered']}\t{sys.argv[6]}")
EOF2
    echo "  loadgen closed round $round: $(tail -1 "$CLOSED" | cut -f3) req/s" >&2
}

# run_lg RATE: one loadgen run; sets LG_OK to 1 when sustained.
run_lg() {
    local rate=$1 out="$SCRATCH/lg-$1" u0 u1 rc line
    u0=$(cpu_ticks "$UP")
    timed_rc "$out" $((DURATION + 60)) "$SPILLWAY" loadgen run --target "$URL" --phases "${DURATION}s@$rate" \
        --timeout 2s --no-progress ${LG_THREADS:+--threads "$LG_THREADS"} -o "$out.d"
    u1=$(cpu_ticks "$UP")
    rc=$(cat "$out.rc")
    read -r wall rss user sys < <(time_fields "$out")
    LG_OK=0
    if [[ ! -r $out.d/results.json ]]; then
        tail -5 "$out.err" >&2
        printf '%s\t%s\t0\t0\t0\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t%s\t0\t%s\t%s\n' "$rate" "$rc" \
            "$(echo "$user + $sys" | bc -l)" "$rss" $((u1 - u0)) "$wall" >>"$LG"
        echo "  loadgen $rate/s: exit $rc, no results" >&2
        return 0
    fi
    # file metric count mean p50 p90 p99 p999 max lp99 unsent lagging offered attempts goodput timeouts errors duration
    local f i
    read -r -a f < <(lg_line "$out.d")
    read -r -a i < <("$EX/results_hist" "$out.d/results.json" intent_latency)
    if [[ $rc == 0 && ${f[11]} == false ]] && awk -v g="${f[14]}" 'BEGIN { exit !(g >= 0.999) }'; then
        LG_OK=1
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$rc" "${f[12]}" "${f[13]}" "${f[14]}" \
        "${f[4]}" "${f[6]}" "${f[8]}" "${f[10]}" "${f[11]}" "${f[15]}" "${f[16]}" "${i[4]}" "${i[6]}" \
        "$(echo "$user + $sys" | bc -l)" "$rss" "$LG_OK" $((u1 - u0)) "$wall" >>"$LG"
    echo "  loadgen $rate/s: goodput ratio ${f[14]}, lateness p99 ${f[6]} ms, lagging ${f[11]}, unsent ${f[10]} -> $([[ $LG_OK == 1 ]] && echo sustained || echo NOT sustained)" >&2
}

# run_oha_q RATE: oha open loop at RATE; sets OHA_OK to 1 when sustained.
OHAQ="$SCRATCH/oha-q.tsv" # rate achieved p50_ms p99_ms errors cpu_s ok
: >"$OHAQ"
run_oha_q() {
    local rate=$1 out="$SCRATCH/ohaq-$1" line
    timed_rc "$out" $((DURATION + 30)) "$OHA" -z "${DURATION}s" -c "$CONNS" -q "$rate" --latency-correction \
        --no-tui --output-format json "$URL"
    [[ $(cat "$out.rc") == 0 ]] || { cat "$out.out" "$out.err" >&2; die "oha -q failed"; }
    read -r _ _ user sys < <(time_fields "$out")
    line=$(python3 - "$out.out" "$rate" "$user" "$sys" "$OPEN_P99_MS" <<'EOF2'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
rate, limit = float(sys.argv[2]), float(sys.argv[5])
bad = sum(v for k, v in r["statusCodeDistribution"].items() if not k.startswith("2"))
errs = bad + sum(v for k, v in r["errorDistribution"].items() if "deadline" not in k)
ok = int(s["requestsPerSec"] >= 0.99 * rate and errs == 0 and p["p99"] * 1e3 <= limit)
print(f"{sys.argv[2]}\t{s['requestsPerSec']:.0f}\t{p['p50']*1e3:.3f}\t{p['p99']*1e3:.3f}\t{errs}\t{float(sys.argv[3]) + float(sys.argv[4]):.2f}\t{ok}")
EOF2
)
    echo "$line" >>"$OHAQ"
    OHA_OK=$(cut -f7 <<<"$line")
    echo "  oha -q $rate: $(cut -f2 <<<"$line") req/s, corrected p99 $(cut -f4 <<<"$line") ms -> $([[ $OHA_OK == 1 ]] && echo sustained || echo NOT sustained)" >&2
}

# search RUNNER OKVAR: raise the rate from START_RATE until a run is not sustained, then bisect;
# sets GOOD and BAD (0 when every step was sustained).
search() {
    local runner=$1 okvar=$2 rate=$START_RATE mid
    GOOD=0
    BAD=0
    for _ in $(seq 1 "$MAX_STEPS"); do
        "$runner" "$rate"
        if [[ ${!okvar} == 1 ]]; then
            GOOD=$rate
            rate=$(awk -v r="$rate" -v g="$GROWTH" 'BEGIN { printf "%d", int(r * g / 100 + 0.5) * 100 }')
        else
            BAD=$rate
            break
        fi
    done
    if [[ $BAD != 0 ]]; then
        for _ in $(seq 1 "$BISECT"); do
            mid=$(( (GOOD + BAD) / 200 * 100 ))
            [[ $mid -le $GOOD || $mid -ge $BAD ]] && break
            "$runner" "$mid"
            if [[ ${!okvar} == 1 ]]; then GOOD=$mid; else BAD=$mid; fi
        done
    fi
}

run_wrk 1
run_oha 1
run_lg_closed 1

search run_lg LG_OK
good=$GOOD
bad=$BAD
search run_oha_q OHA_OK
oha_good=$GOOD
oha_bad=$BAD

run_wrk 2
run_oha 2
run_lg_closed 2

echo "## Load generator: highest sustained rate vs wrk and oha"
echo
echo "$notes"
echo "target: bench_upstream (hyper, 1 thread, 13-byte answers) on $URL; everything on the same $(nproc) CPUs"
echo "wrk: wrk -t$THREADS -c$CONNS -d${DURATION}s --latency URL; oha $("$OHA" --version | cut -d' ' -f2): oha -z ${DURATION}s -c $CONNS --no-tui --output-format json URL (2 rounds each, before and after the loadgen runs)"
echo "loadgen: spillway loadgen run --target URL --phases ${DURATION}s@R --timeout 2s --no-progress${LG_THREADS:+ --threads $LG_THREADS} -o DIR"
echo
echo "### loadgen runs (open loop, Poisson arrivals)"
echo
echo "| R (intents/s) | exit | sent attempts/s | goodput ratio | send lateness p50 / p99 / max | unsent | lagging | latency p50 / p99 (from intended send) | timeouts / errors | loadgen CPU per request | loadgen CPUs busy | upstream CPU per request | peak RSS | sustained |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
sort -n -k1,1 "$LG" | awk -F'\t' -v hz="$CLK_TCK" -v d="$DURATION" '{
    a = $4 + 0
    printf "| %d | %s | %.0f | %s | %s / %s / %s ms | %s | %s | %s / %s ms | %s / %s | %s | %.2f | %s | %.1f MiB | %s |\n", $1, $2, a / d, $5, $6, $7, $8, $9, $10, $13, $14, $11, $12,
        (a > 0 ? sprintf("%.1f us", $15 / a * 1e6) : "-"), $15 / d, (a > 0 ? sprintf("%.1f us", $18 / hz / a * 1e6) : "-"), $16 / 1024, ($17 == 1 ? "yes" : "NO")
}'
echo
echo "### side by side"
echo
echo "| tool | mode | req/s | latency p50 / p99 | errors | generator CPU per request | upstream CPU per request | generator peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
awk -F'\t' -v hz="$CLK_TCK" -v conns="$CONNS" '{
    printf "| %s (round %s) | closed loop, %s connections | %.0f | %.3f / %.3f ms | %d | %.1f us | %.1f us | %.1f MiB |\n", $1, $2, conns, $3, $4, $5, $6, $7 / $9 * 1e6, $10 / hz / $9 * 1e6, $8 / 1024
}' "$CLOSED"
if [[ $good != 0 ]]; then
    awk -F'\t' -v g="$good" -v hz="$CLK_TCK" -v d="$DURATION" '$1 == g {
        printf "| spillway loadgen (highest sustained R = %d) | open loop, Poisson, per-request latency recorded | %.0f | %s / %s ms | %s | %.1f us | %.1f us | %.1f MiB |\n", g, $4 / d, $13, $14, $11 + $12, $15 / $4 * 1e6, $18 / hz / $4 * 1e6, $16 / 1024
    }' "$LG"
else
    echo "| spillway loadgen | open loop | no rate tried was sustained (lowest: $START_RATE/s) | | | | | |"
fi
echo
if [[ $bad == 0 ]]; then
    echo "highest sustained loadgen rate: >= $good intents/s (never failed up to the last step)"
else
    echo "highest sustained loadgen rate: $good intents/s (first unsustained: $bad/s)"
fi
echo
echo "### open loop side by side: oha -q R --latency-correction vs spillway loadgen"
echo
echo "| R | oha achieved req/s | oha corrected latency p50 / p99 | oha errors | oha CPU per request | sustained (>= 99% of R, p99 <= $OPEN_P99_MS ms) |"
echo "|---|---|---|---|---|---|"
sort -n -k1,1 "$OHAQ" | awk -F'\t' -v d="$DURATION" '{
    printf "| %d | %s | %s / %s ms | %s | %.1f us | %s |\n", $1, $2, $3, $4, $5, ($2 > 0 ? $6 / ($2 * d) * 1e6 : 0), ($7 == 1 ? "yes" : "NO")
}'
echo
awk -F'\t' -v lim="$OPEN_P99_MS" '$14 != "-" && $5 >= 0.999 && $14 <= lim { if ($1 > best) best = $1 } END { printf "loadgen, judged by the same bound (goodput >= 0.999, latency p99 from intended send <= %s ms): %d intents/s\n", lim, best }' "$LG"
if [[ $oha_bad == 0 ]]; then
    echo "oha open loop highest sustained rate: >= $oha_good req/s (never failed up to the last step)"
else
    echo "oha open loop highest sustained rate: $oha_good req/s (first unsustained: $oha_bad/s)"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
