namespace Ucarp.Core.Cli;

/// <summary>ucarp 1.5.2's option table (ucarp_p.h), the one place the options are listed.</summary>
public static class OptionTable
{
    /// <summary>
    /// ucarp's short option string plus "m:": the usage text has always advertised
    /// "-m &lt;ip&gt;", but ucarp 1.5.2 forgot it here. This is the one deliberate
    /// command-line difference from the original.
    /// </summary>
    public const string ShortOptions = "i:s:v:p:Pa:hb:k:x:nu:d:Dr:zf:Bo:SMm:";

    // Options of Ucarp.Net's own are long only: their codes are above any char a short
    // option can use. Ranges by feature, so features never collide:
    //   0x100-0x11f handover and health checks, 0x120-0x12f unicast peers,
    //   0x130-0x14f etcd, 0x150-0x15f monitoring files, 0x160-0x16f IPv6, 0x170-0x17f a group's addresses,
    //   0x180-0x18f fast failover, 0x190-0x19f the daemon of many groups, 0x1a0-0x1af VRRP,
    //   0x1b0- others.

    public static readonly IReadOnlyList<LongOption> LongOptions =
    [
        new("interface", true, 'i'),
        new("srcip", true, 's'),
        new("mcastip", true, 'm'),
        new("vhid", true, 'v'),
        new("pass", true, 'p'),
        new("preempt", false, 'P'),
        new("neutral", false, 'n'),
        new("addr", true, 'a'),
        new("help", false, 'h'),
        new("advbase", true, 'b'),
        new("advskew", true, 'k'),
        new("upscript", true, 'u'),
        new("downscript", true, 'd'),
        new("deadratio", true, 'r'),
        new("debug", false, 'D'),
        new("shutdown", false, 'z'),
        new("facility", true, 'f'),
        new("daemonize", false, 'B'),
        new("ignoreifstate", false, 'S'),
        new("nomcast", false, 'M'),
        new("passfile", true, 'o'),
        new("xparam", true, 'x'),
        new("no-bowout", false, NoBowOut),
        new("check", true, Check),
        new("check-interval", true, CheckInterval),
        new("check-timeout", true, CheckTimeout),
        new("check-fall", true, CheckFall),
        new("check-rise", true, CheckRise),
        new("check-weight", true, CheckWeight),
        new("peer", true, Peer),
        new("etcd", true, Etcd),
        new("etcd-prefix", true, EtcdPrefix),
        new("etcd-cacert", true, EtcdCaCert),
        new("etcd-cert", true, EtcdCert),
        new("etcd-key", true, EtcdKey),
        new("etcd-user", true, EtcdUser),
        new("etcd-password-file", true, EtcdPasswordFile),
        new("etcd-ttl", true, EtcdTtl),
        new("follow-key", true, FollowKey),
        new("follow-value", true, FollowValue),
        new("state-file", true, StateFile),
        new("metrics-file", true, MetricsFile),
        new("metrics-listen", true, MetricsListen),
        new("pidfile", true, PidFile),
        new("garp-refresh", true, GarpRefresh),
        new("realtime", true, Realtime),
        new("extra-addr", true, ExtraAddr),
        new("manage-addresses", false, ManageAddresses),
        new("sync", true, Sync),
        new("config", true, Config),
        new("check-config", false, CheckConfig),
        new("control", true, Control),
        new("demotion-file", true, DemotionFile),
        new("vrrp", true, Vrrp),
        new("priority", true, Priority),
        new("advert-int", true, AdvertInt),
        new("no-preempt", false, NoPreempt),
        new("preempt-delay", true, PreemptDelay),
        new("vrrp-checksum", true, VrrpChecksum),
        new("from-keepalived", true, FromKeepalived),
        new("vmac", false, Vmac),
        new("vmac-name", true, VmacName),
    ];

    // Planned handover and health checks (0x100-0x11f).
    public const char NoBowOut = '\u0100';
    public const char Check = '\u0101';
    public const char CheckInterval = '\u0102';
    public const char CheckTimeout = '\u0103';
    public const char CheckFall = '\u0104';
    public const char CheckRise = '\u0105';
    public const char CheckWeight = '\u0106';

    // Unicast peers (0x120-0x12f).
    public const char Peer = '\u0120';

    // The etcd election (0x130-0x14f).
    public const char Etcd = '\u0130';
    public const char EtcdPrefix = '\u0131';
    public const char EtcdCaCert = '\u0132';
    public const char EtcdCert = '\u0133';
    public const char EtcdKey = '\u0134';
    public const char EtcdUser = '\u0135';
    public const char EtcdPasswordFile = '\u0136';
    /// <summary>Follow mode: the address follows an etcd key's value instead of an election.</summary>
    public const char FollowKey = '\u0137';
    public const char FollowValue = '\u0138';
    /// <summary>--etcd-ttl: the lease's TTL in seconds, instead of the default.</summary>
    public const char EtcdTtl = '\u0139';

    // Monitoring files (0x150-0x15f).
    public const char StateFile = '\u0150';
    public const char MetricsFile = '\u0151';
    public const char PidFile = '\u0152';
    /// <summary>--metrics-listen: the metrics over HTTP, for Prometheus.</summary>
    public const char MetricsListen = '\u0153';

    // Fast failover (0x180-0x18f).
    public const char GarpRefresh = '\u0180';
    public const char Realtime = '\u0181';
    // A group's addresses (0x170-0x17f).
    public const char ExtraAddr = '\u0170';
    public const char ManageAddresses = '\u0171';
    /// <summary>--sync: the group's sync set (groups that move together).</summary>
    public const char Sync = '\u0172';

    // The daemon of many groups (0x190-0x19f): process-wide.
    public const char Config = '\u0190';
    public const char CheckConfig = '\u0191';
    public const char Control = '\u0192';
    /// <summary>--demotion-file: ucarpctl's demotions kept across restarts.</summary>
    public const char DemotionFile = '\u0193';

    // VRRP (0x1a0-0x1af): a group that speaks VRRP instead of CARP.
    /// <summary>--vrrp=2|3: the group speaks VRRP of that version (RFC 3768, RFC 5798).</summary>
    public const char Vrrp = '\u01a0';
    public const char Priority = '\u01a1';
    public const char AdvertInt = '\u01a2';
    public const char NoPreempt = '\u01a3';
    public const char PreemptDelay = '\u01a4';
    /// <summary>--vrrp-checksum=pseudo|rfc: how a VRRPv3 IPv4 advert's checksum is computed.</summary>
    public const char VrrpChecksum = '\u01a5';
    /// <summary>--from-keepalived=FILE: print a --config file for keepalived.conf's VRRP part, and exit (process-wide).</summary>
    public const char FromKeepalived = '\u01a6';

    // The virtual MAC (0x1b0-0x1bf): a CARP or VRRP group's addresses on a macvlan child.
    /// <summary>--vmac: the group's addresses on a macvlan child of -i with the virtual router MAC.</summary>
    public const char Vmac = '\u01b0';
    /// <summary>--vmac-name=NAME: the child's name instead of vrrp.ID (implies --vmac).</summary>
    public const char VmacName = '\u01b1';
}
