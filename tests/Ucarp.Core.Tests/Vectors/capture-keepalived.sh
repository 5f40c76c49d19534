#!/bin/bash
# Captures the keepalived-*.pcap vectors (README.md beside this file says what each holds).
# Needs root, `apt-get install keepalived tcpdump` (Debian's 2.2.7 made the files here).
# Two network namespaces joined by a veth pair with fixed MACs: keepalived runs alone as
# master in the first, tcpdump listens in the second; each run lasts a few seconds and
# ends with SIGTERM, so each file ends with keepalived's priority-0 advert.
#   capture-keepalived.sh [NAME...]     names: the case names below (default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${SECONDS_PER_RUN:-7}
work=$(mktemp -d /tmp/keepalived-vectors.XXXXXX)
a=kav-a-$$ b=kav-b-$$
ip netns add "$a"
ip netns add "$b"
cleanup() {
    [ -f "$work/keepalived.pid" ] && kill "$(cat "$work/keepalived.pid")" 2>/dev/null || true
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip link add va netns "$a" address 02:00:00:00:0a:01 type veth peer name vb netns "$b" address 02:00:00:00:0b:01
for side in "$a va 192.0.2.1 2001:db8::1" "$b vb 192.0.2.2 2001:db8::2"; do
    read -r ns dev v4 v6 <<< "$side"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "net.ipv6.conf.$dev.accept_dad=0"
    ip -n "$ns" link set lo up
    ip -n "$ns" address add "$v4/24" dev "$dev"
    ip -n "$ns" address add "$v6/64" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
done
ip -n "$b" address add 192.0.2.3/24 dev vb   # the second unicast peer

# The vrrp_instance body of each case; global_defs come first in every file.
declare -A body globals
globals[v3]='vrrp_version 3'
body[v3]='virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/24
    }'
globals[v3-addresses]='vrrp_version 3'
body[v3-addresses]='virtual_router_id 55
    priority 200
    advert_int 0.5
    virtual_ipaddress {
        192.0.2.100/24
        192.0.2.101/24
        192.0.2.102/24
    }'
globals[v3-ipv6]=''
body[v3-ipv6]='virtual_router_id 52
    priority 100
    advert_int 1
    native_ipv6
    virtual_ipaddress {
        2001:db8::100/64
    }'
globals[v2]='vrrp_version 2'
body[v2]='virtual_router_id 53
    priority 150
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/24
        192.0.2.101/24
    }'
globals[v2-pass]='vrrp_version 2'
body[v2-pass]='virtual_router_id 54
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret1
    }
    virtual_ipaddress {
        192.0.2.100/24
    }'
globals[v3-unicast]='vrrp_version 3'
body[v3-unicast]='virtual_router_id 56
    priority 100
    advert_int 1
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.2
        192.0.2.3
    }
    virtual_ipaddress {
        192.0.2.100/24
    }'
globals[v2-unicast]='vrrp_version 2'
body[v2-unicast]='virtual_router_id 57
    priority 100
    advert_int 1
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.2
        192.0.2.3
    }
    virtual_ipaddress {
        192.0.2.100/24
    }'

cases=("${@:-v3 v3-addresses v3-ipv6 v2 v2-pass v3-unicast v2-unicast}")
read -r -a cases <<< "${cases[*]}"
for name in "${cases[@]}"; do
    conf=$work/$name.conf
    cat > "$conf" <<EOF
global_defs {
    router_id vectors
    ${globals[$name]}
}
vrrp_instance VI_1 {
    state MASTER
    interface va
    ${body[$name]}
}
EOF
    pcap=$here/keepalived-$name.pcap
    ip netns exec "$b" timeout $((seconds + 4)) tcpdump -i vb -U -s 1500 -w "$pcap" 'ip proto 112 or ip6 proto 112' 2>/dev/null &
    dump=$!
    sleep 1
    ip netns exec "$a" timeout $((seconds + 3)) keepalived -n -l -D -P -G -f "$conf" \
        -p "$work/keepalived.pid" -r "$work/vrrp.pid" > "$work/$name.log" 2>&1 &
    keep=$!
    sleep "$seconds"
    kill -TERM "$keep" 2>/dev/null || true
    wait "$keep" || true
    sleep 1
    kill -INT "$dump" 2>/dev/null || true
    wait "$dump" || true
    grep -q "Entering MASTER" "$work/$name.log" || { echo "$name: keepalived never became master:"; cat "$work/$name.log"; }
    echo "$name: $(tcpdump -r "$pcap" 2>/dev/null | wc -l) frames"
done
