# Sourced by bench.sh: the "vrrp" section (SECTIONS=vrrp). Ucarp.Net's --vrrp=3 beside
# Debian's keepalived 2.2 (VRRPv3, multicast), priority 200 on host 1 and 100 on host 2,
# the same way in turn on fresh LANs:
#   failover   host 1 stopped and killed at advert_int 1 and 0.1: host 1's last advert ->
#              host 2's first gratuitous ARP, in ms and in intervals; the floor is 3
#              intervals plus the skew (156/256 of one at priority 100): 3.61 intervals
#   handover   host 1 told to stop (SIGTERM, ours with -z; each sends priority 0): that advert -> host
#              2's first gratuitous ARP; the floor is the skew time (609.4 / 60.9 ms)
#   many       MANY_GROUPS VRRPv3 groups per host: keepalived's vrrp_instances against one
#              --config daemon (many-groups.sh's round: PSS and CPU as master and as backup,
#              every group's takeover against its floor of 3609.4 ms)
# Goals (issue "Speak VRRP too"): failover no later than keepalived's and within 3 intervals
# plus the skew; PSS and CPU per host at most keepalived's.

vrrp_start() { # vrrp_start HOST PRIORITY ADVERT_INT LOG [OPTION...]: our VRRPv3 group in host's namespace
    local host=$1 prio=$2 int=$3 log=$4; shift 4
    # --manage-addresses: the address added by the daemon, as keepalived adds its own; an
    # upscript's fork and exec of ip would be measured too (the announcement follows it).
    ip netns exec "$lan-n$host" "$clone" -i eth0 -s "192.0.2.$host" -v 42 -a $vip --vrrp=3 --priority="$prio" --advert-int="$int" \
        --manage-addresses "$@" > "$log" 2>&1 &
}

vrrp_handover_round() { # vrrp_handover_round KIND ADVERT_INT: ms from host 1's priority-0 advert to host 2's ARP
    # -z: ours gives the address up on SIGTERM, and only then resigns, as keepalived does;
    # without it ours leaves the address, as ucarp does, and stays silent.
    local mac2; mac2=$(stopped_pair "$1" "$2" term -z)
    awk -v vip="$vip" -v mac="$mac2" '
        index($0, ": 192.0.2.1 > 224.0.0.18") && index($0, "prio 0,") && !zero { zero = $1 + 0 }
        $2 == mac && index($0, "who-has " vip " ") && zero > 0 && $1 + 0 > zero { printf "%.1f\n", ($1 - zero) * 1000; exit }' \
        "$work/$lan-stop.txt"
}

vrrp_section() {
    local lan r spec kind p i
    command -v keepalived >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived >/dev/null
    for spec in "o1 vrrp 1 1000" "k1 keepalived 1 1000" "o01 vrrp 0.1 100" "k01 keepalived 0.1 100"; do
        read -r lan kind p i <<< "$spec"; local name=$lan; lan=$prefix-v$lan
        echo "bench: vrrp failover and handover, $kind advert_int $p" >&2
        local f=() n=() h=()
        for r in $(seq 1 "$ROUNDS"); do
            read -r a b <<< "$(fast_round "$kind" "$p" "$i")"; f+=("${a:-timeout}"); n+=("${b:--}")
            h+=("$(vrrp_handover_round "$kind" "$p")")
        done
        result[vrrp-$name]="$(printf '%s\n' "${f[@]}" | median) ($(printf '%s\n' "${n[@]}" | median))"
        result[vrrp-$name-ho]=$(printf '%s\n' "${h[@]}" | grep -E '^[0-9.]+$' | median || true)
    done
    lan=$prefix
    for kind in keepalived3 vrrp; do
        echo "bench: vrrp many groups, $kind ($MANY_GROUPS groups, $MANY_SECONDS s idle)" >&2
        read -r "result[vrrp-many-$kind-pss1]" "result[vrrp-many-$kind-pss2]" "result[vrrp-many-$kind-cpu1]" "result[vrrp-many-$kind-cpu2]" \
                "result[vrrp-many-$kind-taken]" "result[vrrp-many-$kind-above]" "result[vrrp-many-$kind-end]" "result[vrrp-many-$kind-within]" \
                <<< "$(many_round "$kind")"
    done
}

vrrp_table() {
    r() { printf '%-50s %14s %14s\n' "$1" "$2" "$3"; }
    m() { r "$1" "${result[vrrp-many-vrrp-$2]:--}" "${result[vrrp-many-keepalived3-$2]:--}"; }
    printf '\n%-50s %14s %14s\n' "vrrp (VRRPv3, 200 / 100), ROUNDS=$ROUNDS, medians" "Ucarp.Net" "keepalived 2.2"
    r "failover advert_int 1, ms (intervals; floor 3.61)" "${result[vrrp-o1]:--}" "${result[vrrp-k1]:--}"
    r "failover advert_int 0.1, ms (intervals)" "${result[vrrp-o01]:--}" "${result[vrrp-k01]:--}"
    r "SIGTERM (-z): priority 0 -> ARP, int 1, ms (skew 609.4)" "${result[vrrp-o1-ho]:--}" "${result[vrrp-k1-ho]:--}"
    r "  advert_int 0.1, ms (skew 60.9)" "${result[vrrp-o01-ho]:--}" "${result[vrrp-k01-ho]:--}"
    m "$MANY_GROUPS groups: PSS, master host, KiB" pss1
    m "  PSS, backup host, KiB" pss2
    m "  CPU idle as master, ms per s ($MANY_SECONDS s)" cpu1
    m "  CPU idle as backup, ms per s ($MANY_SECONDS s)" cpu2
    m "  failover: groups announced by the backup" taken
    m "    above floor min/median/max, ms" above
    m "    groups within 100 ms of their floor" within
    local o1=${result[vrrp-o1]:--} k1=${result[vrrp-k1]:--} o01=${result[vrrp-o01]:--} k01=${result[vrrp-k01]:--}
    o1=${o1%% *} k1=${k1%% *} o01=${o01%% *} k01=${k01%% *}
    goal() { awk "BEGIN { print ($1) ? \"met\" : \"missed\" }" 2>/dev/null || echo -; }
    printf '%-50s %29s\n' "goal: failover no later than keepalived's" "$(goal "${o1:-1e9} <= ${k1:-0} + 5 && ${o01:-1e9} <= ${k01:-0} + 5")"
    # The ARP can only follow the master-down timer: 10 ms is left for the takeover's own work.
    printf '%-50s %29s\n' "goal: within 3 intervals plus the skew (+10 ms)" "$(goal "${o1:-1e9} <= 3609.4 + 10 && ${o01:-1e9} <= 360.9 + 10")"
    local v=vrrp-many-vrrp k=vrrp-many-keepalived3
    printf '%-50s %29s\n' "goal: PSS and CPU per host at most keepalived's" \
        "$(goal "${result[$v-pss1]:-1e9} <= ${result[$k-pss1]:-0} && ${result[$v-pss2]:-1e9} <= ${result[$k-pss2]:-0} && ${result[$v-cpu1]:-1e9} <= ${result[$k-cpu1]:-0} && ${result[$v-cpu2]:-1e9} <= ${result[$k-cpu2]:-0}")"
}
