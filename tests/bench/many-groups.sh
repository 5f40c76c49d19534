# Sourced by bench.sh: the "many groups" section (SECTIONS=many). MANY_GROUPS groups (255:
# every vhid), one address each, on hosts 1 (master) and 2 (backup) of one two-host LAN, run
# three ways in turn on the same LAN (at once they would hear each other's adverts, and each
# one's CPU would count the others' frames):
#   keepalived   Debian's keepalived 2.2, the groups as vrrp_instances (VRRPv2, advert_int 1,
#                priority 200 / 100) in one VRRP process per host
#   processes    one plain Ucarp.Net command line per group and host (-b 1, -k 0 / -k 100)
#   config       one Ucarp.Net daemon per host, --config=FILE declaring the same groups
# Both Ucarp.Net ways use --manage-addresses, as keepalived adds its addresses itself: no
# script runs. Per host: the PSS of the daemon processes (from /proc/PID/smaps_rollup) and
# their CPU per second over MANY_SECONDS, idle as master (host 1) and as backup (host 2).
# Then host 1 dies at one instant (its bridge port taken down, its processes stopped and
# killed) and host 2's eth0 capture gives, per group, the time from the group's last advert
# to host 2's first gratuitous ARP for its address, against the group's floor (3 x advbase +
# skew/256: 3609.4 ms for keepalived's priority 100, 3390.6 ms for -k 100), and the time from
# the death to the last group's announcement.

MANY_GROUPS=${MANY_GROUPS:-255}
# Which ways to run (MANY_KINDS="config" for the --config daemon alone).
# CPU is the scheduler's run time of every thread (ns, not 10 ms clock ticks: a backup's
# 1-2 ms per s was 6 to 12 ticks a minute, and two runs of the same binary read 1.3 and 1.8).
MANY_SECONDS=${MANY_SECONDS:-60}

many_vip() { # many_vip VHID: 198.51.100.1-127, then 203.0.113.1-128 (no network or broadcast address)
    if [ "$1" -le 127 ]; then echo "198.51.100.$1"; else echo "203.0.113.$(( $1 - 127 ))"; fi
}
many_held() { # many_held HOST: how many of the groups' addresses host holds
    ip -n "$prefix-n$1" -4 addr show dev eth0 | grep -cE 'inet (198\.51\.100|203\.0\.113)\.' || true
}
many_all() { [ "$(many_held "$1")" -eq "$2" ]; }  # many_all HOST N: host holds all N addresses
many_pids() { # many_pids HOST: the daemon processes in host's namespace (not tcpdump, not ip)
    local p
    for p in $(ip netns pids "$prefix-n$1"); do
        case $(cat "/proc/$p/comm" 2>/dev/null) in keepalived|ucarp) echo "$p" ;; esac
    done
}
many_pss() { # many_pss PID...: KiB of proportional set size, summed
    local p; for p in "$@"; do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }'
}
many_cpu_ns() { # many_cpu_ns PID...: run time in ns of every live thread of each, summed (schedstat)
    local p; for p in "$@"; do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
many_count() { # many_count FILE PATTERN: matching lines, 0 when none or no file
    grep -cE "$2" "$1" 2>/dev/null || true
}

many_keepalived_conf() { # many_keepalived_conf HOST PRIORITY [VERSION] > FILE (VRRPv2 unless VERSION says 3)
    printf 'global_defs {\n    router_id n%s\n    vrrp_version %s\n}\n' "$1" "${3:-2}"
    local v
    for v in $(seq 1 "$MANY_GROUPS"); do
        printf 'vrrp_instance g%s {\n    state BACKUP\n    interface eth0\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        %s/32\n    }\n}\n' \
            "$v" "$v" "$2" "$(many_vip "$v")"
    done
}
many_config() { # many_config HOST SKEW [PRIORITY] > FILE: the groups as one --config file (VRRPv3 at PRIORITY when given)
    printf '# %s groups, one address each, as %s command lines would run them\n' "$MANY_GROUPS" "$MANY_GROUPS"
    if [ -n "${3:-}" ]; then
        printf 'defaults -i eth0 -s 192.0.2.%s --vrrp=3 --priority=%s --advert-int=1 --manage-addresses\n' "$1" "$3"
    else
        printf 'defaults -i eth0 -s 192.0.2.%s -p bench -b 1 -k %s --manage-addresses\n' "$1" "$2"
    fi
    local v
    for v in $(seq 1 "$MANY_GROUPS"); do printf 'group g%s -v %s -a %s\n' "$v" "$v" "$(many_vip "$v")"; done
}
many_start() { # many_start KIND HOST: host's daemons, in the background; the log is $work/many-KIND-HOST.log
    local kind=$1 host=$2 log=$work/many-$1-$2.log skew=0 prio=200
    [ "$host" = 1 ] || { skew=100; prio=100; }
    case $kind in
        keepalived|keepalived3)
            # keepalived3: VRRPv3, beside the vrrp kind (the vrrp section).
            many_keepalived_conf "$host" "$prio" "$([ "$kind" = keepalived3 ] && echo 3 || echo 2)" > "$work/many-$host.ka.conf"
            ip netns exec "$prefix-n$host" keepalived -n -l -G -P -f "$work/many-$host.ka.conf" \
                -p "$work/many-ka-$host-$RANDOM.pid" -r "$work/many-ka-$host-$RANDOM.vrrp.pid" > "$log" 2>&1 & ;;
        processes)
            # One shell in the namespace starts them all: no `ip netns exec` per process.
            local v launcher=$work/many-launch-$host.sh
            { echo '#!/bin/sh'
              for v in $(seq 1 "$MANY_GROUPS"); do
                  echo "$clone -i eth0 -s 192.0.2.$host -v $v -p bench -a $(many_vip "$v") -b 1 -k $skew --manage-addresses >> $log 2>&1 &"
              done; } > "$launcher"
            ip netns exec "$prefix-n$host" sh "$launcher" ;;
        config|vrrp)
            many_config "$host" "$skew" "$([ "$kind" = vrrp ] && echo "$prio")" > "$work/many-$host.conf"
            ip netns exec "$prefix-n$host" "$clone" --config="$work/many-$host.conf" --control="$work/many-$host.sock" > "$log" 2>&1 & ;;
    esac
}
many_started() { # many_started KIND N: all N of host 2's groups have said they are backups
    [ "$(many_backups "$1")" -ge "$2" ]
}
many_backups() { many_count "$work/many-$1-2.log" "Switching to state: BACKUP|Entering BACKUP STATE"; }

many_round() { # many_round KIND: "PSS1 PSS2 CPU1 CPU2 taken min/median/max-above-floor after-death within-100"
    local kind=$1 n=$MANY_GROUPS floor=3390.625
    # VRRP at priority 100: 3 x 1 s + (256 - 100) / 256 s.
    [ "$kind" != processes ] && [ "$kind" != config ] && floor=3609.375
    lan_up "$prefix" 2
    many_start "$kind" 1
    wait_for 60 many_all 1 "$n" || { echo "bench: many $kind: host 1 holds $(many_held 1) of $n" >&2; }
    many_start "$kind" 2
    wait_for 60 many_started "$kind" "$n" || { echo "bench: many $kind: $(many_backups "$kind") backups on host 2" >&2; }
    # Past host 2's master-down interval, keepalived's second round of gratuitous ARPs (5 s)
    # and Ucarp.Net's MemoryTrim (8 s after its start at -b 1: one collection, then the
    # code it still runs paged back in): the window is the steady state, not the settling.
    sleep 9
    [ "$(many_held 1)" -eq "$n" ] && [ "$(many_held 2)" -eq 0 ] \
        || echo "bench: many $kind: not settled (host 1 holds $(many_held 1), host 2 $(many_held 2))" >&2
    local p1 p2; p1=$(many_pids 1); p2=$(many_pids 2)
    local a1 a2 b1 b2
    a1=$(many_cpu_ns $p1); a2=$(many_cpu_ns $p2)
    sleep "$MANY_SECONDS"
    b1=$(many_cpu_ns $p1); b2=$(many_cpu_ns $p2)
    local pss1 pss2; pss1=$(many_pss $p1); pss2=$(many_pss $p2)
    local cpu1 cpu2
    cpu1=$(awk -v d=$((b1 - a1)) -v s="$MANY_SECONDS" 'BEGIN { printf "%.2f", d / 1e6 / s }')
    cpu2=$(awk -v d=$((b2 - a2)) -v s="$MANY_SECONDS" 'BEGIN { printf "%.2f", d / 1e6 / s }')

    # Host 1 dies: nothing more of it reaches the LAN from this instant. Stopped before it is
    # killed, keepalived's VRRP child cannot resign (it would on its parent's death).
    local cap=$work/many-$kind.pcap tp
    tp=$(capture "$cap" "proto 112 or arp" "$prefix-n2" eth0 --immediate-mode -c 200000)
    sleep 2   # every group's last advert before the death is in the capture
    local death; death=$(date +%s.%N)
    ip -n "$prefix-br" link set p1 down
    local dead; dead=$(ip netns pids "$prefix-n1")
    [ -z "$dead" ] || { kill -STOP $dead 2>/dev/null; kill -9 $dead 2>/dev/null; } || true
    wait_for 30 many_all 2 "$n" || echo "bench: many $kind: host 2 took $(many_held 2) of $n" >&2
    sleep 1
    kill -INT "$tp"; sleep 0.5
    local mac2; mac2=$(ip -n "$prefix-n2" link show eth0 | awk '/link\/ether/ { print $2 }')
    # Per group: its last advert from host 1, host 2's first gratuitous ARP for its address
    # after it; CARP and VRRP adverts alike, as tcpdump decodes both as VRRP (the vhid as "vrid").
    tcpdump -e -n -tt -r "$cap" 2>/dev/null | awk -v mac="$mac2" '
        function vhid(a,  o) { split(a, o, "."); return (o[1] "." o[2] "." o[3] == "198.51.100") ? o[4] + 0 : o[4] + 127 }
        index($0, "192.0.2.1 > 224.0.0.18") && match($0, /vrid [0-9]+/) { last[substr($0, RSTART + 5, RLENGTH - 5) + 0] = $1 + 0 }
        $2 == mac && match($0, /who-has [0-9.]+ .*tell [0-9.]+/) {
            nw = split(substr($0, RSTART, RLENGTH), w, " "); v = vhid(w[2])
            if (w[2] == w[nw] && !(v in garp) && (v in last) && $1 + 0 > last[v]) { garp[v] = $1 + 0; printf "%d %.6f %.6f\n", v, last[v], garp[v] }
        }' > "$work/many-$kind.takeovers"
    local takeover
    takeover=$(awk -v floor="$floor" -v death="$death" '
        { a = ($3 - $2) * 1000 - floor; print a, $3 - death }' "$work/many-$kind.takeovers" | sort -n | awk '
        { a[NR] = $1; if ($2 > end) end = $2; if ($1 <= 100) ok++ }
        END { if (NR == 0) { print "0 - - 0"; exit }
              printf "%d %.1f/%.1f/%.1f %.0f %d\n", NR, a[1], a[int((NR + 1) / 2)], a[NR], end * 1000, ok }')
    lan_down "$prefix"
    echo "$pss1 $pss2 $cpu1 $cpu2 $takeover"
}

many_section() {
    local kind
    command -v keepalived >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived >/dev/null
    many_config 1 0 > "$work/many-check.conf"
    local kinds=${MANY_KINDS:-keepalived processes config}
    if ! "$clone" --config="$work/many-check.conf" --check-config > "$work/many-check.log" 2>&1; then
        echo "bench: many: $clone has no --config daemon yet ($(tail -n 1 "$work/many-check.log" | cut -c 1-160)); its column is left out" >&2
        kinds="keepalived processes"
    fi
    for kind in $kinds; do
        echo "bench: many groups, $kind ($MANY_GROUPS groups, $MANY_SECONDS s idle)" >&2
        read -r "result[many-$kind-pss1]" "result[many-$kind-pss2]" "result[many-$kind-cpu1]" "result[many-$kind-cpu2]" \
                "result[many-$kind-taken]" "result[many-$kind-above]" "result[many-$kind-end]" "result[many-$kind-within]" <<< "$(many_round "$kind")"
    done
}

many_table() {
    local k=keepalived p=processes c=config
    r() { printf '%-46s %14s %14s %14s\n' "$1" "${result[many-$k-$2]:--}" "${result[many-$p-$2]:--}" "${result[many-$c-$2]:--}"; }
    printf '\n%-46s %14s %14s %14s\n' "many groups: $MANY_GROUPS, 2 hosts" "keepalived 2.2" "$MANY_GROUPS processes" "--config"
    r "PSS, master host, KiB" pss1
    r "PSS, backup host, KiB" pss2
    r "CPU idle as master, ms per s ($MANY_SECONDS s)" cpu1
    r "CPU idle as backup, ms per s ($MANY_SECONDS s)" cpu2
    r "failover: groups announced by the backup" taken
    r "  above floor min/median/max, ms" above
    r "  death to the last announcement, ms" end
    r "  groups within 100 ms of their floor" within
    # The goals, for the --config daemon.
    local ka1=${result[many-$k-pss1]:-0} ka2=${result[many-$k-pss2]:-0} c1=${result[many-$c-pss1]:-} c2=${result[many-$c-pss2]:-}
    goal() { [ -n "$c1" ] || { echo "-"; return; }; awk "BEGIN { print ($1) ? \"met\" : \"missed\" }"; }
    printf '%-46s %44s\n' "goal: PSS below keepalived's and 8 MiB" \
        "$(goal "$c1 < $ka1 && $c2 < $ka2 && $c1 < 8192 && $c2 < 8192")"
    printf '%-46s %44s\n' "goal: CPU at most keepalived's" \
        "$(goal "${result[many-$c-cpu1]:-0} <= ${result[many-$k-cpu1]:-0} && ${result[many-$c-cpu2]:-0} <= ${result[many-$k-cpu2]:-0}")"
    printf '%-46s %44s\n' "goal: every group within 100 ms of its floor" "$(goal "${result[many-$c-within]:-0} == $MANY_GROUPS")"
}
