using Ucarp.Core.Election;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Groups;

/// <summary>Who keeps a group out of the election, besides its election itself.</summary>
public enum GateReason
{
    /// <summary>The health check (HealthPolicy's SetEligible).</summary>
    Health,
    /// <summary>`ucarpctl demote`, until `ucarpctl promote`.</summary>
    Control,
    /// <summary>A member of the group's sync set is out of the election on this host.</summary>
    Sync,
    /// <summary>The group is held back (--config): its interface is missing or down, or it could not be made ready.</summary>
    Held,
}

/// <summary>
/// A group's election seen through every reason that can keep it out: the health check,
/// ucarpctl and its sync set each open or close their own gate, and the election is told
/// "out" while any gate is closed, "in" when the last one opens. Everything else passes
/// through, so monitoring, the health policy and the event loop use it as the election.
/// Its watchers hear of the election's changes and of the gate's own, as the gate's.
/// </summary>
public sealed class ElectionGate : IElection, IStandingWatcher
{
    // Closed gates and why, in the order they closed: the first one is the reason shown.
    readonly List<(GateReason Kind, string Reason)> _closed = [];
    readonly StandingWatchers _watchers = new();

    public ElectionGate(IElection inner)
    {
        Inner = inner;
        inner.Watch(this);
    }

    public IElection Inner { get; }

    /// <summary>
    /// Told after anything that may move the election's deadlines is passed through the
    /// gate (the daemon's group clock then looks at this group again).
    /// </summary>
    public Action? Moved { get; set; }

    /// <summary>Stopped (a reload removed or changed the group, or its interface is gone).</summary>
    public bool Stopping { get; private set; }

    /// <summary>
    /// In the election for reasons of its own: no gate closed but maybe the sync set's, the
    /// link up, not stopping. This is what the sync-set rule looks at (the set's own gate
    /// must not count, or one member out would keep every member out for ever).
    /// </summary>
    public bool OwnInElection => !Stopping && !Inner.LinkIsDown && !ClosedOtherThan(GateReason.Sync);

    public bool IsClosed(GateReason kind) => IndexOf(kind) >= 0;

    /// <summary>Why that gate is closed, or null when it is open.</summary>
    public string? ReasonOf(GateReason kind) => IndexOf(kind) is int i and >= 0 ? _closed[i].Reason : null;

    // Loops, not LINQ: the sync-set rule reads these for every member after every event.
    int IndexOf(GateReason kind)
    {
        for (int i = 0; i < _closed.Count; i++)
        {
            if (_closed[i].Kind == kind)
            {
                return i;
            }
        }
        return -1;
    }

    bool ClosedOtherThan(GateReason kind)
    {
        for (int i = 0; i < _closed.Count; i++)
        {
            if (_closed[i].Kind != kind)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Closes (or re-words) one gate; the election leaves when this is the first closed.</summary>
    public void Close(GateReason kind, string reason, long now)
    {
        int i = IndexOf(kind);
        if (i >= 0)
        {
            if (_closed[i].Reason != reason)
            {
                _closed[i] = (kind, reason);
                Changed();
            }
            return;
        }
        _closed.Add((kind, reason));
        if (_closed.Count == 1)
        {
            Inner.SetEligible(false, reason, now);
        }
        Changed();
        Moved?.Invoke();
    }

    /// <summary>Opens one gate; the election rejoins when it was the last closed.</summary>
    public void Open(GateReason kind, string reason, long now)
    {
        int i = IndexOf(kind);
        if (i < 0)
        {
            return;
        }
        _closed.RemoveAt(i);
        if (_closed.Count == 0)
        {
            Inner.SetEligible(true, reason, now);
        }
        Changed();
        Moved?.Invoke();
    }

    /// <summary>The group is being stopped: it no longer counts as in the election (its mates' rule sees that).</summary>
    public void MarkStopping()
    {
        if (!Stopping)
        {
            Stopping = true;
            Changed();
            Moved?.Invoke();
        }
    }

    public void Watch(IStandingWatcher watcher) => _watchers.Add(watcher);

    public void Unwatch(IStandingWatcher watcher) => _watchers.Remove(watcher);

    // The election's changes are the gate's: its watchers know the gate, not what it wraps.
    void IStandingWatcher.StandingChanged(IElection election) => Changed();

    void Changed() => _watchers.Tell(this);

    // The health check speaks through the Health gate.
    public void SetEligible(bool eligible, string reason, long now)
    {
        if (eligible)
        {
            Open(GateReason.Health, reason, now);
        }
        else
        {
            Close(GateReason.Health, reason, now);
        }
    }

    public CarpState State => Inner.State;
    public bool Eligible => Inner.Eligible;
    // The election keeps the reason of the gate that closed first; once that one opens
    // with another still closed, the one still closed is why the group is out.
    public string? EligibilityReason => _closed.Count > 0 ? _closed[0].Reason : Inner.EligibilityReason;
    public bool LinkIsDown => Inner.LinkIsDown;
    public SkewInUse Skew => Inner.Skew;
    public CarpCounters Counters => Inner.Counters;
    public long? NextDeadline => Inner.NextDeadline;
    public IpAddress? MasterAddress(long now) => Inner.MasterAddress(now);
    public void Start(long now)
    {
        Inner.Start(now);
        Moved?.Invoke();
    }

    public void OnTimer(long now)
    {
        Inner.OnTimer(now);
        Moved?.Invoke();
    }

    public void ReportStatus() => Inner.ReportStatus();
    public void SetCheckWeight(byte weight, string why, long now)
    {
        Inner.SetCheckWeight(weight, why, now);
        Moved?.Invoke();
    }

    public void Demote(long now)
    {
        Inner.Demote(now);
        Moved?.Invoke();
    }

    public void DeferCampaigns(bool defer, long now)
    {
        Inner.DeferCampaigns(defer, now);
        Moved?.Invoke();
    }

    public void LinkDown(long now)
    {
        Inner.LinkDown(now);
        Moved?.Invoke();
    }

    public void LinkUp(long now)
    {
        Inner.LinkUp(now);
        Moved?.Invoke();
    }

    public void Shutdown(long now)
    {
        Inner.Shutdown(now);
        Moved?.Invoke();
    }

    public void InterfaceLost(int? revents, bool shutdownAtExit, long now)
    {
        Inner.InterfaceLost(revents, shutdownAtExit, now);
        Moved?.Invoke();
    }
}
