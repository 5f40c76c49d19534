#!/bin/bash
# What the test suite leaves behind, found by comparing the host before and after it.
#   tests/leak-check.sh snapshot FILE   record what is there now
#   tests/leak-check.sh check FILE      list what has appeared since FILE was written and
#                                       remove it; exit 1 when anything was found
# A leak is: a network namespace named by the tests (ucarpnet-*); a process started since
# the snapshot that lives in another network namespace than the suite's own, or that is one of
# the programs the tests run (ucarp, ucarpctl, etcd, patroni, postgres, keepalived, FRR's
# daemons, tcpdump, tcpreplay, stress-ng, afl-fuzz, the fake etcd member); a FUSE mount;
# a temporary directory the tests create (/tmp/ucarpnet-*, /tmp/ucarp-publisher-*).
set -u
mode=${1:-}; file=${2:-}
if [ -z "$mode" ] || [ -z "$file" ]; then
    echo "usage: $0 snapshot|check FILE" >&2; exit 2
fi
host_net=$(readlink /proc/self/ns/net)   # the suite's own, which may not be pid 1's
self=$$
programs='^(ucarp|ucarpctl|etcd|patroni|postgres|keepalived|zebra|vrrpd|watchfrr|mgmtd|tcpdump|tcpreplay|stress-ng.*|afl-fuzz)$'

# One line per thing that could leak: "ns NAME", "proc PID STARTTIME COMM", "mount DIR", "dir PATH".
inventory() {
    ip netns list 2>/dev/null | awk '$1 ~ /^ucarpnet-/ { print "ns " $1 }'
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [ "$pid" = "$self" ] && continue
        comm=$(cat "$p/comm" 2>/dev/null) || continue
        net=$(readlink "$p/ns/net" 2>/dev/null) || continue
        cmd=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null | cut -c1-160)
        [ -n "$cmd" ] || continue                       # kernel threads
        start=$(awk '{ print $22 }' "$p/stat" 2>/dev/null) || continue
        if [ "$net" != "$host_net" ] || [[ $comm =~ $programs ]] || [[ $cmd == *fake-etcd.py* ]]; then
            echo "proc $pid $start $comm: $cmd"
        fi
    done
    awk '$3 ~ /^fuse/ { print "mount " $2 }' /proc/mounts
    find /tmp -maxdepth 1 \( -name 'ucarpnet-*' -o -name 'ucarp-publisher-*' \) ! -name 'ucarpnet-fuzz' -printf 'dir %p\n' 2>/dev/null
}

case $mode in
snapshot)
    inventory | sort > "$file"
    ;;
check)
    [ -f "$file" ] || { echo "leak-check: no snapshot $file" >&2; exit 2; }
    # A process counts by pid and start time, so a reused pid is still new.
    leaks=$(comm -13 "$file" <(inventory | sort))
    if [ -z "$leaks" ]; then
        echo "leak-check: nothing left behind"
        exit 0
    fi
    echo "leak-check: the suite left these behind (now removed):"
    sed 's/^/    /' <<< "$leaks"
    while read -r kind what _; do
        case $kind in
        proc) kill -9 "$what" 2>/dev/null ;;
        mount) umount -l "$what" 2>/dev/null ;;
        esac
    done <<< "$leaks"
    while read -r kind what _; do
        case $kind in
        ns) for pid in $(ip netns pids "$what" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
            ip netns del "$what" 2>/dev/null ;;
        dir) rm -rf "$what" ;;
        esac
    done <<< "$leaks"
    exit 1
    ;;
*)
    echo "usage: $0 snapshot|check FILE" >&2; exit 2
    ;;
esac
