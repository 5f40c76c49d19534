# Sourced by scripts/demo.sh and tests/bench/bench.sh: a LAN of network namespaces.
# lan_up PREFIX N   a bridge in namespace PREFIX-br, hosts PREFIX-n1..N each with
#                   eth0 = 192.0.2.i/24 (RFC 5737) on a veth whose peer is a bridge port
# lan_add PREFIX I  one more host, PREFIX-nI with eth0 = 192.0.2.I/24, on that bridge
# lan_down PREFIX   kills what runs in those namespaces and deletes them
# Nothing touches the host's own interfaces.

lan_down() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk -v p="$1" 'index($1, p) == 1 {print $1}'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
}

lan_add() {
    local prefix=$1 i=$2
    ip netns add "$prefix-n$i"
    ip -n "$prefix-n$i" link set lo up
    ip link add eth0 netns "$prefix-n$i" type veth peer name "p$i" netns "$prefix-br"
    ip -n "$prefix-br" link set "p$i" master br0
    ip -n "$prefix-br" link set "p$i" up
    ip -n "$prefix-n$i" addr add "192.0.2.$i/24" dev eth0
    ip -n "$prefix-n$i" link set eth0 up
}

lan_up() {
    local prefix=$1 count=$2 i
    lan_down "$prefix"
    ip netns add "$prefix-br"
    # The bridge is the LAN's switch, and a switch runs no firewall: with br_netfilter
    # loaded (Docker loads it), every bridged frame would also go through ip6tables and an
    # IPv6 route lookup, in the sending daemon's system call (a veth hands its frame on
    # inline), about a fifth of a busy sender's CPU that no real LAN charges to it.
    # These switches are the namespace's own (not the host's); absent without br_netfilter.
    ip netns exec "$prefix-br" sysctl -q -w net.bridge.bridge-nf-call-iptables=0 \
        net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 2>/dev/null || true
    ip -n "$prefix-br" link add br0 type bridge
    ip -n "$prefix-br" link set br0 up
    for i in $(seq 1 "$count"); do
        lan_add "$prefix" "$i"
    done
}
