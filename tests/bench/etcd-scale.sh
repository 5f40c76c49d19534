# Sourced by bench.sh: the "scale" section (SECTIONS=scale). Ucarp.Net's etcd election at
# SCALE_GROUPS (1,000) addresses per node: on the three-member etcd of the etcd section
# (hosts 1-3), hosts 4 (advskew 0) and 5 (advskew 100) each run ONE --config daemon with
# the same SCALE_GROUPS etcd groups, addresses 2001:db8::a:1 upwards (vhid 1 for all:
# etcd groups are told apart by their address), no scripts.
#   steady    once host 4 holds every address and host 5 watches: each daemon's RSS and
#             PSS, its CPU (every thread) over SCALE_SECONDS, and etcd's request rate
#             per node: the sum of grpc_server_started_total over the three members'
#             /metrics, first with host 4 alone (the holder's rate), then with both (the
#             backup's rate is the difference); the goal is at most 2 per node. The TCP
#             connections each daemon opens meanwhile (ActiveOpens in its namespace: one
#             per request before connections were kept, issue 31). And the leases
#             `etcdctl lease list` counts (one per node).
#   takeover  host 4's daemon SIGKILLed: until host 5's first and last unsolicited Neighbour
#             Advertisement (the SCALE_GROUPS-th distinct target, captured on the bridge),
#             goal TTL (5 s by default, 5694594) + 1 s; and until `ucarpctl status` shows every group MASTER
#             on host 5. ROUNDS rounds, medians.

SCALE_GROUPS=${SCALE_GROUPS:-1000}
SCALE_SECONDS=${SCALE_SECONDS:-60}

scale_ctl() { "$(dirname "$clone")/ucarpctl" --control="$work/scale-$1.sock" "${@:2}"; }
scale_count() { # scale_count HOST STATE: how many of host's groups ucarpctl shows in STATE
    { scale_ctl "$1" status --json 2>/dev/null || true; } | grep -o "\"state\":\"$2\"" | wc -l
}
scale_all() { [ "$(scale_count "$1" "$2")" -eq "$SCALE_GROUPS" ]; }  # scale_all HOST STATE
scale_config() { # scale_config HOST SKEW > FILE
    printf 'defaults --interface=eth0 --srcip=2001:db8::%s --pass=bench --vhid=1 --advskew=%s --etcd=%s\n' "$1" "$2" "$etcd_urls"
    local i
    for i in $(seq 1 "$SCALE_GROUPS"); do printf 'group g%s --addr=2001:db8::a:%x\n' "$i" "$i"; done
}
scale_start() { # scale_start HOST: host's daemon in the background, its pid in $work/scale-HOST.pid
    local skew=0; [ "$1" = 4 ] || skew=100
    scale_config "$1" "$skew" > "$work/scale-$1.conf"
    chmod 600 "$work/scale-$1.conf"   # it holds the password
    ip netns exec "$prefix-n$1" "$clone" --config="$work/scale-$1.conf" --control="$work/scale-$1.sock" \
        >> "$work/scale-$1.log" 2>&1 &
    echo $! > "$work/scale-$1.pid"
    disown   # SIGKILLed on purpose: no "Killed" from bash
}
scale_pid() { cat "$work/scale-$1.pid"; }
scale_pair() { # scale_pair: host 4 holding every address, host 5 backup of every one
    local t; t=$(date +%s%N)
    scale_start 4
    wait_for 120 scale_all 4 MASTER || echo "bench: scale: host 4 holds $(scale_count 4 MASTER) of $SCALE_GROUPS" >&2
    echo "bench: scale: host 4 MASTER of all in $(( ($(date +%s%N) - t) / 1000000 )) ms" >&2
    scale_start 5
    wait_for 60 scale_all 5 BACKUP || echo "bench: scale: host 5 is BACKUP of $(scale_count 5 BACKUP) of $SCALE_GROUPS" >&2
    sleep 3   # past the campaigns' and the first sweep's requests
}
scale_metrics() { # scale_metrics > FILE: every member's grpc_server_started_total lines, summed per method
    local m
    for m in 1 2 3; do ip netns exec "$prefix-n4" curl -s --max-time 2 "http://192.0.2.$m:2379/metrics" || true; done \
        | awk '/^grpc_server_started_total\{/ { match($0, /grpc_method="[^"]*"/); s[substr($0, RSTART + 13, RLENGTH - 14)] += $NF }
               END { for (k in s) printf "%s %.0f\n", k, s[k] }' | sort
}
scale_rate() { # scale_rate BEFORE AFTER: requests per s between two scale_metrics files; the methods to stderr
    awk -v s="$SCALE_SECONDS" 'NR == FNR { a[$1] = $2; next } { d = $2 - a[$1]; t += d; if (d) m = m " " $1 "=" d }
        END { printf "%.2f\n", t / s; print "bench: scale: requests in " s " s:" m > "/dev/stderr" }' "$1" "$2"
}
scale_opens() { # scale_opens HOST: the TCP connections host's namespace has opened (its daemon's, between the metrics' curls)
    ip netns exec "$prefix-n$1" awk '/^Tcp: [0-9]/ { print $6 }' /proc/net/snmp
}
scale_cpu() { awk -v d="$1" -v hz="$hz" -v s="$SCALE_SECONDS" 'BEGIN { printf "%.2f", d * 1000 / hz / s }'; }

scale_steady() {
    scale_start 4
    local t; t=$(date +%s%N)
    wait_for 120 scale_all 4 MASTER || echo "bench: scale: host 4 holds $(scale_count 4 MASTER) of $SCALE_GROUPS" >&2
    result[scale-start]=$(( ($(date +%s%N) - t) / 1000000 ))
    sleep 3
    echo "bench: scale: host 4 alone, $SCALE_SECONDS s" >&2
    scale_metrics > "$work/scale-m0"; sleep "$SCALE_SECONDS"; scale_metrics > "$work/scale-m1"
    result[scale-req4]=$(scale_rate "$work/scale-m0" "$work/scale-m1")
    scale_start 5
    wait_for 60 scale_all 5 BACKUP || echo "bench: scale: host 5 is BACKUP of $(scale_count 5 BACKUP) of $SCALE_GROUPS" >&2
    sleep 3
    result[scale-leases]=$(ip netns exec "$prefix-n4" etcdctl --endpoints="$etcd_urls" lease list 2>/dev/null | grep -c '^[0-9a-f]\+$' || true)
    echo "bench: scale: both, $SCALE_SECONDS s" >&2
    local p4 p5 a4 a5; p4=$(scale_pid 4); p5=$(scale_pid 5)
    a4=$(cpu_ticks "$p4"); a5=$(cpu_ticks "$p5")
    scale_metrics > "$work/scale-m2"
    local o4 o5; o4=$(scale_opens 4); o5=$(scale_opens 5)
    sleep "$SCALE_SECONDS"
    result[scale-conn4]=$(awk -v d=$(( $(scale_opens 4) - o4 )) -v s="$SCALE_SECONDS" 'BEGIN { printf "%.2f", d / s }')
    result[scale-conn5]=$(awk -v d=$(( $(scale_opens 5) - o5 )) -v s="$SCALE_SECONDS" 'BEGIN { printf "%.2f", d / s }')
    scale_metrics > "$work/scale-m3"
    result[scale-cpu4]=$(scale_cpu $(( $(cpu_ticks "$p4") - a4 )))
    result[scale-cpu5]=$(scale_cpu $(( $(cpu_ticks "$p5") - a5 )))
    local total; total=$(scale_rate "$work/scale-m2" "$work/scale-m3")
    result[scale-req5]=$(awk -v t="$total" -v h="${result[scale-req4]}" 'BEGIN { printf "%.2f", t - h }')
    result[scale-rss4]=$(rss_kib "$p4"); result[scale-rss5]=$(rss_kib "$p5")
    result[scale-pss4]=$(many_pss "$p4"); result[scale-pss5]=$(many_pss "$p5")
    [ "$(scale_count 4 MASTER)" -eq "$SCALE_GROUPS" ] && [ "$(scale_count 5 MASTER)" -eq 0 ] \
        || echo "bench: scale: moved during the window (host 4 MASTER of $(scale_count 4 MASTER), host 5 of $(scale_count 5 MASTER))" >&2
}

scale_takeover() { # scale_takeover ROUND: "ms_to_last_NA ms_to_first_NA ms_to_all_MASTER", both settled before
    local cap=$work/scale-$1.pcap tp
    tp=$(capture "$cap" "icmp6 and ip6[40] == 136" "$prefix-br" br0 --immediate-mode -c $((SCALE_GROUPS * 4)))
    local t0; t0=$(date +%s.%N)
    kill -9 "$(scale_pid 4)"
    local master=timeout
    if wait_for 30 scale_all 5 MASTER; then
        master=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
    else
        echo "bench: scale: round $1: host 5 MASTER of $(scale_count 5 MASTER) of $SCALE_GROUPS after 30 s" >&2
    fi
    sleep 1; kill -INT "$tp" 2>/dev/null || true; sleep 0.5
    local mac5; mac5=$(ip -n "$prefix-n5" link show eth0 | awk '/link\/ether/ { print $2 }')
    local na
    na=$(tcpdump -e -n -tt -r "$cap" 2>/dev/null | awk -v t0="$t0" -v mac="$mac5" -v n="$SCALE_GROUPS" '
        $2 == mac && $1 + 0 > t0 && match($0, /tgt is [0-9a-f:]+/) {
            a = substr($0, RSTART + 7, RLENGTH - 7); if (!(a in seen)) { seen[a]; if (++k == 1) first = $1; if (k == n) last = $1 }
        }
        END { if (k < n) print "only " k > "/dev/stderr"; else printf "%.0f %.0f", (last - t0) * 1000, (first - t0) * 1000 }' 2>"$work/scale-na.err")
    [ -s "$work/scale-na.err" ] && echo "bench: scale: round $1: host 5 announced $(cat "$work/scale-na.err") addresses" >&2
    echo "${na:-timeout -} $master"
}

scale_section() {
    if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null || ! command -v curl >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server etcd-client curl >/dev/null
    fi
    rm -rf "$work"/etcd-m* "$work"/scale-*; etcd_up
    ip -n "$prefix-n4" addr add 2001:db8::4/64 dev eth0 nodad
    ip -n "$prefix-n5" addr add 2001:db8::5/64 dev eth0 nodad
    scale_steady
    local r na=() first=() ms=() a b c
    for r in $(seq 1 "$ROUNDS"); do
        echo "bench: scale: takeover round $r" >&2
        if [ "$r" -gt 1 ]; then
            kill -9 "$(scale_pid 5)" 2>/dev/null || true
            scale_pair
        fi
        read -r a b c <<< "$(scale_takeover "$r")"
        na+=("$a"); first+=("$b"); ms+=("$c")
    done
    result[scale-na]=$(printf '%s\n' "${na[@]}" | median)
    result[scale-first]=$(printf '%s\n' "${first[@]}" | median)
    result[scale-master]=$(printf '%s\n' "${ms[@]}" | median)
    result[scale-rounds]="${na[*]} / ${ms[*]}"
    # What the daemons said besides their state changes.
    local other; other=$(cat "$work"/scale-4.log "$work"/scale-5.log | grep -v "Switching to state" | sed -E 's/^[^ ]* //; s/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -n 8 || true)
    [ -z "$other" ] || printf 'bench: scale: other log lines (count, line):\n%s\n' "$other" >&2
    [ -z "${SCALE_LOGS:-}" ] || cp "$work"/scale-*.log "$work"/scale-*.pcap "$SCALE_LOGS"/   # kept for a look
    lan_down "$prefix"
}

scale_table() {
    r() { printf '%-46s %14s %14s\n' "$1" "$2" "$3"; }
    printf '\n%-46s %14s %14s\n' "etcd at scale ($SCALE_GROUPS addresses per node)" "holder" "backup"
    r "RSS, KiB" "${result[scale-rss4]:--}" "${result[scale-rss5]:--}"
    r "PSS, KiB" "${result[scale-pss4]:--}" "${result[scale-pss5]:--}"
    r "CPU, ms per s ($SCALE_SECONDS s)" "${result[scale-cpu4]:--}" "${result[scale-cpu5]:--}"
    r "etcd requests per s (goal 2 at most)" "${result[scale-req4]:--}" "${result[scale-req5]:--}"
    r "TCP connections opened per s" "${result[scale-conn4]:--}" "${result[scale-conn5]:--}"
    r "leases (etcdctl lease list)" "${result[scale-leases]:--}" ""
    r "start: all MASTER on a free etcd, ms" "${result[scale-start]:--}" ""
    r "SIGKILL to the first NA, ms" "" "${result[scale-first]:--}"
    r "SIGKILL to the last NA, ms (goal 6000)" "" "${result[scale-na]:--}"
    r "SIGKILL to $SCALE_GROUPS MASTER (ucarpctl), ms" "" "${result[scale-master]:--}"
    printf '%-46s %29s\n' "  rounds (last NA / MASTER), ms" "${result[scale-rounds]:--}"
}
