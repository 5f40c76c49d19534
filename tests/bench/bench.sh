#!/bin/bash
# make bench: Ucarp.Net against Debian's ucarp 1.5.2 on the same namespaced LAN, with
# the same settings, several rounds each, medians. Prints one table:
#   failover   last advert of the killed master -> new master's gratuitous ARP, and
#              how far above the protocol floor (3 x advbase + advskew/256) that is
#   idle       resident memory and CPU of a lone master over IDLE_SECONDS
#   flood      CPU of a master under a forged-advert flood (tcpreplay at FLOOD_PPS,
#              default 70000 frames/s, for FLOOD_SECONDS), and its worst advert lateness;
#              the forged advert has the master's vhid (42) and a wrong password, or with
#              FLOOD_VHID another vhid (a neighbouring group's adverts, or a flood of them)
#   handover   a master (-z) sent SIGTERM or SIGUSR2 -> the backup's upscript (the
#              clone bows out; ucarp goes silent and the backup waits out its timer)
#   start-up   exec to the first state line
#   etcd       Ucarp.Net's etcd election (ucarp has none) on a three-member etcd
#              cluster (Debian's etcd-server) in namespaces: SIGKILLed holder -> the
#              other node's gratuitous ARP (goal TTL + 0.5 s), planned handover
#              (SIGTERM -z -> the other's upscript, goal under 200 ms), and how many
#              times the address moves while etcd's leader and another member are
#              killed and restarted (goal 0)
#   fast       -b 0 beside Debian's keepalived 2.2 (VRRPv3) at the nearest advert
#              interval: failover on the wire (the master's last advert -> the new
#              master's gratuitous ARP) at ~100 ms (-k 26, advert_int 0.1) and ~30 ms
#              (-k 8, advert_int 0.03), goal 3.5 intervals at most; then LOAD_SECONDS
#              (default 300) with stress-ng on every core and all pairs at once: false
#              failovers (goal 0, and no more than keepalived's) and the master's advert
#              lateness, with and without --realtime (and ucarp 1.5.2 at -b 0 for reference)
#   many       255 groups on two hosts: keepalived 2.2's vrrp_instances, 255 Ucarp.Net
#              processes and one --config daemon per host: PSS, idle CPU as master and as
#              backup, failover of every group against its floor (tests/bench/many-groups.sh)
#   follow     --follow-key on the etcd section's cluster: etcdctl put naming the other
#              host -> that host's gratuitous ARP, goal under 100 ms (tests/bench/follow-key.sh)
#   scale      the etcd election at 1,000 addresses per node, one --config daemon on each of
#              two hosts: RSS, CPU, etcd requests per s per node, SIGKILLed holder -> the
#              other's last announcement (tests/bench/etcd-scale.sh)
#   vrrp       --vrrp=3 beside keepalived 2.2 (VRRPv3): failover and the priority-0 handover
#              at advert_int 1 and 0.1, and 255 groups per host (tests/bench/vrrp.sh)
#   4k         4,080 CARP groups (255 on each of 16 VLANs, IPv6) in one --config daemon per
#              host: PSS and CPU per host and per group, every group's failover against its
#              floor (tests/bench/four-k.sh)
#   patroni    a real Patroni 3 cluster (two members, PostgreSQL 15) on that etcd, with
#              follow mode beside each member: switchover issued and primary SIGKILLed ->
#              the address on the new primary (tests/bench/patroni.sh)
# Needs root; installs tcpreplay, tcpdump and Debian's ucarp when missing.
set -euo pipefail
shopt -s extglob   # the section tests below

here=$(cd "$(dirname "$0")" && pwd)
clone=$(readlink -f "${1:-$here/../../build/ucarp}")
debian=/usr/sbin/ucarp
ROUNDS=${ROUNDS:-5}
IDLE_SECONDS=${IDLE_SECONDS:-30}
FLOOD_SECONDS=${FLOOD_SECONDS:-10}
FLOOD_PPS=${FLOOD_PPS:-70000}
FLOOD_VHID=${FLOOD_VHID:-42}
LOAD_SECONDS=${LOAD_SECONDS:-300}
# Which measurements to take (all by default); e.g. SECTIONS="idle flood" for a quick look,
# SECTIONS=many for the many groups alone.
SECTIONS=${SECTIONS:-rounds idle flood etcd fast many vrrp 4k follow scale patroni}
prefix=ucarpnet-bench
vip=192.0.2.100
hz=$(getconf CLK_TCK)

[ "$(id -u)" = 0 ] || { echo "bench: run as root (network namespaces)" >&2; exit 1; }
[ -x "$clone" ] || { echo "bench: $clone is not built; run make" >&2; exit 1; }
if ! command -v tcpreplay >/dev/null || ! command -v tcpdump >/dev/null || [ ! -x $debian ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tcpreplay tcpdump ucarp >/dev/null
fi

work=$(mktemp -d /tmp/ucarpnet-bench.XXXXXX)
. "$here/../../scripts/netns-lan.sh"
. "$here/many-groups.sh"
. "$here/follow-key.sh"
. "$here/etcd-scale.sh"
. "$here/patroni.sh"
. "$here/vrrp.sh"
. "$here/four-k.sh"
trap 'lan_down "$prefix"; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

printf '#!/bin/sh\nip addr add "$2"/32 dev "$1"\n' > "$work/up"
printf '#!/bin/sh\nip addr del "$2"/32 dev "$1" 2>/dev/null\nexit 0\n' > "$work/down"
chmod +x "$work/up" "$work/down"

# The handover's upscript: host 2's notes when it ran (-x gives the host number).
printf '#!/bin/sh\nip addr add "$2"/32 dev "$1"\n[ "$3" = 2 ] && date +%%s%%N > %s/stamp\nexit 0\n' "$work" > "$work/up-stamp"
chmod +x "$work/up-stamp"

start() { # start BINARY HOST SKEW LOG [OPTION...]: a daemon in host's namespace; prints its pid
    local bin=$1 host=$2 skew=$3 log=$4; shift 4
    ( ip netns exec "${lan:-$prefix}-n$host" "$bin" -i eth0 -s "192.0.2.$host" -v 42 -p bench -a $vip -k "$skew" \
        -u "$work/up" -d "$work/down" "$@" > "$log" 2>&1 & echo $! > "$work/pid" )
    cat "$work/pid"
}
holds() { ip -n "${lan:-$prefix}-n$1" -4 addr show dev eth0 | grep -q " $vip/"; }
wait_for() { # wait_for SECONDS COMMAND...: poll every 50 ms
    local end=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.05; done
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# --immediate-mode: without it packets wait in the kernel's ring for up to a second, and a
# capture stopped 0.3 s after an event loses them (the etcd takeover ARP read "timeout").
capture() { # capture FILE FILTER [NAMESPACE INTERFACE EXTRA...]: tcpdump (default: on the bridge); prints its pid
    local file=$1 filter=$2 ns=${3:-${lan:-$prefix}-br} iface=${4:-br0}
    shift 2; shift $(( $# < 2 ? $# : 2 ))
    ( ip netns exec "$ns" tcpdump -i "$iface" -U --immediate-mode -n -s 128 -B 8192 "$@" -w "$file" "$filter" > /dev/null 2>&1 & echo $! > "$work/cpid" )
    sleep 0.5
    cat "$work/cpid"
}

failover_round() { # failover_round BINARY: ms from the killed master's last advert to the new GARP
    lan_up "$prefix" 2
    local cap=$work/failover.pcap
    local tp; tp=$(capture "$cap" "proto 112 or arp")
    local m; m=$(start "$1" 1 0 "$work/m.log")
    wait_for 10 holds 1
    start "$1" 2 100 "$work/b.log" > /dev/null
    sleep 2
    kill -9 "$m"
    wait_for 10 holds 2
    sleep 0.5
    kill -INT "$tp"; sleep 0.3
    # The new master's ARP is the first from another MAC than the dead master's (whose
    # own delayed second ARP may follow its last advert).
    tcpdump -n -tt -r "$cap" 2>/dev/null | awk -v vip="$vip" '
        $2 == "IP" && $3 == "192.0.2.1" { last = $1 + 0 }
        /ARP, Request who-has/ && index($0, "who-has " vip " ") && index($0, "tell " vip ",") {
            mac = $6; if (dead == "") dead = mac
            if (mac != dead) times[n++] = $1 + 0
        }
        END { for (i = 0; i < n; i++) if (last > 0 && times[i] > last) { printf "%.1f\n", (times[i] - last) * 1000; exit } }'
}

handover_round() { # handover_round BINARY SIGNAL: ms from the signal to the backup's upscript
    lan_up "$prefix" 2
    rm -f "$work/stamp"
    local m; m=$(start "$1" 1 0 "$work/hm.log" -z -x 1 -u "$work/up-stamp")
    wait_for 10 holds 1
    start "$1" 2 100 "$work/hb.log" -x 2 -u "$work/up-stamp" > /dev/null
    sleep 2
    local t0; t0=$(date +%s%N)
    kill -"$2" "$m"
    if wait_for 10 test -s "$work/stamp"; then
        awk -v a="$t0" -v b="$(cat "$work/stamp")" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'
    else
        echo "timeout"
    fi
}

idle() { # idle BINARY: "RSS_KiB CPU_ms_per_s" of a lone master
    lan_up "$prefix" 1
    local m; m=$(start "$1" 1 0 "$work/idle.log")
    wait_for 10 holds 1
    sleep 1
    local t0; t0=$(cpu_ticks "$m")
    sleep "$IDLE_SECONDS"
    local t1; t1=$(cpu_ticks "$m")
    echo "$(rss_kib "$m") $(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN { printf "%.2f", d * 1000 / hz / s }')"
}

revhid() { # revhid PCAP VHID: the pcap's one advert given another vhid, its checksum mended (RFC 1624)
    python3 - "$1" "$2" <<'PY'
import sys
path, vhid = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, 'rb').read())
carp = 24 + 16 + 14 + 20                      # pcap header, record header, Ethernet, IPv4
old = (b[carp] << 8) | b[carp + 1]            # version/type and vhid: one 16-bit word of the sum
b[carp + 1] = vhid
new = (b[carp] << 8) | b[carp + 1]
x = (~((b[carp + 6] << 8) | b[carp + 7]) & 0xffff) + (~old & 0xffff) + new
while x >> 16:
    x = (x & 0xffff) + (x >> 16)
x = ~x & 0xffff
b[carp + 6], b[carp + 7] = x >> 8, x & 0xff
open(path, 'wb').write(b)
PY
}

flood() { # flood BINARY: "CPU_percent worst_advert_lateness_ms frames_per_s"
    # The victim is host 2; host 3 replays a real advert captured from ucarp 1.5.2
    # (from 192.0.2.1, vhid 42, advskew 0, password "love"): to the victim, whose
    # password differs, it is a forged "preferred" advert with valid checksums.
    lan_up "$prefix" 3
    local m; m=$(start "$1" 2 100 "$work/flood.log")
    wait_for 10 holds 2
    local vectors=$here/../Ucarp.Core.Tests/Vectors/ucarp-1.5.2-adverts.pcap
    { dd if="$vectors" bs=1 count=24 status=none       # pcap file header
      dd if="$vectors" bs=1 skip=82 count=86 status=none # record header + the first advert
    } > "$work/forged.pcap"
    [ "$FLOOD_VHID" = 42 ] || revhid "$work/forged.pcap" "$FLOOD_VHID"
    local cap=$work/flood-adverts.pcap
    # On the victim's own interface, outgoing only: the flood never reaches tcpdump.
    local tp; tp=$(capture "$cap" "proto 112" "$prefix-n2" eth0 -Q out)
    local t0; t0=$(cpu_ticks "$m")
    local start_ns; start_ns=$(date +%s%N)
    local report
    report=$(ip netns exec "$prefix-n3" tcpreplay -K --pps="$FLOOD_PPS" -i eth0 --loop=$((FLOOD_PPS * FLOOD_SECONDS)) --duration="$FLOOD_SECONDS" "$work/forged.pcap" 2>&1 || true)
    local elapsed; elapsed=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { print (b - a) / 1e9 }')
    local t1; t1=$(cpu_ticks "$m")
    kill -INT "$tp"; sleep 0.3
    local late
    late=$(tcpdump -n -tt -r "$cap" 2>/dev/null | awk '
        { t = $1 + 0; if (p) { d = (t - p) * 1000 - 1390.625; if (d < 0) d = -d; if (d > w) w = d } p = t }
        END { printf "%.1f", w }')
    local pps; pps=$(grep -oE 'Rated: [0-9.]+ Bps, [0-9.]+ Mbps, [0-9.]+ pps' <<< "$report" | grep -oE '[0-9.]+ pps' | cut -d' ' -f1)
    holds 2 || late="$late(VIP lost)"
    echo "$(awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$elapsed" 'BEGIN { printf "%.1f", d * 100 / hz / s }') $late ${pps:-?}"
}

startup() { # startup BINARY: ms from exec to the "Switching to state: BACKUP" line
    lan_up "$prefix" 1
    local log=$work/start.log
    local t0; t0=$(date +%s.%N)
    start "$1" 1 0 "$log" > /dev/null
    wait_for 5 grep -q "Switching to state: BACKUP" "$log"
    local stamp; stamp=$(grep -m1 "Switching to state: BACKUP" "$log" | cut -d' ' -f1 | sed 's/:$//')
    awk -v a="$t0" -v b="$(date -d "${stamp%.*}" +%s).${stamp##*.}" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}

etcd_up() { # etcd_up: members on hosts 1-3 of a 5-host LAN (fast elections, as the tests)
    lan_up "$prefix" 5
    local i cluster=m1=http://192.0.2.1:2380,m2=http://192.0.2.2:2380,m3=http://192.0.2.3:2380
    for i in 1 2 3; do etcd_start $i new; done
    wait_for 20 ip netns exec "$prefix-n4" etcdctl --endpoints="$etcd_urls" --dial-timeout=1s endpoint health > /dev/null 2>&1
}
etcd_urls=http://192.0.2.1:2379,http://192.0.2.2:2379,http://192.0.2.3:2379
etcd_start() { # etcd_start MEMBER new|existing
    local a=192.0.2.$1
    ip netns exec "$prefix-n$1" etcd --name "m$1" --data-dir "$work/etcd-m$1" --log-level error \
        --listen-client-urls "http://$a:2379" --advertise-client-urls "http://$a:2379" \
        --listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \
        --initial-cluster m1=http://192.0.2.1:2380,m2=http://192.0.2.2:2380,m3=http://192.0.2.3:2380 \
        --initial-cluster-state "$2" --initial-cluster-token bench --heartbeat-interval 50 --election-timeout 500 \
        > "$work/etcd-m$1.log" 2>&1 &
    echo $! > "$work/etcd-m$1.pid"
}
etcd_leader() { # etcd_leader: the member (1-3) that leads now
    ip netns exec "$prefix-n4" etcdctl --endpoints="$etcd_urls" --dial-timeout=1s endpoint status 2>/dev/null \
        | awk -F', ' '$5 == "true" { split($1, u, "[.:]"); print u[5]; exit }'
}
start_etcd() { # start_etcd HOST SKEW LOG [OPTION...]: a clone on the etcd cluster; prints its pid
    local host=$1 skew=$2 log=$3; shift 3
    start "$clone" "$host" "$skew" "$log" --etcd="$etcd_urls" "$@"
}
etcd_round() { # etcd_round: "takeover_ms handover_ms moves"
    rm -rf "$work"/etcd-m*; etcd_up
    local cap=$work/etcd.pcap tp; tp=$(capture "$cap" "arp")
    local a; a=$(start_etcd 4 0 "$work/ea.log")
    wait_for 10 holds 4
    start_etcd 5 100 "$work/eb.log" > /dev/null
    sleep 2
    local t0; t0=$(date +%s.%N)
    kill -9 "$a"
    wait_for 10 holds 5
    sleep 0.3; kill -INT "$tp"; sleep 0.3
    local mac5; mac5=$(ip -n "$prefix-n5" link show eth0 | awk '/link\/ether/ { print $2 }')
    local takeover
    takeover=$(tcpdump -e -n -tt -r "$cap" 2>/dev/null | awk -v t0="$t0" -v mac="$mac5" -v vip="$vip" '
        $2 == mac && index($0, "who-has " vip " ") && $1 + 0 > t0 + 0 { printf "%.0f", ($1 - t0) * 1000; exit }')
    ip -n "$prefix-n4" addr del "$vip/32" dev eth0 2>/dev/null || true   # SIGKILL left it there
    # Planned handover back: host 4 returns with -z, host 5 leaves with SIGTERM -z.
    pkill -f -- "-s 192.0.2.5 .*--etcd" || true; sleep 0.2
    rm -f "$work/stamp"
    local b; b=$(start_etcd 5 100 "$work/eb2.log" -z -x 5)
    wait_for 10 grep -q "Switching to state: MASTER" "$work/eb2.log"
    start_etcd 4 0 "$work/ea2.log" -z -x 2 -u "$work/up-stamp" > /dev/null
    sleep 2
    local t1; t1=$(date +%s%N)
    kill -TERM "$b"
    local handover=timeout
    if wait_for 10 test -s "$work/stamp"; then
        handover=$(awk -v a="$t1" -v b="$(cat "$work/stamp")" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
    fi
    # Now host 4 holds, host 5 is back as backup: kill etcd's leader, restart it, kill
    # another member, restart it; count the address's moves meanwhile.
    start_etcd 5 100 "$work/eb3.log" > /dev/null
    sleep 2
    local before; before=$(cat "$work"/ea2.log "$work"/eb3.log | grep -c "Switching to state: MASTER")
    local leader; leader=$(etcd_leader); leader=${leader:-1}
    kill -9 "$(cat "$work/etcd-m$leader.pid")"; sleep 4
    etcd_start "$leader" existing; sleep 4
    local other=$(( leader % 3 + 1 ))
    kill -9 "$(cat "$work/etcd-m$other.pid")"; sleep 4
    etcd_start "$other" existing; sleep 4
    local after; after=$(cat "$work"/ea2.log "$work"/eb3.log | grep -c "Switching to state: MASTER")
    holds 4 || after=$((after + 1))
    echo "${takeover:-timeout} $handover $((after - before))"
}

# The fast section. A pair is a master on host 1 and a backup on host 2 of LAN $lan:
# the clone (-b 0 -k K on both), Debian's ucarp (-k 20 against -k 26, as ucarp needs)
# or keepalived (priority 200 and 100, advert_int A, VRRPv3, multicast).
ka_start() { # ka_start HOST PRIORITY ADVERT_INT LOG: keepalived's VRRP process in host's namespace
    local conf=$work/ka-$lan-$1.conf
    cat > "$conf" <<CONF
global_defs {
    router_id n$1
    vrrp_version 3
}
vrrp_instance VI {
    state BACKUP
    interface eth0
    virtual_router_id 42
    priority $2
    advert_int $3
    virtual_ipaddress {
        $vip/32
    }
}
CONF
    # Fresh pid files at every start: the previous round's VRRP child may still be exiting,
    # and keepalived will not start while a process its pid file names is alive.
    ip netns exec "$lan-n$1" keepalived -n -l -G -P -f "$conf" -p "$work/ka-$lan-$1-$BASHPID-$RANDOM.pid" -r "$work/ka-$lan-$1-$BASHPID-$RANDOM.vrrp.pid" > "$4" 2>&1 &
}
pair_start() { # pair_start KIND PARAM [OPTION...]: the pair on LAN $lan (up already), logs $work/$lan-{m,b}.log
    local kind=$1 p=$2; shift 2
    case $kind in
        keepalived) ka_start 1 200 "$p" "$work/$lan-m.log"; wait_for 10 holds 1; ka_start 2 100 "$p" "$work/$lan-b.log" ;;
        debian) start $debian 1 20 "$work/$lan-m.log" -b 0 > /dev/null; wait_for 10 holds 1
                start $debian 2 26 "$work/$lan-b.log" -b 0 > /dev/null ;;
        vrrp) vrrp_start 1 200 "$p" "$work/$lan-m.log" "$@"; wait_for 10 holds 1; vrrp_start 2 100 "$p" "$work/$lan-b.log" "$@" ;;
        *) start "$clone" 1 "$p" "$work/$lan-m.log" -b 0 "$@" > /dev/null; wait_for 10 holds 1
           start "$clone" 2 "$p" "$work/$lan-b.log" -b 0 "$@" > /dev/null ;;
    esac
}
takeovers() { grep -cE "Switching to state: MASTER|Entering MASTER STATE" "$work/$lan-b.log" || true; }
stopped_pair() { # stopped_pair KIND PARAM crash|term [OPTION...]: the pair on a fresh LAN $lan, host 1 then crashed or
    # sent SIGTERM; the bridge's capture, decoded with MACs, goes to $work/$lan-stop.txt; prints host 2's MAC
    local cap=$work/$lan-stop.pcap tp how=$3 kind=$1 p=$2
    shift 3
    lan_up "$lan" 2   # the capture's bridge must exist before the pair starts
    # Immediate mode: libpcap would otherwise hand tcpdump the takeover up to 1 s later.
    tp=$(capture "$cap" "proto 112 or arp" "$lan-br" br0)
    pair_start "$kind" "$p" "$@" 2>/dev/null
    sleep 2
    local pids; pids=$(ip netns pids "$lan-n1")
    if [ "$how" = crash ]; then
        # Every process of host 1 stopped first, then killed. keepalived's VRRP child gets
        # SIGTERM when its parent dies (PR_SET_PDEATHSIG) and would resign with a priority-0
        # advert, a planned handover rather than a failover; stopped, it sends nothing.
        [ -z "$pids" ] || { kill -STOP $pids 2>/dev/null; kill -9 $pids 2>/dev/null; } || true
    else
        # keepalived's parent passes SIGTERM on to its VRRP child, which resigns; ours resigns itself.
        [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
    fi
    wait_for 10 holds 2
    sleep 0.5
    kill -INT "$tp"; sleep 0.3
    ip -n "$lan-n2" link show eth0 | awk '/link\/ether/ { print $2 }'
    tcpdump -e -n -tt -r "$cap" > "$work/$lan-stop.txt" 2>/dev/null
    lan_down "$lan"
}
fast_round() { # fast_round KIND PARAM INTERVAL_MS: "ms intervals" from the master's last advert to the backup's ARP
    local mac2; mac2=$(stopped_pair "$1" "$2" crash)
    awk -v vip="$vip" -v mac="$mac2" -v i="$3" '
        index($0, ": 192.0.2.1 > 224.0.0.18") { last = $1 + 0 }
        $2 == mac && index($0, "who-has " vip " ") && last > 0 && $1 + 0 > last { printf "%.1f %.2f\n", ($1 - last) * 1000, ($1 - last) * 1000 / i; exit }' \
        "$work/$lan-stop.txt"
}
lateness() { # lateness PCAP INTERVAL_MS: "p50 p99 max" ms of the master's adverts beyond the interval
    tcpdump -n -tt -r "$1" 2>/dev/null | awk -v i="$2" '$3 == "192.0.2.1" { t = $1 + 0; if (p) printf "%.3f\n", (t - p) * 1000 - i; p = t }' \
        | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f/%.2f/%.1f", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], v[NR]; else print "-" }'
}
fast_section() {
    local lan r
    declare -A ms
    for spec in "c26 clone 26 101.5625" "k100 keepalived 0.1 100" "c8 clone 8 31.25" "k30 keepalived 0.03 30"; do
        read -r lan kind p i <<< "$spec"; lan=$prefix-$lan
        echo "bench: fast failover $kind $p" >&2
        local f=() n=()
        for r in $(seq 1 "$ROUNDS"); do read -r a b <<< "$(fast_round "$kind" "$p" "$i")"; f+=("${a:-timeout}"); n+=("${b:--}"); done
        result[fast-${spec%% *}]="$(printf '%s\n' "${f[@]}" | median) ($(printf '%s\n' "${n[@]}" | median))"
    done
    echo "bench: fast, $LOAD_SECONDS s with stress-ng on $(nproc) cores" >&2
    local pairs=("l1 clone 26 101.5625" "l2 clone 26 101.5625 --realtime=10" "l3 keepalived 0.1 100"
                 "l4 clone 8 31.25" "l5 clone 8 31.25 --realtime=10" "l6 keepalived 0.03 30" "l7 debian 20 78.125")
    local tps=() spec
    for spec in "${pairs[@]}"; do
        read -r lan kind p i opt <<< "$spec"; lan=$prefix-$lan
        lan_up "$lan" 2
        pair_start "$kind" "$p" $opt 2>/dev/null
        tps+=("$(capture "$work/$lan-load.pcap" "proto 112" "$lan-br" br0)")
    done
    sleep 3
    declare -A before
    for spec in "${pairs[@]}"; do lan=$prefix-${spec%% *}; before[$lan]=$(takeovers); done
    stress-ng --cpu "$(nproc)" --timeout "${LOAD_SECONDS}s" --quiet || true
    for spec in "${pairs[@]}"; do
        read -r lan kind p i opt <<< "$spec"; local name=${spec%% *}; lan=$prefix-$name
        result[fast-$name-flaps]=$(( $(takeovers) - ${before[$lan]} ))
        holds 1 || result[fast-$name-flaps]="${result[fast-$name-flaps]}(VIP moved)"
    done
    kill -INT "${tps[@]}"; sleep 0.5
    for spec in "${pairs[@]}"; do
        read -r lan kind p i opt <<< "$spec"; local name=${spec%% *}
        result[fast-$name-late]=$(lateness "$work/$prefix-$name-load.pcap" "$i")
    done
    lan_down "$prefix"
}

declare -A result
if [[ " $SECTIONS " == *" fast "* ]]; then
    if ! command -v keepalived >/dev/null || ! command -v stress-ng >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived stress-ng >/dev/null
    fi
    fast_section
fi
if [[ " $SECTIONS " == *" etcd "* ]]; then
    if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null
    fi
    echo "bench: clone on etcd" >&2
    et=(); eh=(); em=0
    for r in $(seq 1 "$ROUNDS"); do
        read -r t h m <<< "$(etcd_round)"
        et+=("$t"); eh+=("$h"); em=$((em + m))
    done
    result[etcd-takeover]=$(printf '%s\n' "${et[@]}" | median)
    result[etcd-handover]=$(printf '%s\n' "${eh[@]}" | median)
    result[etcd-moves]=$em
fi
if [[ " $SECTIONS " == *" many "* ]]; then
    many_section
fi
[[ " $SECTIONS " != *" vrrp "* ]] || vrrp_section
[[ " $SECTIONS " != *" 4k "* ]] || fourk_section
if [[ " $SECTIONS " == *" follow "* ]]; then
    follow_section
fi
[[ " $SECTIONS " != *" scale "* ]] || scale_section
[[ " $SECTIONS " != *" patroni "* ]] || patroni_section
for name in clone debian; do
    [[ " $SECTIONS " == *" "@(rounds|idle|flood)" "* ]] || break
    bin=$clone; [ $name = debian ] && bin=$debian
    echo "bench: $name ($bin)" >&2
    f=(); s=()
    ht=(); hu=()
    if [[ " $SECTIONS " == *" rounds "* ]]; then
        for r in $(seq 1 "$ROUNDS"); do
            f+=("$(failover_round "$bin")"); s+=("$(startup "$bin")")
            ht+=("$(handover_round "$bin" TERM)"); hu+=("$(handover_round "$bin" USR2)")
        done
        result[$name-handover-term]=$(printf '%s\n' "${ht[@]}" | median)
        result[$name-handover-usr2]=$(printf '%s\n' "${hu[@]}" | median)
        result[$name-failover]=$(printf '%s\n' "${f[@]}" | median)
        result[$name-startup]=$(printf '%s\n' "${s[@]}" | median)
    fi
    if [[ " $SECTIONS " == *" idle "* ]]; then
        read -r rss cpu <<< "$(idle "$bin")"
        result[$name-rss]=$rss; result[$name-idlecpu]=$cpu
    fi
    if [[ " $SECTIONS " == *" flood "* ]]; then
        read -r fcpu late pps <<< "$(flood "$bin")"
        result[$name-floodcpu]=$fcpu; result[$name-late]=$late; result[$name-pps]=$pps
    fi
done
lan_down "$prefix"

if [[ " $SECTIONS " == *" "@(rounds|idle|flood|etcd)" "* ]]; then
floor=3390.6
printf '\n%-44s %14s %14s\n' "ROUNDS=$ROUNDS, medians" "Ucarp.Net" "ucarp 1.5.2"
row() { printf '%-44s %14s %14s\n' "$1" "$2" "$3"; }
row "failover, ms (floor $floor)" "${result[clone-failover]:--}" "${result[debian-failover]:--}"
above() { [ "$1" = - ] && echo - || awk -v a="$1" -v f=$floor 'BEGIN { printf "%.1f", a - f }'; }
row "  above the floor, ms" "$(above "${result[clone-failover]:--}")" "$(above "${result[debian-failover]:--}")"
row "planned handover (SIGTERM -z), ms" "${result[clone-handover-term]:--}" "${result[debian-handover-term]:--}"
row "planned handover (SIGUSR2), ms" "${result[clone-handover-usr2]:--}" "${result[debian-handover-usr2]:--}"
row "idle master RSS, KiB" "${result[clone-rss]:--}" "${result[debian-rss]:--}"
row "idle master CPU, ms per s ($IDLE_SECONDS s)" "${result[clone-idlecpu]:--}" "${result[debian-idlecpu]:--}"
[ "$FLOOD_VHID" = 42 ] || row "flood: forged vhid (the master's is 42)" "$FLOOD_VHID" "$FLOOD_VHID"
row "flood: frames per s sent" "${result[clone-pps]:--}" "${result[debian-pps]:--}"
row "flood: master CPU, % of a core" "${result[clone-floodcpu]:--}" "${result[debian-floodcpu]:--}"
row "flood: CPU, Ucarp.Net / ucarp" "$(awk -v a="${result[clone-floodcpu]:-0}" -v b="${result[debian-floodcpu]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" ""
row "flood: worst advert lateness, ms" "${result[clone-late]:--}" "${result[debian-late]:--}"
row "start-up to first state line, ms" "${result[clone-startup]:--}" "${result[debian-startup]:--}"
row "etcd: SIGKILL to takeover ARP, ms (TTL 3000)" "${result[etcd-takeover]:--}" "n/a"
row "etcd: planned handover (SIGTERM -z), ms" "${result[etcd-handover]:--}" "n/a"
row "etcd: moves, leader+member killed ($ROUNDS rounds)" "${result[etcd-moves]:--}" "n/a"
fi
if [[ " $SECTIONS " == *" fast "* ]]; then
    printf '\n%-44s %14s %14s\n' "fast failover (-b 0), ROUNDS=$ROUNDS, medians" "Ucarp.Net" "keepalived 2.2"
    row "failover ~100 ms, ms (intervals)" "${result[fast-c26]:--}" "${result[fast-k100]:--}"
    row "failover ~30 ms, ms (intervals)" "${result[fast-c8]:--}" "${result[fast-k30]:--}"
    row "false failovers ~100 ms, $LOAD_SECONDS s stress" "${result[fast-l1-flaps]:--}" "${result[fast-l3-flaps]:--}"
    row "  with --realtime=10" "${result[fast-l2-flaps]:--}" ""
    row "false failovers ~30 ms, $LOAD_SECONDS s stress" "${result[fast-l4-flaps]:--}" "${result[fast-l6-flaps]:--}"
    row "  with --realtime=10" "${result[fast-l5-flaps]:--}" ""
    row "advert lateness ~100 ms, p50/p99/max ms" "${result[fast-l1-late]:--}" "${result[fast-l3-late]:--}"
    row "  with --realtime=10" "${result[fast-l2-late]:--}" ""
    row "advert lateness ~30 ms, p50/p99/max ms" "${result[fast-l4-late]:--}" "${result[fast-l6-late]:--}"
    row "  with --realtime=10" "${result[fast-l5-late]:--}" ""
    row "ucarp 1.5.2 -b 0 (-k 20 / -k 26), flaps" "${result[fast-l7-flaps]:--}" ""
fi
[[ " $SECTIONS " != *" many "* ]] || many_table
[[ " $SECTIONS " != *" vrrp "* ]] || vrrp_table
[[ " $SECTIONS " != *" 4k "* ]] || fourk_table
[[ " $SECTIONS " != *" follow "* ]] || follow_table
[[ " $SECTIONS " != *" scale "* ]] || scale_table
[[ " $SECTIONS " != *" patroni "* ]] || patroni_table
