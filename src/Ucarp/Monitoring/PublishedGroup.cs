using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Linux;

namespace Ucarp.Monitoring;

/// <summary>
/// One running group as monitoring sees it. <see cref="Machine"/> is the group's election
/// as the daemon gates it (Eligible includes ucarpctl demote and the sync set);
/// <see cref="Frames"/> counts the frames it rejected (CARP groups; null for etcd).
/// <see cref="Held"/>: a --config group held back (WAITING), with neither scripts nor a check running.
/// </summary>
internal sealed record PublishedGroup(string Name, Configuration Settings, IElection Machine, IFrameInput? Frames, ScriptRunner? Scripts,
                                      HealthCheckRunner? Health, bool Held = false)
{
    /// <summary>The group's own "since" (its last role change); without it the publisher keeps one.</summary>
    public Func<long>? Since { get; init; }

    /// <summary>etcd's side of an etcd or follow group at a moment (monotonic µs).</summary>
    public Func<long, Core.Monitoring.EtcdHealth?>? Etcd { get; init; }

    /// <summary>A VRRP group's version and priorities at a moment (monotonic µs).</summary>
    public Func<long, Core.Monitoring.VrrpView?>? Vrrp { get; init; }

    /// <summary>The group is being stopped (a reload removed or changed it, or the daemon ends): STOPPED.</summary>
    public Func<bool>? Stopping { get; init; }
}
