using Ucarp.Core.Carp;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Election;

/// <summary>
/// The election of a group that is held back (--config mode): its interface is missing or
/// down, or it could not be made ready. It takes part in nothing and sends nothing: it is
/// what its sync set, `ucarpctl status` and monitoring see in the group's place (INIT, out
/// of the election, with the reason), until the group can start for real.
/// </summary>
public sealed class HeldElection(byte advskew) : IElection
{
    readonly StandingWatchers _watchers = new();

    public CarpState State => CarpState.Init;
    public bool Eligible { get; private set; } = true;
    public string? EligibilityReason { get; private set; }
    public bool LinkIsDown => false;
    public SkewInUse Skew { get; } = new(advskew);
    public CarpCounters Counters { get; } = new();
    public long? NextDeadline => null;

    public IpAddress? MasterAddress(long now) => null;

    // What a gate says is kept (the reason is shown); nothing else can happen to a group that is not running.
    public void SetEligible(bool eligible, string reason, long now)
    {
        Eligible = eligible;
        EligibilityReason = reason;
        _watchers.Tell(this);
    }

    public void Start(long now) { }
    public void OnTimer(long now) { }
    public void ReportStatus() { }
    public void SetCheckWeight(byte weight, string why, long now) { }
    public void Demote(long now) { }
    public void LinkDown(long now) { }
    public void LinkUp(long now) { }
    public void Shutdown(long now) { }
    public void InterfaceLost(int? revents, bool shutdownAtExit, long now) { }

    public void Watch(IStandingWatcher watcher) => _watchers.Add(watcher);

    public void Unwatch(IStandingWatcher watcher) => _watchers.Remove(watcher);
}
