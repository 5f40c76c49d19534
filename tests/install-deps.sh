#!/bin/bash
# Installs what the test suites and the demo use, when it is missing and we may:
# Debian's ucarp (the reference), tcpdump (wire timings), iproute2 (namespaces),
# lintian, dpkg-dev and debhelper (make deb and the package checks), tcpreplay (the forged-advert flood),
# jq and Python's prometheus_client (readers of the state and metrics files), capsh
# (a daemon without CAP_NET_RAW), afl++ (fuzzing), tshark (an independent dissector
# for the IPv6 and VRRP frames), etcd-server and etcd-client (the etcd election's cluster) and
# openssl (its test certificates), fuse3 and python3-fusepy (a filesystem whose writes hang),
# patroni, postgresql-15 and postgresql-client-15 (a Patroni cluster for follow mode).
set -u
missing=()
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
[ -x /usr/sbin/ucarp ] || missing+=(ucarp)
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
command -v tcpreplay >/dev/null 2>&1 || missing+=(tcpreplay)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v dh >/dev/null 2>&1 || missing+=(debhelper)   # make deb
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v arping >/dev/null 2>&1 || missing+=(arping)   # the scripts' announcements, under the units' sandbox
command -v capsh >/dev/null 2>&1 || missing+=(libcap2-bin)
command -v afl-fuzz >/dev/null 2>&1 || missing+=(afl++)
command -v tshark >/dev/null 2>&1 || missing+=(tshark)
[ -x /usr/bin/etcd ] || missing+=(etcd-server)
[ -x /usr/bin/etcdctl ] || missing+=(etcd-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# stress-ng (both cores busy under the fast-failover pair), keepalived (the VRRP interop tests' and
# make bench's VRRPv3 partner) and frr (zebra and vrrpd, the other VRRP interop partner).
command -v stress-ng >/dev/null 2>&1 || missing+=(stress-ng)
[ -x /usr/sbin/keepalived ] || missing+=(keepalived)
[ -x /usr/lib/frr/vrrpd ] || missing+=(frr)
/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || missing+=(python3-prometheus-client)
command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
/usr/bin/python3 -c 'import fusepy' >/dev/null 2>&1 || missing+=(python3-fusepy)
[ -x /usr/bin/patroni ] || missing+=(patroni)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
[ -x /usr/lib/postgresql/15/bin/psql ] || missing+=(postgresql-client-15)
command -v curl >/dev/null 2>&1 || missing+=(curl)   # Patroni's REST API, etcd's metrics
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]}; the tests that need them will be skipped" >&2
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark's package asks whether non-root users may capture; the default (no) is fine.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "install-deps: could not install ${missing[*]}; the tests that need them will be skipped" >&2
# Debian starts a default PostgreSQL cluster (15/main) and a Patroni service on install: the
# tests run their own in namespaces and need neither; stopped, and kept from starting at boot.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster 15 main stop 2>/dev/null || true
    [ -f /etc/postgresql/15/main/start.conf ] && echo manual > /etc/postgresql/15/main/start.conf
fi
if [[ " ${missing[*]} " == *" patroni "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now patroni >/dev/null 2>&1 || true
fi
# Likewise FRR's service (zebra and the daemons /etc/frr/daemons enables, on the host's
# network): the tests run their own zebra and vrrpd in namespaces, with files of their own.
if [[ " ${missing[*]} " == *" frr "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now frr >/dev/null 2>&1 || true
fi
exit 0
