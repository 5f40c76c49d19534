using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Health;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Monitoring;

/// <summary>A health check's standing, for the state file and the metrics.</summary>
public sealed record HealthSnapshot(string Command, bool Passing, bool? LastPassed, int ConsecutivePasses,
                                    int ConsecutiveFailures, long Runs, long Failures, int Weight = 0)
{
    public static HealthSnapshot From(string command, HealthPolicy policy) =>
        new(command, policy.Passing, policy.LastPassed, policy.ConsecutivePasses, policy.ConsecutiveFailures,
            policy.Runs, policy.FailuresTotal, policy.Weight);
}

/// <summary>
/// Everything the state file and the metrics file say, taken at one moment. Times are
/// wall-clock microseconds since the epoch, given by the caller: the core reads no clock.
/// </summary>
public sealed record StatusSnapshot
{
    /// <summary>The group's name: the state file's "name" and the metrics' group label in --config mode.</summary>
    public string? Name { get; init; }
    public required CarpState State { get; init; }
    /// <summary>The daemon has ended: the state file's last word.</summary>
    public bool Stopped { get; init; }
    /// <summary>A --config group held back (its interface missing or down, or not ready): shown WAITING.</summary>
    public bool Waiting { get; init; }
    public required bool InElection { get; init; }
    public string? ElectionReason { get; init; }
    public required bool LinkUp { get; init; }
    public required long SinceUnixMicros { get; init; }
    public required long NowUnixMicros { get; init; }
    public required string Interface { get; init; }
    public required int Vhid { get; init; }
    public required string VirtualAddress { get; init; }
    /// <summary>Every address of the group, -a first, then each --extra-addr (default: -a alone).</summary>
    public IReadOnlyList<string>? Addresses { get; init; }
    public IReadOnlyList<string> AllAddresses => Addresses ?? [VirtualAddress];
    /// <summary>How the group elects: "carp", "vrrp", "etcd" or "follow".</summary>
    public string Mode { get; init; } = "carp";
    /// <summary>VRRP groups: the version and the priorities; null for the others.</summary>
    public VrrpView? Vrrp { get; init; }
    /// <summary>etcd and follow groups: the connection's health; null for CARP.</summary>
    public EtcdHealth? Etcd { get; init; }
    public required IpAddress Source { get; init; }
    public required int AdvBase { get; init; }
    public required int AdvSkew { get; init; }
    /// <summary>The advskew in use and why (-k plus a failing check's weight); default: -k alone.</summary>
    public SkewInUse? Skew { get; init; }
    public int AdvSkewInUse => Skew?.Value ?? AdvSkew;
    public required bool Preempt { get; init; }
    public IpAddress? Master { get; init; }
    public HealthSnapshot? Health { get; init; }
    public required long Transitions { get; init; }
    public required long AdvertsSent { get; init; }
    public required long AdvertSendErrors { get; init; }
    public required long AdvertsReceived { get; init; }
    public required long ScriptRuns { get; init; }
    public required long ScriptFailures { get; init; }
    public required IReadOnlyDictionary<Rejection, long> Rejected { get; init; }
    public required int Pid { get; init; }

    /// <summary>`ucarpctl watch`'s last word on a group a reload took out of the file.</summary>
    public bool Removed { get; init; }

    public string StateName => Removed ? "REMOVED" : NameOf(State, Stopped, Waiting);

    /// <summary>MASTER, BACKUP, INIT, WAITING (a group held back), or STOPPED once the daemon has ended.</summary>
    public static string NameOf(CarpState state, bool stopped, bool waiting = false) => stopped ? "STOPPED" : waiting ? "WAITING" : state switch
    {
        CarpState.Master => "MASTER",
        CarpState.Backup => "BACKUP",
        _ => "INIT",
    };

    /// <summary>Every rejection reason with its stable name (the metrics' label and the state file's key), in order.</summary>
    public static readonly IReadOnlyList<(Rejection Reason, string Name)> RejectionNames =
    [
        (Rejection.TooShort, "too_short"),
        (Rejection.WrongFamily, "wrong_family"),
        (Rejection.OwnAddress, "own_address"),
        (Rejection.NotCarp, "not_carp"),
        (Rejection.BogusSize, "bogus_size"),
        (Rejection.BadTtl, "bad_ttl"),
        (Rejection.BadVersion, "bad_version"),
        (Rejection.OtherVhid, "other_vhid"),
        (Rejection.OtherGroup, "other_group"),
        (Rejection.BadChecksum, "bad_checksum"),
        (Rejection.BadDigest, "bad_digest"),
        (Rejection.NotFromPeer, "not_from_peer"),
        (Rejection.NotToUs, "not_to_us"),
        (Rejection.BadType, "bad_type"),
        (Rejection.BadAuth, "bad_auth"),
        (Rejection.IntervalMismatch, "interval_mismatch"),
    ];

    /// <summary>
    /// The reasons the group's reader can give, so a CARP group's documents stay what they
    /// were: CARP has no type, auth or interval check, VRRP no digest.
    /// </summary>
    public IReadOnlyList<(Rejection Reason, string Name)> OwnRejectionNames => Mode == "vrrp" ? VrrpRejectionNames : CarpRejectionNames;

    // After RejectionNames: static fields are set in the order written.
    static readonly List<(Rejection Reason, string Name)> VrrpRejectionNames = Own(vrrp: true);
    static readonly List<(Rejection Reason, string Name)> CarpRejectionNames = Own(vrrp: false);

    static List<(Rejection Reason, string Name)> Own(bool vrrp)
    {
        var own = new List<(Rejection Reason, string Name)>();
        foreach ((Rejection reason, string name) in RejectionNames)
        {
            if (vrrp ? reason != Rejection.BadDigest : reason is not (Rejection.BadType or Rejection.BadAuth or Rejection.IntervalMismatch))
            {
                own.Add((reason, name));
            }
        }
        return own;
    }

    public long RejectedFor(Rejection reason) => Rejected.TryGetValue(reason, out long n) ? n : 0;
}
