using Ucarp.Core.Carp;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Election;

/// <summary>
/// What decides a group's role, as the event loop, the gates, the health policy and
/// monitoring see it: CARP adverts (<see cref="CarpMachine"/>), an etcd lease
/// (<see cref="Etcd.EtcdElection"/>) or an etcd key that names the node
/// (<see cref="Etcd.FollowElection"/>). What follows a role change (scripts,
/// announcements, the bow-out) is the group's <see cref="Follow.RoleFollower"/>'s.
/// </summary>
public interface IElection
{
    CarpState State { get; }
    bool Eligible { get; }
    string? EligibilityReason { get; }
    bool LinkIsDown { get; }
    /// <summary>The advskew in use: -k, plus --check-weight while the check fails.</summary>
    SkewInUse Skew { get; }
    CarpCounters Counters { get; }
    /// <summary>When <see cref="OnTimer"/> must run next, or null.</summary>
    long? NextDeadline { get; }

    /// <summary>The current master as far as this node knows, or null.</summary>
    IpAddress? MasterAddress(long now);

    void Start(long now);
    void OnTimer(long now);
    /// <summary>SIGUSR1: one status line.</summary>
    void ReportStatus();
    /// <summary>Out of the election (a failing check) or back in.</summary>
    void SetEligible(bool eligible, string reason, long now);
    /// <summary>--check-weight: advertise (or campaign with) advskew + weight; 0 lifts it. <paramref name="why"/> is shown with it.</summary>
    void SetCheckWeight(byte weight, string why, long now);
    /// <summary>SIGUSR2: a master steps down and holds off for 3 s.</summary>
    void Demote(long now);

    /// <summary>
    /// A sync-set mate whose set leader another host holds (<paramref name="defer"/>) or no
    /// longer: an election that campaigns (etcd) lets that host campaign for it first. CARP
    /// elections have nothing to defer.
    /// </summary>
    void DeferCampaigns(bool defer, long now) { }

    void LinkDown(long now);
    void LinkUp(long now);
    /// <summary>A termination signal with -z: downscript when not BACKUP, then let go.</summary>
    void Shutdown(long now);
    /// <summary>
    /// The interface is gone: ucarp's ERROR line ("exiting", so only with <paramref name="revents"/>: a
    /// --config group waits instead), the downscript when asked and not BACKUP; nothing is sent.
    /// </summary>
    void InterfaceLost(int? revents, bool shutdownAtExit, long now);

    /// <summary>From now on <paramref name="watcher"/> is told of every change in what is shown of this election.</summary>
    void Watch(IStandingWatcher watcher);
    void Unwatch(IStandingWatcher watcher);
}
