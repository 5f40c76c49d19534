namespace Ucarp.Core.Cli;

/// <summary>Everything the command line sets, with ucarp's defaults (globals.h, ucarp.h).</summary>
public sealed class Configuration
{
    public static readonly IpAddress DefaultMulticast = new(224, 0, 0, 18);

    public string? Interface { get; set; }
    public IpAddress SourceAddress { get; set; }
    public IpAddress MulticastAddress { get; set; } = DefaultMulticast;
    public byte Vhid { get; set; }
    public string? Password { get; set; }
    public IpAddress VirtualAddress { get; set; }
    /// <summary>The virtual address as the user typed it: scripts receive this text.</summary>
    public string? VirtualAddressText { get; set; }
    public byte AdvBase { get; set; } = 1;
    public byte AdvSkew { get; set; }
    public uint DeadRatio { get; set; } = 3;
    public string? UpScript { get; set; }
    public string? DownScript { get; set; }
    public string? XParam { get; set; }
    public bool Preempt { get; set; }
    /// <summary>-P was given (a VRRP group refuses it): only -P sets <see cref="Preempt"/>.</summary>
    public bool PreemptGiven => Preempt;
    /// <summary>-b, -k and -r were given, whatever their value (a VRRP group refuses them, even at their defaults).</summary>
    public bool AdvBaseGiven { get; set; }
    public bool AdvSkewGiven { get; set; }
    public bool DeadRatioGiven { get; set; }
    public bool Neutral { get; set; }
    public bool Debug { get; set; }
    public bool ShutdownAtExit { get; set; }
    public bool Daemonize { get; set; }
    public bool IgnoreInterfaceState { get; set; }
    public bool NoMulticast { get; set; }
    /// <summary>True when -m/--mcast was given (it cannot go with --peer).</summary>
    public bool MulticastGiven { get; set; }
    public bool NoSyslog { get; set; }
    public int SyslogFacility { get; set; } = SyslogFacilities.Daemon;

    // Ucarp.Net's own (long options only): planned handover and health checks.
    public bool NoBowOut { get; set; }
    public string? Check { get; set; }
    /// <summary>Microseconds between the starts of two checks.</summary>
    public long CheckInterval { get; set; } = 2_000_000;
    /// <summary>Microseconds a check may run; null: the interval.</summary>
    public long? CheckTimeout { get; set; }
    public int CheckFall { get; set; } = 2;
    public int CheckRise { get; set; } = 2;
    /// <summary>--check-weight: added to advskew while the check fails; 0: a failing check leaves the election.</summary>
    public byte CheckWeight { get; set; }
    /// <summary>True when any of the check's timing options was given (they need --check).</summary>
    public bool CheckTimingGiven { get; set; }

    // Ucarp.Net's own (long options only): unicast peers, in the order given, no repeats.
    public List<IpAddress> Peers { get; } = [];

    // Ucarp.Net's own (long options only): the election on etcd.
    public List<EtcdEndpoint> EtcdEndpoints { get; } = [];
    public string EtcdPrefix { get; set; } = EtcdOptions.DefaultPrefix;
    public bool EtcdPrefixGiven => EtcdPrefix != EtcdOptions.DefaultPrefix;
    public string? EtcdCaCert { get; set; }
    public string? EtcdCert { get; set; }
    public string? EtcdKey { get; set; }
    public string? EtcdUser { get; set; }
    public string? EtcdPasswordFile { get; set; }
    /// <summary>--follow-key: hold the address while this etcd key holds <see cref="FollowValue"/>; null: the election.</summary>
    public string? FollowKey { get; set; }
    /// <summary>--etcd-ttl, in seconds; null: <see cref="EtcdOptions.DefaultTtl"/>.</summary>
    public int? EtcdTtl { get; set; }
    /// <summary>--follow-value; null: the host name.</summary>
    public string? FollowValue { get; set; }

    // Ucarp.Net's own (long options only): what an administrator watches.
    public string? StateFile { get; set; }
    public string? MetricsFile { get; set; }
    public string? PidFile { get; set; }

    // Ucarp.Net's own (long options only): fast failover.
    /// <summary>--garp-refresh: µs between a master's repeated announcements; null: off.</summary>
    public long? GarpRefresh { get; set; }
    /// <summary>--realtime: the event loop's SCHED_RR priority (1-99); null: the default scheduler.</summary>
    public int? RealtimePriority { get; set; }
    // Ucarp.Net's own (long options only): a group's further addresses, and the daemon
    // adding and removing them itself.
    /// <summary>--extra-addr, in the order given (repeats are kept for Validate to refuse).</summary>
    public List<IpAddress> ExtraAddresses { get; } = [];
    /// <summary>Every address of the group: -a, then each --extra-addr.</summary>
    public IReadOnlyList<IpAddress> Addresses() => [VirtualAddress, .. ExtraAddresses];
    /// <summary>Whether <paramref name="address"/> is one of <see cref="Addresses"/>.</summary>
    public bool HasAddress(IpAddress address) => VirtualAddress == address || ExtraAddresses.Contains(address);
    public bool ManageAddresses { get; set; }
    /// <summary>--sync: the name of the group's sync set; null: none.</summary>
    public string? SyncSet { get; set; }

    // Ucarp.Net's own (long options only): the daemon of many groups (process-wide).
    /// <summary>--config: the file that declares the groups; null: the command line is the one group.</summary>
    public string? ConfigFile { get; set; }
    /// <summary>--check-config: check the file, report, exit.</summary>
    public bool CheckConfig { get; set; }
    /// <summary>--control: the control socket's path; null: none (a plain command line) or the default (--config).</summary>
    public string? ControlSocket { get; set; }

    /// <summary>--demotion-file: where ucarpctl's demotions are kept across restarts, or null (kept in memory only).</summary>
    public string? DemotionFile { get; set; }

    /// <summary>--metrics-listen: ADDRESS:PORT where the metrics are served over HTTP, or null.</summary>
    public string? MetricsListen { get; set; }

    // Ucarp.Net's own (long options only): a group that speaks VRRP instead of CARP.
    /// <summary>--vrrp: the VRRP version the group speaks (2 or 3); 0: CARP.</summary>
    public byte Vrrp { get; set; }
    /// <summary>--priority: the VRRP priority (1-255, 255: the address owner).</summary>
    public byte Priority { get; set; } = VrrpOptions.DefaultPriority;
    public bool PriorityGiven { get; set; }
    /// <summary>--advert-int, in centiseconds (VRRPv3's unit; version 2 takes whole seconds).</summary>
    public ushort AdvertIntervalCentis { get; set; } = VrrpOptions.DefaultAdvertIntervalCentis;
    public bool AdvertIntervalGiven { get; set; }
    /// <summary>--no-preempt: a higher-priority backup does not take over from a live master.</summary>
    public bool NoPreempt { get; set; }
    /// <summary>--preempt-delay, in µs: after start-up a backup waits this long before preempting.</summary>
    public long PreemptDelay { get; set; }
    public bool PreemptDelayGiven { get; set; }
    /// <summary>--vrrp-checksum=rfc: a VRRPv3 IPv4 checksum without the pseudo-header (keepalived's v3_checksum_as_v2).</summary>
    public bool VrrpChecksumRfc { get; set; }
    public bool VrrpChecksumGiven { get; set; }
    /// <summary>--from-keepalived: the keepalived.conf to convert (process-wide: nothing runs).</summary>
    public string? FromKeepalived { get; set; }

    // Ucarp.Net's own: the virtual MAC.
    /// <summary>--vmac: the group's addresses live on a macvlan child of -i whose MAC is the virtual router's.</summary>
    public bool Vmac { get; set; }
    /// <summary>--vmac-name: the child's name; null: <see cref="VmacOptions.DefaultName"/>.</summary>
    public string? VmacName { get; set; }
    /// <summary>With --vmac, the child's name: the one given, or the default for the group's id and family.</summary>
    public string? VmacInterface => Vmac ? VmacName ?? VmacOptions.DefaultName(Vhid, VirtualAddress.IsV6) : null;
}
