#!/usr/bin/env bash
# Highest throughput through `spillway gateway --strategy passthrough` vs nginx as a reverse
# proxy (upstream keep-alive, access log off) to the same trivial upstream
# (examples/bench_upstream.rs), both driven by wrk with the same threads, connections and
# duration; the direct upstream rate for reference. Rounds alternate direct / gateway / nginx so
# that drifts in the machine's load hit all three alike; the table gives the median round.
#
#     bash bench/gateway-throughput.sh
#
# On 2 cores the load generator, the proxy and the upstream share the CPU. Two placements:
#   shared: nothing pinned; gateway with tokio's default runtime (one worker per CPU), nginx
#           with worker_processes = CPUs; upstream 1 thread; wrk -t$THREADS.
#   pinned: (needs 2+ CPUs) wrk and the upstream on CPU 0; the proxy alone on CPU 1 with ONE
#           worker (TOKIO_WORKER_THREADS=1 / worker_processes 1). This compares what each proxy
#           does with one core of its own; "direct" then has wrk and upstream sharing CPU 0.
# Both report the proxy's CPU time per request (user + system, all threads / workers), which
# is less sensitive to sharing than the rate.
#
# Knobs (environment): THREADS (wrk -t, 2), CONNS (wrk -c, 64), DURATION (s, 10), ROUNDS (3),
# PLACEMENT (both | shared | pinned), UPSTREAM_PORT (19001), GATEWAY_PORT (19080),
# NGINX_PORT (19090). Goal (issue): gateway >= 80% of nginx.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
PLACEMENT=${PLACEMENT:-both}
UPSTREAM_PORT=${UPSTREAM_PORT:-19001}
GATEWAY_PORT=${GATEWAY_PORT:-19080}
NGINX_PORT=${NGINX_PORT:-19090}
NCPU=$(nproc)

need curl nginx wrk taskset
build
for p in "$UPSTREAM_PORT" "$GATEWAY_PORT" "$NGINX_PORT"; do port_free "$p"; done
quiet_wait
notes=$(machine_notes)
case $PLACEMENT in
both) placements=(shared pinned) ;;
shared | pinned) placements=("$PLACEMENT") ;;
*) die "PLACEMENT must be both, shared or pinned" ;;
esac
if [[ $NCPU -lt 2 ]]; then
    placements=(shared)
fi

RESULTS="$SCRATCH/results.tsv" # placement target round rps requests errors proxy_ticks upstream_ticks busy_ticks total_ticks other_cpus

# children_ticks VAR: sets VAR to the CPU clock ticks of this shell's finished children (wrk, via
# timeout), from `times` (run in this shell: a $(...) subshell would see its own children only).
children_ticks() {
    times >"$SCRATCH/times"
    printf -v "$1" '%s' "$(awk -v hz="$CLK_TCK" 'NR == 2 {
        n = split($0, f, " "); t = 0
        for (i = 1; i <= n; i++) { split(f[i], a, "m"); sub(/s/, "", a[2]); t += a[1] * 60 + a[2] }
        printf "%d", t * hz }' "$SCRATCH/times")"
}
: >"$RESULTS"

# run_wrk PLACEMENT TARGET ROUND URL WRK_CPUS PROXY_PIDS...
run_wrk() {
    local placement=$1 target=$2 round=$3 url=$4 cpus=$5
    shift 5
    local proxy=("$@") out="$SCRATCH/wrk-$placement-$target-$round.txt" wrk_cmd=(wrk)
    [[ -n $cpus ]] && wrk_cmd=(taskset -c "$cpus" wrk)
    local p0 u0 p1 u1 b0 t0 b1 t1 w0 w1
    p0=$( ((${#proxy[@]})) && cpu_ticks "${proxy[@]}" || echo 0)
    u0=$(cpu_ticks "$UP")
    children_ticks w0
    read -r b0 t0 < <(machine_ticks)
    timeout $((DURATION + 30)) "${wrk_cmd[@]}" -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$url" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed against $target"; }
    read -r b1 t1 < <(machine_ticks)
    children_ticks w1
    p1=$( ((${#proxy[@]})) && cpu_ticks "${proxy[@]}" || echo 0)
    u1=$(cpu_ticks "$UP")
    local rps reqs errs
    rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
    reqs=$(awk '/requests in/{print $1}' "$out")
    errs=$(awk '/Non-2xx or 3xx responses:/{n+=$NF} /Socket errors:/{gsub(/,/,""); n+=$4+$6+$8+$10} END{print n+0}' "$out")
    [[ -n $rps && -n $reqs ]] || { cat "$out" >&2; die "could not read wrk's output"; }
    # Everything else that ran meanwhile (other tenants of the machine), in CPUs.
    local other
    other=$(awk -v b=$((b1 - b0)) -v p=$((p1 - p0)) -v u=$((u1 - u0)) -v w=$((w1 - w0)) -v t=$((t1 - t0)) -v n="$NCPU" \
        'BEGIN { o = (b - p - u - w) / t * n; printf "%.2f", (o < 0 ? 0 : o) }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$placement" "$target" "$round" "$rps" "$reqs" "$errs" \
        $((p1 - p0)) $((u1 - u0)) $((b1 - b0)) $((t1 - t0)) "$other" >>"$RESULTS"
    echo "  $placement round $round $target: $rps req/s ($errs errors; other load $other CPU)" >&2
}

for placement in "${placements[@]}"; do
    if [[ $placement == pinned ]]; then
        load_cpus=0
        proxy_cpus=1
        workers=1
    else
        load_cpus=""
        proxy_cpus=""
        workers=$NCPU
    fi
    if [[ -n $load_cpus ]]; then
        start upstream taskset -c "$load_cpus" "$EX/bench_upstream" --listen "127.0.0.1:$UPSTREAM_PORT" --threads 1
        UP=$LAST_PID
        start gateway env TOKIO_WORKER_THREADS="$workers" taskset -c "$proxy_cpus" "$BIN/spillway" gateway \
            --strategy passthrough --upstream "http://127.0.0.1:$UPSTREAM_PORT" --listen "127.0.0.1:$GATEWAY_PORT"
        GW=$LAST_PID
    else
        start upstream "$EX/bench_upstream" --listen "127.0.0.1:$UPSTREAM_PORT" --threads 1
        UP=$LAST_PID
        start gateway env TOKIO_WORKER_THREADS="$workers" "$BIN/spillway" gateway \
            --strategy passthrough --upstream "http://127.0.0.1:$UPSTREAM_PORT" --listen "127.0.0.1:$GATEWAY_PORT"
        GW=$LAST_PID
    fi
    start_nginx "nginx-$placement" "$workers" "127.0.0.1:$NGINX_PORT" "127.0.0.1:$UPSTREAM_PORT" "$proxy_cpus"
    NG=$LAST_PID
    wait_http "http://127.0.0.1:$UPSTREAM_PORT/"
    wait_http "http://127.0.0.1:$GATEWAY_PORT/healthz"
    wait_http "http://127.0.0.1:$NGINX_PORT/"
    # `env` execs, so $GW is the gateway's own PID.
    echo "$placement: upstream pid $UP, gateway pid $GW ($(ls /proc/"$GW"/task | wc -l) threads), nginx master pid $NG" >&2
    # Warm-up: open the proxies' upstream connections, fault in their memory.
    warm=(wrk)
    [[ -n $load_cpus ]] && warm=(taskset -c "$load_cpus" wrk)
    for url in "http://127.0.0.1:$GATEWAY_PORT/bench" "http://127.0.0.1:$NGINX_PORT/bench"; do
        timeout 10 "${warm[@]}" -t"$THREADS" -c"$CONNS" -d2s "$url" >/dev/null 2>&1 || true
    done
    for round in $(seq 1 "$ROUNDS"); do
        run_wrk "$placement" direct "$round" "http://127.0.0.1:$UPSTREAM_PORT/bench" "$load_cpus"
        run_wrk "$placement" gateway "$round" "http://127.0.0.1:$GATEWAY_PORT/bench" "$load_cpus" "$GW"
        run_wrk "$placement" nginx "$round" "http://127.0.0.1:$NGINX_PORT/bench" "$load_cpus" "$NG"
    done
    stop "$GW"
    stop "$UP"
    stop "$NG"
done

echo "## Gateway throughput (passthrough) vs nginx"
echo
echo "$notes"
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s, GET /bench, ${ROUNDS} rounds per placement (direct, gateway, nginx alternating); 13-byte answers"
echo "shared: nothing pinned, gateway $NCPU tokio workers, nginx worker_processes $NCPU, upstream 1 thread, wrk -t$THREADS: all on the same $NCPU CPUs"
echo "pinned: CPU 0 = wrk + upstream, CPU 1 = the proxy alone with one worker (TOKIO_WORKER_THREADS=1 / worker_processes 1)"
echo
echo "| placement | path | req/s (median round) | rounds (req/s) | errors | proxy CPU per request | upstream CPU per request | other load, each round | vs nginx (medians) | vs nginx, each round |"
echo "|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' -v hz="$CLK_TCK" -v ncpu="$NCPU" "$AWK_MEDIAN"'
{
    k = $1 SUBSEP $2
    if (!(k in rates)) { order[++n] = k; pl[k] = $1; tg[k] = $2 }
    rates[k] = rates[k] (rates[k] == "" ? "" : " ") $4
    rate[$1, $2, $3] = $4
    if ($3 > maxround) maxround = $3
    reqs[k] += $5; errs[k] += $6; pt[k] += $7; ut[k] += $8; busy[k] += $9; tot[k] += $10
    oth[k] = oth[k] (oth[k] == "" ? "" : ", ") $11
}
END {
    for (i = 1; i <= n; i++) { k = order[i]; med[k] = median(rates[k]) }
    for (i = 1; i <= n; i++) {
        k = order[i]
        proxy = (tg[k] == "direct") ? "-" : sprintf("%.1f us", pt[k] / hz * 1e6 / reqs[k])
        ups = sprintf("%.1f us", ut[k] / hz * 1e6 / reqs[k])
        ng = pl[k] SUBSEP "nginx"
        vs = (tg[k] == "direct" || !(ng in med)) ? "" : sprintf("%.0f%%", 100 * med[k] / med[ng])
        if (tg[k] == "gateway" && (ng in med)) vs = vs ((med[k] >= 0.8 * med[ng]) ? " (goal >= 80%: met)" : " (goal >= 80%: NOT met)")
        r = rates[k]; gsub(/ /, ", ", r)
        each = ""
        if (tg[k] != "direct" && (ng in med))
            for (j = 1; j <= maxround; j++)
                if ((pl[k], tg[k], j) in rate && (pl[k], "nginx", j) in rate)
                    each = each (each == "" ? "" : ", ") sprintf("%.0f%%", 100 * rate[pl[k], tg[k], j] / rate[pl[k], "nginx", j])
        printf "| %s | %s | %.0f | %s | %d | %s | %s | %s CPU | %s | %s |\n", pl[k], tg[k], med[k], r, errs[k], proxy, ups, oth[k], vs, each
    }
}' "$RESULTS"
echo
echo "proxy CPU per request = the proxy's user + system CPU time (all threads / worker processes) over the requests wrk completed."
echo "other load = machine busy time not spent by wrk, the upstream or the proxy (other tenants of this shared machine), in CPUs, per round: a round with more than ~0.1 is disturbed. Other tenants are not pinned: they can run on CPU 1 too."
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
