# Sourced by bench.sh: the "follow" section (SECTIONS=follow). Follow mode (--follow-key) on
# the etcd section's three-member etcd: hosts 4 and 5 follow FOLLOW_KEY with the values n4
# and n5. Each of FOLLOW_ROUNDS rounds (default 20) names the other host with etcdctl put,
# the time taken just before etcdctl starts; the bridge's capture gives the named host's
# first gratuitous ARP for the address after it (the upscript, `ip addr add`, runs before
# it). Printed: the median, min and max of put -> ARP, and the median of etcdctl's own run
# (start to exit: its start-up and the put's round trip, which the first figure includes).
# Goal: a median under 100 ms.

FOLLOW_ROUNDS=${FOLLOW_ROUNDS:-20}
FOLLOW_KEY=/service/bench/leader

follow_section() {
    if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null
    fi
    echo "bench: follow mode, $FOLLOW_ROUNDS moves" >&2
    rm -rf "$work"/etcd-m*; etcd_up
    local cap=$work/follow.pcap tp; tp=$(capture "$cap" "arp")
    start_etcd 4 0 "$work/follow-4.log" --follow-key=$FOLLOW_KEY --follow-value=n4 > /dev/null
    start_etcd 5 0 "$work/follow-5.log" --follow-key=$FOLLOW_KEY --follow-value=n5 > /dev/null
    wait_for 10 grep -q "does not exist" "$work/follow-4.log"
    wait_for 10 grep -q "does not exist" "$work/follow-5.log"
    local i host t0 t1 rounds=$work/follow-rounds
    : > "$rounds"
    for i in $(seq 1 "$FOLLOW_ROUNDS"); do
        host=$(( i % 2 ? 4 : 5 ))
        t0=$(date +%s.%N)
        ip netns exec "$prefix-n4" etcdctl --endpoints="$etcd_urls" --dial-timeout=2s put $FOLLOW_KEY "n$host" > /dev/null
        t1=$(date +%s.%N)
        wait_for 5 holds $host || true
        echo "$host $t0 $t1 $(ip -n "$prefix-n$host" link show eth0 | awk '/link\/ether/ { print $2 }')" >> "$rounds"
        sleep 0.5
    done
    kill -INT "$tp"; sleep 0.3
    local arps=$work/follow-arps
    tcpdump -e -n -tt -r "$cap" 2>/dev/null | awk -v vip="$vip" 'index($0, "who-has " vip " ") && index($0, "tell " vip ",") { print $1, $2 }' > "$arps"
    # Per round: the first ARP from the named host's MAC after the put started.
    local ms
    ms=$(while read -r host t0 t1 mac; do
        awk -v t0="$t0" -v mac="$mac" '$2 == mac && $1 + 0 > t0 + 0 { printf "%.1f\n", ($1 - t0) * 1000; exit }' "$arps"
    done < "$rounds")
    local n; n=$(printf '%s\n' "$ms" | grep -c . || true)
    result[follow-moves]="$n/$FOLLOW_ROUNDS"
    result[follow-median]=$(printf '%s\n' "$ms" | median)
    result[follow-min]=$(printf '%s\n' "$ms" | sort -n | head -n 1)
    result[follow-max]=$(printf '%s\n' "$ms" | sort -n | tail -n 1)
    result[follow-etcdctl]=$(awk '{ printf "%.1f\n", ($3 - $2) * 1000 }' "$rounds" | median)
    lan_down "$prefix"
}

follow_table() {
    printf '\n%-46s %14s\n' "follow mode (--follow-key), $FOLLOW_ROUNDS moves" "Ucarp.Net"
    printf '%-46s %14s\n' "moves announced by the named host" "${result[follow-moves]:--}"
    printf '%-46s %14s\n' "etcdctl put -> its ARP, median ms" "${result[follow-median]:--}"
    printf '%-46s %14s\n' "  min / max, ms" "${result[follow-min]:--} / ${result[follow-max]:--}"
    printf '%-46s %14s\n' "  of which etcdctl's own run, median ms" "${result[follow-etcdctl]:--}"
    printf '%-46s %14s\n' "goal: median under 100 ms" \
        "$(awk -v m="${result[follow-median]:-}" 'BEGIN { print (m != "" && m + 0 < 100) ? "met" : "missed" }')"
}
