# Sourced by bench.sh: the "4k" section (SECTIONS=4k). FOURK_VLANS x 255 CARP groups (16 x
# 255 = 4,080 by default: every vhid on each of 16 links, beyond keepalived's 255 VRIDs per
# interface) in one --config daemon on each of two hosts, IPv6, --manage-addresses. Each
# link is a bridge of its own with a veth to each host (VLAN interfaces stand for them on a
# real host; this kernel has no 8021q), named v101... after the VLAN it stands for. Host 1
# is master (-k 0), host 2 backup (-k 100). Host 1 alone first, host 2's ports down: its
# CPU per advert sent over FOURK_SECONDS; then its ports out of the bridges (to the wire:
# no switch's work in its system calls), the same. Then per host: PSS and CPU per second
# idle over FOURK_SECONDS, and the same per group (CPU: the median of FOURK_WINDOWS
# windows, see fourk_windows); then host 1 dies at one instant (its bridge port
# down, its processes stopped and killed) and host 2's capture gives each group's time from
# its last advert to host 2's first unsolicited Neighbour Advertisement for its address,
# against its floor (3 x 1 s + 100/256 s = 3390.6 ms).
# Goals (issue "Cost at the floor"): at most 4 KiB per group, at most 4 us per advert (as
# master alone, and as backup), every group's takeover within 100 ms of its floor.

FOURK_VLANS=${FOURK_VLANS:-16}
FOURK_SECONDS=${FOURK_SECONDS:-30}
FOURK_WINDOWS=${FOURK_WINDOWS:-6}

# fourk_user_ticks PID...: user time alone, in clock ticks (the split of run time the kernel
# samples; the total is taken from schedstat, many_cpu_ns). The rest of a daemon's CPU is the
# kernel's, and on these veths that includes the peer's receive: a frame sent is handed
# to the other host's bridge, VLAN and IPv6 input on the sending CPU, in its system call.
fourk_user_ticks() { local p; for p in "$@"; do awk '{ print $14 }' "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }'; }
# fourk_windows "PIDS" ["PIDS"]: FOURK_WINDOWS windows of FOURK_SECONDS in all; a line per
# window: run time in ns and user ticks of the first set of processes, then of the second.
# This machine's CPU figures move by a third from one run to the next (other guests on the
# host): the rows take the median window, and a burst of that noise in one window does not
# decide. User time is summed over all windows (a tick is 0.5 us per advert in 5 s).
fourk_windows() {
    local a=$1 b=${2:-} i c1 c2=0 u1 u2=0 d1 d2=0 v1 v2=0 each
    each=$(awk -v s="$FOURK_SECONDS" -v w="$FOURK_WINDOWS" 'BEGIN { print s / w }')
    for i in $(seq 1 "$FOURK_WINDOWS"); do
        c1=$(many_cpu_ns $a); u1=$(fourk_user_ticks $a)
        [ -z "$b" ] || { c2=$(many_cpu_ns $b); u2=$(fourk_user_ticks $b); }
        sleep "$each"
        d1=$(many_cpu_ns $a); v1=$(fourk_user_ticks $a)
        [ -z "$b" ] || { d2=$(many_cpu_ns $b); v2=$(fourk_user_ticks $b); }
        echo "$((d1 - c1)) $((v1 - u1)) $((d2 - c2)) $((v2 - u2))"
    done
}
# fourk_per_advert FILE N COLUMN: the median window's run time (column 1 or 3) in us per advert of N groups (bench.sh's median).
fourk_per_advert() {
    awk -v c="$3" '{ print $c }' "$1" | median \
        | awk -v n="$2" -v s="$FOURK_SECONDS" -v w="$FOURK_WINDOWS" '{ printf "%.1f", $1 / 1e3 / (s / w) / n }'
}
# fourk_user_per_advert FILE N COLUMN: user ticks (column 2 or 4) over all windows, in us per advert.
fourk_user_per_advert() {
    awk -v c="$3" -v n="$2" -v hz="$hz" -v s="$FOURK_SECONDS" '{ t += $c } END { printf "%.1f", t * 1e6 / hz / s / n }' "$1"
}
# fourk_wakeups PID...: voluntary context switches of every thread of each, summed: how
# often the daemon went to sleep and was woken (on this virtual machine a wake-up cost
# more than a slot's adverts, so this count says much of the CPU figures' story).
fourk_wakeups() { local p; for p in "$@"; do cat /proc/"$p"/task/*/status 2>/dev/null; done | awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s + 0 }'; }
fourk_vlan() { echo $((100 + $1)); }   # fourk_vlan I: the VLAN id of the I-th VLAN (101...)
fourk_hex() { printf '%x' "$1"; }
fourk_src() { echo "2001:db8:$(fourk_hex "$(fourk_vlan "$1")")::f$2"; }                  # fourk_src I HOST

fourk_links() { # fourk_links HOST: vVLAN for each link, on its bridge, with the host's address
    local host=$1 i v
    for i in $(seq 1 "$FOURK_VLANS"); do
        v=$(fourk_vlan "$i")
        if [ "$host" = 1 ]; then
            # Every frame to every port: no MLD snooping to wait for.
            ip -n "$prefix-br" link add "b$v" type bridge mcast_snooping 0
            # A switch runs no IPv6 on what it forwards. With its own (a link-local
            # address), the bridge also took every advert up its IPv6 input and a route
            # lookup, in the sending daemon's system call: a tenth of the master's CPU.
            ip netns exec "$prefix-br" sysctl -q -w "net.ipv6.conf.b$v.disable_ipv6=1"
            ip -n "$prefix-br" link set "b$v" up
        fi
        ip link add "v$v" netns "$prefix-n$host" type veth peer name "p$host-$v" netns "$prefix-br"
        ip -n "$prefix-br" link set "p$host-$v" master "b$v"
        ip -n "$prefix-br" link set "p$host-$v" up
        ip -n "$prefix-n$host" addr add "$(fourk_src "$i" "$host")/64" dev "v$v" nodad
        ip -n "$prefix-n$host" link set "v$v" up
    done
}
# fourk_unplug HOST|fourk_plug HOST: the host's ports out of their bridges (a cable to
# nothing: the port takes each frame and drops it, IPv6 off) and back in.
fourk_unplug() {
    local i p
    for i in $(seq 1 "$FOURK_VLANS"); do
        p=p$1-$(fourk_vlan "$i")
        ip netns exec "$prefix-br" sysctl -q -w "net.ipv6.conf.$p.disable_ipv6=1"
        ip -n "$prefix-br" link set "$p" nomaster
    done
}
fourk_plug() {
    local i v
    for i in $(seq 1 "$FOURK_VLANS"); do v=$(fourk_vlan "$i"); ip -n "$prefix-br" link set "p$1-$v" master "b$v"; done
}
fourk_ports() { # fourk_ports HOST up|down: the host's ports on every link's bridge
    local i
    for i in $(seq 1 "$FOURK_VLANS"); do ip -n "$prefix-br" link set "p$1-$(fourk_vlan "$i")" "$2"; done
}
fourk_config() { # fourk_config HOST SKEW > FILE
    printf 'defaults -p bench -b 1 -k %s --manage-addresses\n' "$2"
    # fourk_vlan's and fourk_src's, and the addresses 2001:db8:VLAN::1:VHID, in one awk:
    # 4,080 lines of those functions' subshells took minutes.
    awk -v vlans="$FOURK_VLANS" -v host="$1" 'BEGIN { for (i = 1; i <= vlans; i++) for (h = 1; h <= 255; h++)
        printf "group v%d-%d -i v%d -s 2001:db8:%x::f%s -v %d -a 2001:db8:%x::1:%x\n", i, h, 100 + i, 100 + i, host, h, 100 + i, h }'
}
fourk_held() { ip -n "$prefix-n$1" -6 addr show | grep -c 'inet6 2001:db8:[0-9a-f]*::1:' || true; }
fourk_all() { [ "$(fourk_held "$1")" -eq "$2" ]; }
# Counted by ucarpctl, not in the log: 4,080 groups' start-up lines outrun the console, and
# the daemon drops what it cannot write rather than wait ("log lines dropped").
fourk_backups() { { "$(dirname "$clone")/ucarpctl" --control="$work/4k-2.sock" status --json 2>/dev/null || true; } | grep -o '"state":"BACKUP"' | wc -l; }
fourk_started() { [ "$(fourk_backups)" -ge "$1" ]; }

fourk_section() {
    local n=$((FOURK_VLANS * 255)) host i
    echo "bench: 4k ($n groups on $FOURK_VLANS links, $FOURK_SECONDS s idle)" >&2
    lan_up "$prefix" 2
    for host in 1 2; do
        fourk_links "$host"
        fourk_config "$host" "$([ "$host" = 1 ] && echo 0 || echo 100)" > "$work/4k-$host.conf"
        chmod 600 "$work/4k-$host.conf"
    done
    # The daemon with one group first: what each of the n costs is what is above it.
    head -n 2 "$work/4k-1.conf" > "$work/4k-one.conf"; chmod 600 "$work/4k-one.conf"
    ip netns exec "$prefix-n1" "$clone" --config="$work/4k-one.conf" --control="$work/4k-one.sock" > "$work/4k-one.log" 2>&1 &
    wait_for 30 fourk_all 1 1 || echo "bench: 4k: the one group holds nothing" >&2
    sleep 2
    local p0; p0=$(many_pids 1)
    result[4k-pss0]=$(many_pss $p0)
    kill $p0; wait_for 10 fourk_all 1 0 || true
    local start; start=$(date +%s.%N)
    ip netns exec "$prefix-n1" "$clone" --config="$work/4k-1.conf" --control="$work/4k-1.sock" > "$work/4k-1.log" 2>&1 &
    wait_for 120 fourk_all 1 "$n" || echo "bench: 4k: host 1 holds $(fourk_held 1) of $n" >&2
    result[4k-up]=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    # The master alone, host 2's bridge ports down: on these veths a frame sent is carried
    # through the bridge and into the other host's VLAN and IPv6 input within the sender's
    # system call, so the master's CPU with host 2 listening is also host 2's receive (most
    # of it: see docs/benchmarks.md). A real link hands the frame to the NIC and the other
    # host's kernel does the rest. Unplugged, what is left is the master's own work, its
    # kernel's sending, and the bridge's work on the way to the port that drops it.
    fourk_ports 2 down
    # Past host 1's MemoryTrim (8 s after its start: three intervals and 5 s), as below for host 2.
    sleep "$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { w = s + 10 - n; print (w > 2 ? w : 2) }')"
    local p1
    p1=$(many_pids 1)
    fourk_windows "$p1" > "$work/4k-alone.w"
    result[4k-alone]=$(fourk_per_advert "$work/4k-alone.w" "$n" 1)
    result[4k-alone-user]=$(fourk_user_per_advert "$work/4k-alone.w" "$n" 2)
    # Then out of the bridges altogether: the bridge's learning and flooding (a switch's
    # work, another box's on a real LAN) ran in the master's sendmmsg, about a quarter of
    # its CPU above. What is left is the daemon and its kernel's sending, up to the veth
    # peer that takes the frame and drops it, which stands for the NIC. The goal's row.
    fourk_unplug 1
    sleep 2
    fourk_windows "$p1" > "$work/4k-wire.w"
    result[4k-wire]=$(fourk_per_advert "$work/4k-wire.w" "$n" 1)
    result[4k-wire-user]=$(fourk_user_per_advert "$work/4k-wire.w" "$n" 2)
    fourk_plug 1
    fourk_ports 2 up
    ip netns exec "$prefix-n2" "$clone" --config="$work/4k-2.conf" --control="$work/4k-2.sock" > "$work/4k-2.log" 2>&1 &
    wait_for 120 fourk_started "$n" || echo "bench: 4k: $(fourk_backups) backups on host 2" >&2
    sleep 9   # past host 2's MemoryTrim (8 s after its start), as in the many section
    [ "$(fourk_held 1)" -eq "$n" ] && [ "$(fourk_held 2)" -eq 0 ] \
        || echo "bench: 4k: not settled (host 1 holds $(fourk_held 1), host 2 $(fourk_held 2))" >&2
    local p2
    p1=$(many_pids 1); p2=$(many_pids 2)
    local k1 k2
    k1=$(fourk_wakeups $p1); k2=$(fourk_wakeups $p2)
    fourk_windows "$p1" "$p2" > "$work/4k-both.w"
    result[4k-wake1]=$(( ($(fourk_wakeups $p1) - k1) / FOURK_SECONDS ))
    result[4k-wake2]=$(( ($(fourk_wakeups $p2) - k2) / FOURK_SECONDS ))
    result[4k-user1]=$(fourk_user_per_advert "$work/4k-both.w" "$n" 2)
    result[4k-user2]=$(fourk_user_per_advert "$work/4k-both.w" "$n" 4)
    result[4k-pss1]=$(many_pss $p1); result[4k-pss2]=$(many_pss $p2)
    result[4k-usadv1]=$(fourk_per_advert "$work/4k-both.w" "$n" 1)
    result[4k-usadv2]=$(fourk_per_advert "$work/4k-both.w" "$n" 3)
    result[4k-cpu1]=$(fourk_per_advert "$work/4k-both.w" 1000 1)   # per 1,000 adverts: ms per s
    result[4k-cpu2]=$(fourk_per_advert "$work/4k-both.w" 1000 3)

    # Host 1 dies at one instant; host 2's capture has every group's last advert before it.
    local cap=$work/4k.pcap tp
    tp=$(capture "$cap" "ip6 proto 112 or icmp6" "$prefix-n2" any -c 400000)
    sleep 2
    local death; death=$(date +%s.%N)
    ip -n "$prefix-br" link set p1 down
    for i in $(seq 1 "$FOURK_VLANS"); do ip -n "$prefix-br" link set "p1-$(fourk_vlan "$i")" down; done
    local dead; dead=$(ip netns pids "$prefix-n1")
    [ -z "$dead" ] || { kill -STOP $dead 2>/dev/null; kill -9 $dead 2>/dev/null; } || true
    wait_for 60 fourk_all 2 "$n" || echo "bench: 4k: host 2 took $(fourk_held 2) of $n" >&2
    sleep 1
    kill -INT "$tp"; sleep 0.5
    [ -z "${FOURK_KEEP:-}" ] || cp "$cap" "$FOURK_KEEP"   # FOURK_KEEP=FILE: the capture kept, to look at
    # Per group (link, vhid): host 1's last advert, then host 2's first advertisement of its
    # address after it (sent, "Out", from the address itself), the link read from the
    # addresses (2001:db8:VLAN::); tcpdump decodes CARP as VRRP (the vhid as "vrid").
    tcpdump -n -tt -r "$cap" 2>/dev/null | awk '
        function hex(s,  i, v) { v = 0; s = tolower(s); for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
        index($0, "::f1 > ff02::12") && match($0, /2001:db8:[0-9a-f]+::f1 > /) && (vlan = hex(substr($0, RSTART + 9, RLENGTH - 9 - 7))) \
            && match($0, /vrid [0-9]+/) { last[vlan "/" (substr($0, RSTART + 5, RLENGTH - 5) + 0)] = $1 + 0 }
        index($0, " Out ") && match($0, /neighbor advertisement, tgt is [0-9a-f:]+/) {
            n = split(substr($0, RSTART + 31, RLENGTH - 31), h, ":"); k = hex(h[3]) "/" hex(h[n])
            if (!(k in na) && (k in last) && $1 + 0 > last[k]) { na[k] = $1 + 0; printf "%s %.6f %.6f\n", k, last[k], na[k] }
        }' > "$work/4k.takeovers"
    read -r "result[4k-taken]" "result[4k-above]" "result[4k-end]" "result[4k-within]" <<< "$(awk -v floor=3390.625 -v death="$death" '
        { print ($3 - $2) * 1000 - floor, $3 - death }' "$work/4k.takeovers" | sort -n | awk '
        { a[NR] = $1; if ($2 > end) end = $2; if ($1 <= 100) ok++ }
        END { if (NR == 0) { print "0 - - 0"; exit }
              printf "%d %.1f/%.1f/%.1f %.0f %d\n", NR, a[1], a[int((NR + 1) / 2)], a[NR], end * 1000, ok + 0 }')"
    result[4k-n]=$n
    lan_down "$prefix"
}

fourk_table() {
    local n=${result[4k-n]:-0}
    r() { printf '%-52s %14s %14s\n' "$1" "$2" "$3"; }
    printf '\n%-52s %14s %14s\n' "4k: $n CARP groups, IPv6, $FOURK_VLANS links" "master host" "backup host"
    r "PSS, KiB" "${result[4k-pss1]:--}" "${result[4k-pss2]:--}"
    local base=${result[4k-pss0]:-0}
    r "PSS per group above one group's ($base KiB), KiB" "$(awk -v p="${result[4k-pss1]:-0}" -v b="$base" -v n="$n" 'BEGIN { printf "%.2f", (n > 1 ? (p - b) / (n - 1) : 0) }')" \
      "$(awk -v p="${result[4k-pss2]:-0}" -v b="$base" -v n="$n" 'BEGIN { printf "%.2f", (n > 1 ? (p - b) / (n - 1) : 0) }')"
    r "CPU idle, ms per s (median of $FOURK_WINDOWS windows, $FOURK_SECONDS s)" "${result[4k-cpu1]:--}" "${result[4k-cpu2]:--}"
    r "CPU per advert sent or received, us" "${result[4k-usadv1]:--}" "${result[4k-usadv2]:--}"
    r "  of it in the daemon's own code (user time), us" "${result[4k-user1]:--}" "${result[4k-user2]:--}"
    r "wake-ups per second (voluntary switches)" "${result[4k-wake1]:--}" "${result[4k-wake2]:--}"
    r "CPU per advert sent, host 2 unplugged, us" "${result[4k-alone]:--}" ""
    r "  of it in the daemon's own code (user time), us" "${result[4k-alone-user]:--}" ""
    r "CPU per advert sent, no bridge (to the wire), us" "${result[4k-wire]:--}" ""
    r "  of it in the daemon's own code (user time), us" "${result[4k-wire-user]:--}" ""
    printf '%-52s %29s\n' "start to every address held (host 1), s" "${result[4k-up]:--}"
    printf '%-52s %29s\n' "failover: groups announced by the backup" "${result[4k-taken]:--}"
    printf '%-52s %29s\n' "  above floor min/median/max, ms" "${result[4k-above]:--}"
    printf '%-52s %29s\n' "  death to the last announcement, ms" "${result[4k-end]:--}"
    printf '%-52s %29s\n' "  groups within 100 ms of their floor" "${result[4k-within]:--}"
    local g1 g2
    g1=$(awk -v p="${result[4k-pss1]:-0}" -v q="${result[4k-pss2]:-0}" -v b="$base" -v n="$n" 'BEGIN { print (n > 1 && (p - b) / (n - 1) <= 4 && (q - b) / (n - 1) <= 4) ? "met" : "missed" }')
    # As master its own (to the wire, no bridge), as backup with the master sending to it.
    g2=$(awk -v a="${result[4k-wire]:-99}" -v b="${result[4k-usadv2]:-99}" 'BEGIN { print (a <= 4 && b <= 4) ? "met" : "missed" }')
    printf '%-52s %29s\n' "goal: at most 4 KiB per group" "$g1"
    printf '%-52s %29s\n' "goal: at most 4 us per advert (master to the wire)" "$g2"
    printf '%-52s %29s\n' "goal: every group within 100 ms of its floor" \
        "$([ "${result[4k-within]:-0}" = "$n" ] && echo met || echo missed)"
}
