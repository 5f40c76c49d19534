using Ucarp.Core.Cli;

namespace Ucarp.Core.Carp;

/// <summary>What the state machine is configured with: the validated command line plus the interface's MAC.</summary>
public sealed record CarpSettings
{
    public required string Interface { get; init; }
    public required byte Vhid { get; init; }
    public byte AdvBase { get; init; } = 1;
    public byte AdvSkew { get; init; }
    public uint DeadRatio { get; init; } = 3;
    public bool Preempt { get; init; }
    public bool Neutral { get; init; }
    public required IpAddress Source { get; init; }
    public IpAddress Group { get; init; } = Configuration.DefaultMulticast;
    public bool Broadcast { get; init; }
    public required IpAddress VirtualAddress { get; init; }
    public string? VirtualAddressText { get; init; }
    public required byte[] Password { get; init; }
    /// <summary>The interface's MAC; with --vmac the virtual router MAC, which every frame the group sends comes from.</summary>
    public required byte[] Mac { get; init; }
    /// <summary>--vmac: <see cref="Mac"/> is the virtual router MAC, and CARP adverts come from it too.</summary>
    public bool VirtualMac { get; init; }
    /// <summary>The interface the scripts are given (their first argument): -i, or with --vmac the child.</summary>
    public string? ScriptInterface { get; init; }
    public string? UpScript { get; init; }
    public string? DownScript { get; init; }
    public string? XParam { get; init; }
    /// <summary>Send one advbase 255/advskew 255 advert when giving up MASTER on purpose (off: --no-bowout).</summary>
    public bool BowOut { get; init; } = true;
    /// <summary>Unicast peers (--peer); empty: the multicast group (or broadcast with -M).</summary>
    public IReadOnlyList<IpAddress> Peers { get; init; } = [];
    /// <summary>--garp-refresh: µs between a master's repeated announcements; null: off.</summary>
    public long? GarpRefresh { get; init; }
    /// <summary>--extra-addr: the group's other addresses, announced and managed with -a (not in the HMAC).</summary>
    public IReadOnlyList<IpAddress> ExtraAddresses { get; init; } = [];
    /// <summary>--manage-addresses: the daemon adds the addresses on MASTER and removes them on leaving it.</summary>
    public bool ManageAddresses { get; init; }

    /// <summary>Every address of the group: -a first, then the extras in the order given.</summary>
    public IReadOnlyList<IpAddress> Addresses => [VirtualAddress, .. ExtraAddresses];   // as Configuration.Addresses()

    /// <summary>
    /// The settings a validated configuration gives, with the password's bytes and the
    /// interface's MAC (with --vmac: the virtual router MAC, and the child's name for the scripts).
    /// </summary>
    public static CarpSettings From(Configuration c, byte[] password, byte[] mac) => new()
    {
        VirtualMac = c.Vmac,
        ScriptInterface = c.VmacInterface ?? c.Interface ?? "",
        Interface = c.Interface ?? "",
        Vhid = c.Vhid,
        AdvBase = c.AdvBase,
        AdvSkew = c.AdvSkew,
        DeadRatio = c.DeadRatio,
        Preempt = c.Preempt,
        Neutral = c.Neutral,
        Source = c.SourceAddress,
        Group = c.MulticastAddress,
        Broadcast = c.NoMulticast,
        VirtualAddress = c.VirtualAddress,
        VirtualAddressText = c.VirtualAddressText,
        Password = password,
        Mac = c.Vmac ? VmacOptions.Mac(c.Vhid, c.VirtualAddress.IsV6) : mac,
        UpScript = c.UpScript,
        DownScript = c.DownScript,
        XParam = c.XParam,
        BowOut = !c.NoBowOut,
        Peers = [.. c.Peers],
        GarpRefresh = c.GarpRefresh,
        ExtraAddresses = [.. c.ExtraAddresses],
        ManageAddresses = c.ManageAddresses,
    };
}
