#!/bin/bash
# Builds ucarp-net_VERSION_ARCH.deb: Ucarp.Net laid out as Debian's ucarp package is
# (/usr/sbin/ucarp, the man page, /usr/share/ucarp/vip-{up,down}, the if-up hook) plus
# an if-down hook that stops the daemon, ucarpctl (found beside BINARY), the systemd
# units (ucarp@.service, one address each; ucarp.service, every group of
# /etc/ucarp/ucarp.conf) and examples.
# It Provides, Conflicts with and Replaces Debian's ucarp, so installing it swaps one
# for the other. Usage: build-deb.sh BINARY VERSION OUTDIR
set -euo pipefail
binary=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
doc=$root/usr/share/doc/ucarp-net

install -d "$root/DEBIAN" "$root/usr/sbin" "$root/usr/share/man/man8" "$root/usr/share/ucarp/examples" \
           "$root/etc/network/if-up.d" "$root/etc/network/if-down.d" "$root/lib/systemd/system" "$doc/examples"
install -m 755 "$binary" "$root/usr/sbin/ucarp"
install -m 755 "$(dirname "$binary")/ucarpctl" "$root/usr/sbin/ucarpctl"
install -d "$root/usr/share/bash-completion/completions"
install -m 644 "$top/scripts/bash-completion/ucarpctl" "$root/usr/share/bash-completion/completions/ucarpctl"
gzip -9n < "$top/man/ucarp.8" > "$root/usr/share/man/man8/ucarp.8.gz"
gzip -9n < "$top/man/ucarpctl.8" > "$root/usr/share/man/man8/ucarpctl.8.gz"
install -d "$root/usr/share/man/man5" && gzip -9n < "$top/man/ucarp.conf.5" > "$root/usr/share/man/man5/ucarp.conf.5.gz"
install -m 755 "$here/vip-up" "$here/vip-down" "$top/scripts/vip-addr-up" "$top/scripts/vip-addr-down" "$root/usr/share/ucarp/"
install -m 755 "$here/if-up.d-ucarp" "$root/etc/network/if-up.d/ucarp"
install -m 755 "$here/if-down.d-ucarp" "$root/etc/network/if-down.d/ucarp"
install -m 644 "$top/scripts/systemd/ucarp@.service" "$top/scripts/systemd/ucarp.service" "$root/lib/systemd/system/"
install -m 644 "$top/scripts/systemd/ucarp@NAME.conf" "$top/scripts/systemd/ucarp@.service.d-order.conf" "$root/usr/share/ucarp/examples/"
gzip -9n < "$top/README" > "$doc/README.gz"
gzip -9n < "$here/changelog" > "$doc/changelog.Debian.gz"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: Ucarp.Net"
    echo
    echo "Files: *"
    echo "Copyright: 2026 the Ucarp.Net developers"
    echo "           2004-2015 Frank Denis (UCARP)"
    echo "           2002 Michael Shalayeff, 2003 Ryan McBride (OpenBSD carp)"
    echo "License: ISC and BSD-2-clause"
    echo
    echo "License: ISC and BSD-2-clause"
    sed 's/^$/./; s/^/ /' "$top/COPYING"
} > "$doc/copyright"
install -m 644 "$top/examples/ucarp.conf" "$doc/examples/"
chmod 644 "$doc"/*.gz "$doc/copyright"

cat > "$root/DEBIAN/control" <<CONTROL
Package: ucarp-net
Version: $version-1
Architecture: $arch
Maintainer: Ucarp.Net developers <ucarp-net@example.org>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: libc6 (>= 2.36)
Recommends: iproute2, libssl3
Suggests: ifupdown, arping
Provides: ucarp (= 1.5.2)
Conflicts: ucarp
Replaces: ucarp
Section: net
Priority: optional
Homepage: https://github.com/jedisct1/UCarp
Description: CARP daemon sharing virtual IP addresses, drop-in for ucarp
 Ucarp.Net lets several hosts share a virtual IP address with the Common
 Address Redundancy Protocol, moving it automatically when the host that
 holds it fails. It is a reimplementation of ucarp 1.5.2: same command
 line, messages, script arguments and packets, and it interoperates with
 ucarp on the same LAN. Failover happens on time, scripts do not stop the
 protocol, and ifdown stops the daemon that ifup started.
CONTROL
printf '/etc/network/if-up.d/ucarp\n/etc/network/if-down.d/ucarp\n' > "$root/DEBIAN/conffiles"
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\n' | sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

deb=$out/ucarp-net_${version}-1_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
