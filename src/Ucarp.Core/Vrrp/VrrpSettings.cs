namespace Ucarp.Core.Vrrp;

/// <summary>
/// What a VRRP group decides with, beside what every group has (<see cref="Carp.CarpSettings"/>:
/// the interface, -s, -v as the VRID, the addresses, scripts, peers): the version, the
/// priority, the advertisement interval, preemption, the checksum form and v2's password.
/// </summary>
public sealed record VrrpSettings
{
    /// <summary>2 (RFC 3768) or 3 (RFC 5798, RFC 9568).</summary>
    public required byte Version { get; init; }

    /// <summary>1-254, or 255 for the owner of the addresses, which takes the role at once.</summary>
    public byte Priority { get; init; } = 100;

    /// <summary>Between adverts as master, in centiseconds (version 2: whole seconds, so a multiple of 100).</summary>
    public ushort IntervalCentis { get; init; } = 100;

    /// <summary>A higher-priority backup takes over from a live master (on unless --no-preempt).</summary>
    public bool Preempt { get; init; } = true;

    /// <summary>--preempt-delay: µs after the start during which a backup does not preempt.</summary>
    public long PreemptDelay { get; init; }

    /// <summary>Version 3 over IPv4: the checksum without the pseudo-header (RFC 9568), else with it (keepalived's default).</summary>
    public bool RfcChecksum { get; init; }

    /// <summary>Version 2's simple password (auth type 1), at most 8 bytes; empty: no authentication.</summary>
    public byte[] Password { get; init; } = [];

    /// <summary>The settings a validated VRRP group's configuration gives, with its password's bytes (version 2 only).</summary>
    public static VrrpSettings From(Cli.Configuration c, byte[] password) => new()
    {
        Version = c.Vrrp,
        Priority = c.Priority,
        IntervalCentis = c.AdvertIntervalCentis,
        Preempt = !c.NoPreempt,
        PreemptDelay = c.PreemptDelay,
        RfcChecksum = c.VrrpChecksumRfc,
        Password = c.Vrrp == 2 ? password : [],
    };

    public const byte OwnerPriority = 255;
    /// <summary>The priority of a master leaving on purpose: backups wait only Skew_Time.</summary>
    public const byte ResignPriority = 0;
}
