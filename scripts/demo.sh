#!/bin/bash
# make demo: Ucarp.Net as an operator runs it, on a LAN of network namespaces, in under
# a minute. Two hosts, each one `ucarp --config` daemon with five groups: an
# active-active pair (web preferred on host 1, db on host 2), a sync set (fw-out and
# fw-in, always on one host) and a group of three managed addresses (mail). Then:
# `ucarpctl status` on both; host 1's daemon killed and the takeover timed on the wire;
# `ucarpctl demote --wait` and `promote` with `ucarpctl watch` running; a reload that
# adds a group; and the election on etcd (one member in a third namespace; two
# daemons, the holder killed, the other taking over after the lease's TTL).
#   scripts/demo.sh [BINARY]   BINARY defaults to build/ucarp; ucarpctl is beside it
# Needs root. Installs what it uses when missing (iproute2, tcpdump; etcd-server and
# etcd-client for the etcd part, which is skipped, saying so, when they cannot be had).
# Every wait is bounded: a step that does not happen in time says so and the script
# exits 1. Everything is removed at the end, also on failure or Ctrl-C.
# Addresses are from 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737); the
# host's own interfaces are not touched.
set -euo pipefail

started=$(date +%s%N)
binary=$(readlink -f "${1:-$(dirname "$0")/../build/ucarp}")
ctl=$(dirname "$binary")/ucarpctl
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
[ -x "$binary" ] || { echo "demo: $binary is not built; run make" >&2; exit 1; }
[ -x "$ctl" ] || { echo "demo: $ctl is not built; run make" >&2; exit 1; }

# Only what the demo uses, only when missing.
apt_install() {
    command -v apt-get >/dev/null || return 1
    echo "demo: installing $* (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; }
}
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v tcpdump >/dev/null || missing+=(tcpdump)
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}" || { echo "demo: could not install ${missing[*]}" >&2; exit 1; }
fi
etcd_ok=1
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
    apt_install etcd-server etcd-client || etcd_ok=0
    command -v etcd >/dev/null && command -v etcdctl >/dev/null || etcd_ok=0
fi

# The commands below are printed as they are run: ucarp and ucarpctl are the built ones.
export PATH="$(dirname "$binary"):$PATH"
prefix=ucarpnet-demo
export D=$(mktemp -d /tmp/ucarpnet-demo.XXXXXX)
watch_pid=

. "$(dirname "$0")/netns-lan.sh"

cleanup() {
    trap - EXIT INT TERM ERR
    if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null || true; fi
    lan_down "$prefix"
    # DEMO_KEEP=DIR keeps the daemons' logs, the capture and the files there.
    if [ -n "${DEMO_KEEP:-}" ]; then mkdir -p "$DEMO_KEEP" && cp -r "$D"/. "$DEMO_KEEP"/ 2>/dev/null || true; fi
    rm -rf "$D"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted: cleaning up"; exit 130' INT TERM
trap 'rc=$?; echo "demo: FAILED: line $LINENO: $BASH_COMMAND exited with status $rc" >&2' ERR

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# run HOST COMMAND: prints the command as written (with $D) after the host's prompt, then
# runs it in that host's namespace, its output indented. A command ending in " &" is only
# printed: the caller starts it in a subshell, so that this shell does not report it
# when it is killed.
run() {
    local host=$1; shift
    printf 'host%s# %s\n' "$host" "$*"
    [[ $* == *' &' ]] && return 0
    ip netns exec "$prefix-n$host" bash -c "$*" 2>&1 | sed 's/^/    /'
    return "${PIPESTATUS[0]}"
}
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# wait_for SECONDS WHAT COMMAND...: polls every 0.1 s; on timeout says so and exits 1.
wait_for() {
    local limit=$1 what=$2 deadline; shift 2
    deadline=$(( $(date +%s%N) + limit * 1000000000 ))
    until "$@"; do
        [ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out after ${limit} s waiting for $what"
        sleep 0.1
    done
}
# state HOST GROUP: the group's state in that host's `ucarpctl status`.
state() { timeout 5 ucarpctl --control="$D/host$1.sock" status "$2" 2>/dev/null | awk 'NR > 1 { print $5 }'; }
is() { [ "$(state "$1" "$2")" = "$3" ]; }
all_are() { local h=$1 s=$2 g; shift 2; for g in "$@"; do is "$h" "$g" "$s" || return 1; done; }
start_daemon() { # start_daemon HOST: its --config daemon, in its namespace, pid kept
    run "$1" "ucarp --config=\$D/host$1.conf --control=\$D/host$1.sock &"
    ( ip netns exec "$prefix-n$1" ucarp --config="$D/host$1.conf" --control="$D/host$1.sock" \
        > "$D/host$1.log" 2>&1 & echo $! > "$D/host$1.pid" )
}

say "Two hosts: host1 and host2 are namespaces $prefix-n1 (192.0.2.1) and -n2 (192.0.2.2) on a bridge"
echo "(D=$D holds their files)"
lan_up "$prefix" 2
run 1 "ip -br addr show eth0"

# Host 2's file is host 1's with its own -s and every -k swapped.
for h in 1 2; do
    if [ "$h" = 1 ]; then pref=0 other=100; else pref=100 other=0; fi
    cat > "$D/host$h.conf" <<EOF
# One daemon runs every group of this host. Host 2's file: -s 192.0.2.2, every -k swapped.
defaults -i eth0 -s 192.0.2.$h -p demo-secret -P -z --manage-addresses

# Active-active: web preferred on host 1, db on host 2 (lower -k wins; -P takes it back).
group web    -v 1 -a 192.0.2.10 -k $pref
group db     -v 2 -a 192.0.2.11 -k $other

# A sync set: both on one host, always.
group fw-out -v 3 -a 198.51.100.10 -k $pref --sync=fw
group fw-in  -v 4 -a 203.0.113.10  -k $pref --sync=fw

# One group, three addresses, added and removed by the daemon.
group mail   -v 5 -a 192.0.2.20 --extra-addr=192.0.2.21 --extra-addr=192.0.2.22 -k $pref
EOF
    chmod 600 "$D/host$h.conf"
done

say "Each host runs one daemon with --config; host 1's file:"
sed 's/^/    /' "$D/host1.conf"
run 1 "ucarp --config=\$D/host1.conf --check-config && echo 'checks out'" \
    || fail "host 1's file does not check out"
# The capture runs from before the daemons start: every advert is on the wire record.
( ip netns exec "$prefix-br" tcpdump -i br0 -n -tt -l -U --immediate-mode 'proto 112' > "$D/wire.txt" 2>/dev/null & )
for h in 1 2; do start_daemon "$h"; done

wait_for 10 "host 1 to be MASTER of web, fw-out, fw-in and mail" all_are 1 MASTER web fw-out fw-in mail
wait_for 10 "host 2 to be MASTER of db" all_are 2 MASTER db
say "ucarpctl status on both hosts"
run 1 "ucarpctl --control=\$D/host1.sock status"
run 2 "ucarpctl --control=\$D/host2.sock status"
run 1 "ip -br addr show eth0"

say "Host 1's daemon killed (SIGKILL): host 2 takes over its groups"
run 1 "kill -9 $(cat "$D/host1.pid")"
killed=$(date +%s%N)
wait_for 10 "host 2 to take over web, fw-out, fw-in and mail" all_are 2 MASTER web fw-out fw-in mail
echo "(host 2 is MASTER of everything $(ms_since "$killed") ms after the kill)"
run 2 "ucarpctl --control=\$D/host2.sock status"
sleep 0.2
# On the wire: host 1's last advert for web (vhid 1), then host 2's first.
# (tcpdump reads protocol 112 as VRRP, "vrid 1,", unless told CARP, "vhid=1 ".)
takeover=$(awk '
    / vrid 1,| vhid=1 / && $2 == "IP" && $3 == "192.0.2.1" { last = $1 }
    / vrid 1,| vhid=1 / && $2 == "IP" && $3 == "192.0.2.2" && last != "" { printf "%.0f", ($1 - last) * 1000; exit }' "$D/wire.txt")
[ -n "$takeover" ] || fail "no takeover of web (vhid 1) found in the capture"
echo "Takeover of web on the wire: ${takeover} ms from host 1's last advert to host 2's first"
echo "(CARP's floor: 3 x advbase + advskew/256 = 3 x 1 s + 100/256 s = 3391 ms)"

say "Host 1's daemon restarted: it drops the addresses the crash left, then takes its groups back (-P)"
start_daemon 1
wait_for 10 "host 1 to take web, fw-out, fw-in and mail back" all_are 1 MASTER web fw-out fw-in mail
run 1 "ucarpctl --control=\$D/host1.sock status"

say "Maintenance: ucarpctl demote --wait and promote (ucarpctl watch runs from here on)"
( ip netns exec "$prefix-n1" ucarpctl --control="$D/host1.sock" watch > "$D/watch.txt" 2>&1 & echo $! > "$D/watch.pid" )
watch_pid=$(cat "$D/watch.pid")
run 1 "ucarpctl --control=\$D/host1.sock watch > \$D/watch.txt &"
wait_for 10 "ucarpctl watch to print the groups" grep -q mail "$D/watch.txt"
t=$(date +%s%N)
run 1 "timeout 20 ucarpctl --control=\$D/host1.sock demote web --wait" || fail "demote web --wait failed"
echo "(demote --wait returned after $(ms_since "$t") ms: the address is gone from host 1)"
wait_for 10 "host 2 to be MASTER of web" is 2 web MASTER
run 2 "ucarpctl --control=\$D/host2.sock status web"
run 1 "ucarpctl --control=\$D/host1.sock promote web" || fail "promote web failed"
wait_for 10 "host 1 to take web back" is 1 web MASTER

say "A reload: a group appended to host 1's file"
run 1 "echo 'group dns    -v 6 -a 192.0.2.30 -k 0' >> \$D/host1.conf"
run 1 "ucarpctl --control=\$D/host1.sock reload" || fail "the reload failed"
wait_for 10 "host 1 to be MASTER of dns" is 1 dns MASTER
run 1 "ucarpctl --control=\$D/host1.sock status"

say "The sync set: ucarpctl demote fw-out --wait takes fw-in out with it"
run 1 "timeout 20 ucarpctl --control=\$D/host1.sock demote fw-out --wait" || fail "demote fw-out --wait failed"
wait_for 10 "host 2 to be MASTER of fw-out and fw-in" all_are 2 MASTER fw-out fw-in
run 2 "ucarpctl --control=\$D/host2.sock status | grep fw-"
run 1 "ucarpctl --control=\$D/host1.sock promote fw-out" || fail "promote fw-out failed"
wait_for 10 "host 1 to take fw-out and fw-in back" all_are 1 MASTER fw-out fw-in
sleep 0.2
kill "$watch_pid" 2>/dev/null || true
watch_pid=
echo "What host 1's ucarpctl watch printed meanwhile:"
sed 's/^/    /' "$D/watch.txt"

if [ "$etcd_ok" = 1 ]; then
    say "The election on etcd: one member on host 3 (192.0.2.3), a daemon on each of hosts 1 and 2"
    echo "(the --config daemons stop first; with -z they let their addresses go)"
    for h in 1 2; do run "$h" "kill $(cat "$D/host$h.pid")" || true; done
    lan_add "$prefix" 3
    etcd_url=http://192.0.2.3:2379
    run 3 "etcd --data-dir \$D/etcd --listen-client-urls $etcd_url --advertise-client-urls $etcd_url &"
    ( ip netns exec "$prefix-n3" etcd --data-dir "$D/etcd" --listen-client-urls "$etcd_url" \
        --advertise-client-urls "$etcd_url" > "$D/etcd.log" 2>&1 & )
    etcdctl_() { ip netns exec "$prefix-n3" etcdctl --endpoints="$etcd_url" --dial-timeout=1s --command-timeout=3s "$@"; }
    etcd_up() { etcdctl_ endpoint health > /dev/null 2>&1; }
    wait_for 15 "etcd to answer" etcd_up
    for h in 1 2; do
        skew=$(( (h - 1) * 100 ))
        line="ucarp -i eth0 -s 192.0.2.$h -v 10 -p demo-secret -a 192.0.2.50 -k $skew -z --manage-addresses --etcd=$etcd_url --etcd-ttl=2"
        run "$h" "$line &"
        ( ip netns exec "$prefix-n$h" $line > "$D/etcd-host$h.log" 2>&1 & echo $! > "$D/etcd-host$h.pid" )
    done
    holds() { ip -n "$prefix-n$1" -4 addr show dev eth0 | grep -q ' 192.0.2.50/'; }
    wait_for 10 "host 1 to hold 192.0.2.50 through etcd" holds 1
    run 3 "etcdctl --endpoints=$etcd_url get --prefix /ucarp"
    say "The holder (host 1) killed: host 2 takes over once the lease (TTL 2 s) expires"
    run 1 "kill -9 $(cat "$D/etcd-host1.pid")"
    killed=$(date +%s%N)
    wait_for 15 "host 2 to hold 192.0.2.50 through etcd" holds 2
    echo "Takeover through etcd: $(ms_since "$killed") ms after the kill (lease TTL 2000 ms)"
    run 3 "etcdctl --endpoints=$etcd_url get --prefix /ucarp"
    echo "host 2's log:"
    sed 's/^/    /' "$D/etcd-host2.log"
else
    say "The election on etcd: skipped (etcd-server and etcd-client are not installed and could not be)"
fi

took=$(ms_since "$started")
say "Done in $((took / 1000)).$((took % 1000 / 100)) s; removing the namespaces"
