using Ucarp.Core.Config;
using Ucarp.Core.Election;
using Ucarp.Core.Groups;

namespace Ucarp.Daemon;

/// <summary>
/// A --config group that is not running because it cannot: its interface is missing or
/// down (at start, at a reload, or lost while it ran), or it could not be made ready. Its
/// gate, closed for <see cref="GateReason.Held"/>, keeps its place in its sync set (its
/// mates stay out) and in `ucarpctl status`, and carries `ucarpctl demote` to the group
/// that starts in its place.
/// </summary>
internal sealed class HeldGroup
{
    public HeldGroup(GroupOptions options, string? etcdPassword, string reason, long now)
    {
        Options = options;
        EtcdPassword = etcdPassword;
        Gate = new ElectionGate(new HeldElection(options.Settings.AdvSkew));
        Gate.Close(GateReason.Held, reason, now);
    }

    public GroupOptions Options { get; set; }
    public string Name => Options.Name;
    public string Interface => Options.Settings.Interface!;
    /// <summary>Read with the file, off the loop: making the group ready again reads nothing.</summary>
    public string? EtcdPassword { get; set; }
    public ElectionGate Gate { get; }
    public string Reason => Gate.ReasonOf(GateReason.Held)!;
    /// <summary>When a group whose interface is usable but which could not be made ready is tried again.</summary>
    public long NextTry { get; set; }
    /// <summary>Its --vmac child is being made ahead (<see cref="VirtualMacs.Prepare"/>): not asked for twice.</summary>
    public bool MakingVmac { get; set; }
    /// <summary>Wall-clock microseconds since it was held back (ucarpctl status).</summary>
    public long SinceUnixMicros { get; } = Linux.WallClock.NowMicros();
}
