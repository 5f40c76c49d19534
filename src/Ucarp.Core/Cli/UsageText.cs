namespace Ucarp.Core.Cli;

/// <summary>ucarp 1.5.2's usage text, byte for byte, but for the version line.</summary>
public static class UsageText
{
    public const string Version = "0.1.0";

    /// <summary>ucarp prints "PACKAGE_STRING - __DATE__"; we keep the shape and name ourselves.</summary>
    public const string VersionLine = "ucarp 1.5.2 (Ucarp.Net " + Version + ") - Nov 22 2026";

    /// <summary>Ucarp.Net's own long options, after ucarp's: the golden tests' one documented difference in the usage.</summary>
    public const string OwnOptions =
        "--no-bowout: leave MASTER silently, without the bow-out advert\n" +
        "--check=<command>: health check, run with /bin/sh -c; failing, leave the election\n" +
        "--check-interval=<seconds>: run the check every <seconds> (default 2)\n" +
        "--check-timeout=<seconds>: kill the check after <seconds> (default: the interval)\n" +
        "--check-fall=<n>: failures in a row that leave the election (default 2)\n" +
        "--check-rise=<n>: successes in a row that rejoin it (default 2)\n" +
        "--check-weight=<n>: failing, stay in the election with advskew + <n> (1-255)\n" +
        "--peer=<ip>: advertise by unicast to <ip> (repeat for more peers), not to the group\n" +
        "--extra-addr=<ip>: one more virtual address, announced with -a (repeat for more)\n" +
        "--manage-addresses: add the addresses on MASTER and remove them on BACKUP, no script\n" +
        "--sync=<name>: the groups of sync set <name> are MASTER on one host or not at all\n" +
        "--etcd=<urls>: let an etcd v3 cluster decide (comma-separated http:// or https:// URLs)\n" +
        "--etcd-prefix=<prefix>: keys under <prefix> (default /ucarp)\n" +
        "--etcd-cacert=<file>: trust etcd's certificate if <file>'s authority signed it\n" +
        "--etcd-cert=<file>: client certificate for etcd (with --etcd-key)\n" +
        "--etcd-key=<file>: the client certificate's private key\n" +
        "--etcd-user=<name>: authenticate to etcd as <name> (with --etcd-password-file)\n" +
        "--etcd-password-file=<file>: read that user's password from <file>\n" +
        "--etcd-ttl=<seconds>: the lease's TTL (default: advbase x deadratio, at least 5)\n" +
        "--follow-key=<key>: no election: MASTER while etcd's <key> holds --follow-value\n" +
        "--follow-value=<value>: the value that names this node (default: the host name)\n" +
        "--state-file=<file>: keep the node's state in <file>, as JSON\n" +
        "--metrics-file=<file>: keep Prometheus metrics in <file>\n" +
        "--metrics-listen=<addr:port>: serve the same metrics over HTTP at <addr:port>\n" +
        "--pidfile=<file>: write the daemon's pid to <file>\n" +
        "--garp-refresh=<seconds>: a master repeats its gratuitous ARP every <seconds>\n" +
        "--realtime=<priority>: real-time scheduling (1-99) and locked memory\n" +
        "--config=<file>: run every group <file> declares, in one daemon\n" +
        "--check-config: with --config, check <file>, print its problems and exit\n" +
        "--control=<path>: ucarpctl's socket (default with --config: /run/ucarp/ucarp.sock)\n" +
        "--demotion-file=<file>: keep ucarpctl's demotions in <file> across restarts\n" +
        "--vrrp=<2|3>: speak VRRP of that version instead of CARP (no password for 3)\n" +
        "--priority=<n>: VRRP priority, the highest is master (1-255, default 100)\n" +
        "--advert-int=<seconds>: VRRP advert interval (default 1; 3: 0.01-40.95, 2: 1-255)\n" +
        "--no-preempt: VRRP: a higher priority does not take over from a live master\n" +
        "--preempt-delay=<seconds>: VRRP: after start-up, wait before preempting (0-1000)\n" +
        "--vrrp-checksum=<pseudo|rfc>: VRRP 3 over IPv4: with or without the pseudo-header\n" +
        "--from-keepalived=<file>: print a --config file for keepalived.conf's VRRP part\n" +
        "--vmac: the addresses on a macvlan child of -i, MAC 00:00:5e:00:01:<id> (:02: IPv6)\n" +
        "--vmac-name=<name>: name that child <name> (default vrrp.<id>, vrrp6.<id> for IPv6)\n";

    public const string Text =
        "\n" + VersionLine + "\n\n" +
        "--interface=<if> (-i <if>): bind interface <if>\n" +
        "--srcip=<ip> (-s <ip>): source (real) IP address of that host\n" +
        "--mcast=<ip> (-m <ip>): multicast group IP address (default 224.0.0.18)\n" +
        "--vhid=<id> (-v <id>): virtual IP identifier (1-255)\n" +
        "--pass=<pass> (-p <pass>): password\n" +
        "--passfile=<file> (-o <file>): read password from file\n" +
        "--preempt (-P): becomes a master as soon as possible\n" +
        "--neutral (-n): don't run downscript at start if backup\n" +
        "--addr=<ip> (-a <ip>): virtual shared IP address\n" +
        "--help (-h): summary of command-line options\n" +
        "--advbase=<seconds> (-b <seconds>): advertisement frequency\n" +
        "--advskew=<skew> (-k <skew>): advertisement skew (0-255)\n" +
        "--upscript=<file> (-u <file>): run <file> to become a master\n" +
        "--downscript=<file> (-d <file>): run <file> to become a backup\n" +
        "--deadratio=<ratio> (-r <ratio>): ratio to consider a host as dead\n" +
        "--debug (-D): enable debug output\n" +
        "--shutdown (-z): call shutdown script at exit\n" +
        "--daemonize (-B): run in background\n" +
        "--ignoreifstate (-S): ignore interface state (down, no carrier)\n" +
        "--nomcast (-M): use broadcast (instead of multicast) advertisements\n" +
        "--facility=<facility> (-f): set syslog facility (default=daemon)\n" +
        "--xparam=<value> (-x): extra parameter to send to up/down scripts\n" +
        OwnOptions +
        "\n" +
        "Sample usage:\n" +
        "\n" +
        "Manage the 10.1.1.252 shared virtual address on interface eth0, with\n" +
        "1 as a virtual address idenfitier, mypassword as a password, and\n" +
        "10.1.1.1 as a real permanent address for this host.\n" +
        "Call /etc/vip-up.sh when the host becomes a master, and\n" +
        "/etc/vip-down.sh when the virtual IP address has to be disabled.\n" +
        "\n" +
        "ucarp --interface=eth0 --srcip=10.1.1.1 --vhid=1 --pass=mypassword \\\n" +
        "      --addr=10.1.1.252 \\\n" +
        "      --upscript=/etc/vip-up.sh --downscript=/etc/vip-down.sh\n" +
        "\n\n" +
        "Please report bugs to .\n\n";
}
