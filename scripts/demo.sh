#!/bin/bash
# make demo: three hosts share 192.0.2.100 on a LAN of network namespaces.
# They elect a master by advskew, the master is killed, and the next one takes over;
# the takeover is timed on the wire. Then the same with the election on etcd (when
# Debian's etcd-server is installed): three etcd members, two ucarp nodes, etcdctl
# showing the holder, the holder killed and the other taking over after the lease's
# TTL. Everything is removed at the end, also on Ctrl-C.
# Addresses are from 192.0.2.0/24 (RFC 5737); the host's own interfaces are not touched.
set -euo pipefail

binary=${1:-$(dirname "$0")/../build/ucarp}
binary=$(readlink -f "$binary")
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
[ -x "$binary" ] || { echo "demo: $binary is not built; run make" >&2; exit 1; }
command -v tcpdump >/dev/null || { echo "demo: tcpdump is needed (apt-get install tcpdump)" >&2; exit 1; }

prefix=ucarpnet-demo
vip=192.0.2.100
work=$(mktemp -d /tmp/ucarpnet-demo.XXXXXX)
skews=(0 50 100)

. "$(dirname "$0")/netns-lan.sh"

cleanup() {
    trap - EXIT INT TERM
    lan_down "$prefix"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "interrupted: cleaning up"; exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
holder() {
    for i in 1 2 3; do
        if ip -n "$prefix-n$i" -4 addr show dev eth0 2>/dev/null | grep -q "$vip/"; then echo "$i"; fi
    done
}

say "A LAN: bridge namespace $prefix-br, hosts 192.0.2.1-3 each in its own namespace"
lan_up "$prefix" 3

cat > "$work/vip-up.sh" <<'UP'
#!/bin/sh
# ucarp calls: vip-up.sh <interface> <virtual address>
ip addr add "$2"/24 dev "$1"
UP
cat > "$work/vip-down.sh" <<'DOWN'
#!/bin/sh
ip addr del "$2"/24 dev "$1" 2>/dev/null
exit 0
DOWN
chmod +x "$work/vip-up.sh" "$work/vip-down.sh"

# Started in subshells so that this shell does not report them when they are killed.
( ip netns exec "$prefix-br" tcpdump -i br0 -n -tt -l 'proto 112 or arp' > "$work/wire.txt" 2>/dev/null & )

say "Three ucarp nodes, advskew ${skews[*]}: the lowest skew should win"
for i in 1 2 3; do
    cmd=("$binary" -i eth0 -s "192.0.2.$i" -v 10 -p demo-secret -a "$vip" -k "${skews[$((i-1))]}"
         -u "$work/vip-up.sh" -d "$work/vip-down.sh" -z)
    echo "  host $i: ucarp ${cmd[*]:1}"
    ( ip netns exec "$prefix-n$i" "${cmd[@]}" > "$work/node$i.log" 2>&1 & )
done

for _ in $(seq 1 100); do [ -n "$(holder)" ] && break; sleep 0.1; done
sleep 1.5
master=$(holder)
echo
echo "  VIP $vip is on host $master:"
ip -n "$prefix-n$master" -4 addr show dev eth0 | sed 's/^/    /' | grep inet
echo "  host $master log:"
sed 's/^/    /' "$work/node$master.log"

say "Killing the master (host $master, SIGKILL): the next lowest skew takes over"
dead_ip=192.0.2.$master
kill -9 "$(ip netns pids "$prefix-n$master" | head -1)"
for _ in $(seq 1 100); do
    new=$(holder | grep -v "^$master$" || true)
    [ -n "$new" ] && break
    sleep 0.1
done
sleep 0.5
new=$(holder | grep -v "^$master$" || true)
echo "  VIP $vip is now on host ${new:-nobody}"
echo "  host $new log:"
sed 's/^/    /' "$work/node$new.log"

# Failover on the wire: the dead master's last advert to the new master's gratuitous ARP.
ip netns pids "$prefix-br" | xargs -r kill -INT 2>/dev/null || true
sleep 0.3
result=$(awk -v dead="$dead_ip" -v vip="$vip" '
    $2 == "IP" && $3 == dead { last = $1 + 0 }
    /ARP, Request who-has/ && index($0, "who-has " vip " ") && index($0, "tell " vip ",") { arps[n++] = $1 + 0 }
    END {
        for (i = 0; i < n; i++) if (last > 0 && arps[i] > last) { printf "%.1f", (arps[i] - last) * 1000; exit }
    }' "$work/wire.txt")
floor=$(awk -v skew="${skews[$((new-1))]}" 'BEGIN { printf "%.1f", (3 * 1 + skew / 256) * 1000 }')
say "Takeover measured on the wire: ${result:-?} ms (protocol floor: 3 x advbase + advskew/256 = $floor ms)"

if command -v etcd >/dev/null && command -v etcdctl >/dev/null; then
    lan_down "$prefix"
    say "The election on etcd: members on 192.0.2.1-3, ucarp on 192.0.2.4 and .5"
    lan_up "$prefix" 5
    urls=http://192.0.2.1:2379,http://192.0.2.2:2379,http://192.0.2.3:2379
    for i in 1 2 3; do
        a=192.0.2.$i
        ( ip netns exec "$prefix-n$i" etcd --name "m$i" --data-dir "$work/etcd-m$i" --log-level error \
            --listen-client-urls "http://$a:2379" --advertise-client-urls "http://$a:2379" \
            --listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \
            --initial-cluster m1=http://192.0.2.1:2380,m2=http://192.0.2.2:2380,m3=http://192.0.2.3:2380 \
            --initial-cluster-state new > "$work/etcd-m$i.log" 2>&1 & )
    done
    for _ in $(seq 1 100); do
        ip netns exec "$prefix-n4" etcdctl --endpoints="$urls" --dial-timeout=1s endpoint health >/dev/null 2>&1 && break
        sleep 0.2
    done
    for i in 4 5; do
        skew=$(( (i - 4) * 100 ))
        cmd=("$binary" -i eth0 -s "192.0.2.$i" -v 10 -p demo-secret -a "$vip" -k "$skew"
             -u "$work/vip-up.sh" -d "$work/vip-down.sh" -z --etcd="$urls")
        echo "  host $i: ucarp ${cmd[*]:1}"
        ( ip netns exec "$prefix-n$i" "${cmd[@]}" > "$work/etcd-node$i.log" 2>&1 & )
    done
    holds() { ip -n "$prefix-n$1" -4 addr show dev eth0 2>/dev/null | grep -q "$vip/"; }
    for _ in $(seq 1 100); do holds 4 && break; sleep 0.1; done
    sleep 1
    echo "  etcdctl get --prefix /ucarp:"
    ip netns exec "$prefix-n5" etcdctl --endpoints="$urls" get --prefix /ucarp | sed 's/^/    /'
    say "Killing the holder (host 4, SIGKILL): host 5 takes over once the lease expires"
    t0=$(date +%s%N)
    kill -9 "$(ip netns pids "$prefix-n4" | xargs -r ps -o pid=,args= -p | awk '/--etcd/ { print $1; exit }')"
    for _ in $(seq 1 100); do holds 5 && break; sleep 0.05; done
    t1=$(date +%s%N)
    echo "  host 5 log:"
    sed 's/^/    /' "$work/etcd-node5.log"
    echo "  etcdctl get --prefix /ucarp:"
    ip netns exec "$prefix-n5" etcdctl --endpoints="$urls" get --prefix /ucarp | sed 's/^/    /'
    say "Takeover: $(( (t1 - t0) / 1000000 )) ms after the kill (lease TTL: advbase x deadratio = 3000 ms)"
else
    say "(etcd-server and etcd-client are not installed: skipping the etcd part)"
fi
echo
echo "Done; removing the namespaces."
