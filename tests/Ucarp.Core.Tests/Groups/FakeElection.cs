using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;

namespace Ucarp.Core.Tests.Groups;

/// <summary>An election that does what it is told, as CarpMachine would, and records the calls the sync-set rule makes.</summary>
sealed class FakeElection : IElection
{
    readonly List<IStandingWatcher> _watchers = [];
    CarpState _state = CarpState.Backup;
    bool _linkIsDown;

    /// <summary>Set by the test or by the calls below; watchers are told, as ElectionBase tells them.</summary>
    public CarpState State { get => _state; set { _state = value; Changed(); } }
    public bool Eligible { get; private set; } = true;
    public string? EligibilityReason { get; private set; }
    public bool LinkIsDown { get => _linkIsDown; set { _linkIsDown = value; Changed(); } }
    public int Demotions { get; private set; }
    public List<string> Calls { get; } = [];

    public SkewInUse Skew => new(0);
    public CarpCounters Counters { get; } = new();
    public long? NextDeadline => null;
    /// <summary>The master it hears (another host's), or null; watchers are told of a change.</summary>
    public IpAddress? HeardMaster { get => _heard; set { _heard = value; Changed(); } }
    IpAddress? _heard;

    public IpAddress? MasterAddress(long now) => _heard;

    public void SetEligible(bool eligible, string reason, long now)
    {
        Calls.Add((eligible ? "in: " : "out: ") + reason);
        Eligible = eligible;
        EligibilityReason = reason;
        if (!eligible && State == CarpState.Master)
        {
            State = CarpState.Backup; // steps down with a bow-out
        }
        Changed();
    }

    public void Watch(IStandingWatcher watcher) => _watchers.Add(watcher);
    public void Unwatch(IStandingWatcher watcher) => _watchers.Remove(watcher);

    /// <summary>Changes made while set are not told: what a watcher that polled would see, and one that listens would not.</summary>
    public bool Silent { get; set; }

    void Changed()
    {
        if (Silent)
        {
            return;
        }
        foreach (IStandingWatcher w in _watchers.ToArray())
        {
            w.StandingChanged(this);
        }
    }

    public void Demote(long now)
    {
        Calls.Add("demote");
        if (State == CarpState.Master)
        {
            Demotions++;
            State = CarpState.Backup;
        }
    }

    /// <summary>What the sync-set rule last said of its campaigns (null: nothing yet).</summary>
    public bool? Deferred { get; private set; }

    public void DeferCampaigns(bool defer, long now) => Deferred = defer;

    public void Start(long now) => State = CarpState.Backup;
    public void OnTimer(long now) { }
    public void ReportStatus() { }
    public void SetCheckWeight(byte weight, string why, long now) { }
    public void LinkDown(long now) { LinkIsDown = true; State = CarpState.Backup; }
    public void LinkUp(long now) => LinkIsDown = false;
    public void Shutdown(long now) { }
    public void InterfaceLost(int? revents, bool shutdownAtExit, long now) { }
}
