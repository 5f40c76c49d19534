using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Election;

/// <summary>
/// The role bookkeeping every election shares, written once: the state and its change
/// (ucarp's line, the scripts and announcements handed to the group's
/// <see cref="RoleFollower"/>, the counters, the role-change observers), eligibility,
/// the watchers of what is shown of it (<see cref="IStandingWatcher"/>),
/// the advskew in use, SIGUSR2's 3 s hold and --garp-refresh. A subclass only decides:
/// when to call <see cref="SetState"/>, and what eligibility, weight, demotion, link and
/// stop mean to it.
/// </summary>
public abstract class ElectionBase : IElection
{
    static readonly long DemotionHold = 3 * Timing.Second;

    readonly AnnouncementRefresh _refresh;
    readonly List<IRoleObserver> _observers = [];
    readonly StandingWatchers _watchers = new();

    protected ElectionBase(CarpSettings settings, ILog log, IFollowerOutput output)
    {
        Settings = settings;
        Log = log;
        Follower = new RoleFollower(output);
        Effects = new RoleEffects(settings, Follower, log);
        Skew = new SkewInUse(settings.AdvSkew);
        _refresh = new AnnouncementRefresh(settings.GarpRefresh);
    }

    /// <summary>What follows this election's role: scripts, addresses, announcements, what waits for them.</summary>
    public RoleFollower Follower { get; }

    protected CarpSettings Settings { get; }
    protected ILog Log { get; }
    protected RoleEffects Effects { get; }

    public CarpState State { get; private set; } = CarpState.Init;

    /// <summary>False while the node is out of the election (a failing check, ucarpctl, its sync set): it never takes the role.</summary>
    public bool Eligible { get; private set; } = true;

    /// <summary>Why the node left or joined the election last (null until it has).</summary>
    public string? EligibilityReason { get; private set; }

    /// <summary>True while the link is down (without -S): the node is BACKUP.</summary>
    public bool LinkIsDown { get; private set; }

    public SkewInUse Skew { get; private set; }

    /// <summary>What happened so far, for the state and metrics files.</summary>
    public CarpCounters Counters { get; } = new();

    /// <summary>SIGUSR2's hold: until then a demoted node does not take the role back.</summary>
    protected long? HoldUntil { get; set; }

    /// <summary>When <see cref="OnTimer"/> must run next: the election's own timers, the hold's end, the refresh.</summary>
    public long? NextDeadline => Min(Min(HoldUntil, _refresh.Due), DecisionDeadline);

    /// <summary>The subclass's own timers.</summary>
    protected abstract long? DecisionDeadline { get; }

    /// <summary>The hold and the refresh, without the subclass's timers.</summary>
    protected long? SharedDeadline => Min(HoldUntil, _refresh.Due);

    public void Subscribe(IRoleObserver observer) => _observers.Add(observer);

    public void Unsubscribe(IRoleObserver observer) => _observers.Remove(observer);

    public void Watch(IStandingWatcher watcher) => _watchers.Add(watcher);

    public void Unwatch(IStandingWatcher watcher) => _watchers.Remove(watcher);

    /// <summary>Something shown of the election changed (the role, eligibility, the link, the advskew, the master heard): the watchers are told.</summary>
    protected void StandingChanged() => _watchers.Tell(this);

    public abstract IpAddress? MasterAddress(long now);

    /// <summary>
    /// How much longer than its master-down interval the first wait after <see cref="Start"/>
    /// is (µs): a --config group's place in its interval (<see cref="Groups.StartPhase"/>).
    /// </summary>
    public long StartPhase { get; set; }

    public abstract void Start(long now);
    public abstract void OnTimer(long now);
    public abstract void Demote(long now);

    /// <inheritdoc cref="IElection.DeferCampaigns"/>
    public virtual void DeferCampaigns(bool defer, long now) { }

    /// <summary>The lines of an election a frame or a timer reads: fetch this many of it (<see cref="CacheLines"/>) before <see cref="Prefetch"/>.</summary>
    public const int PrefetchLines = 5;

    /// <summary>
    /// Fetches ahead what a frame or a timer of this election reads (<see cref="CacheLines"/>),
    /// one level of objects per <paramref name="stage"/> (1: the objects it holds; 2: their
    /// arrays; the election itself, stage 0, is the caller's to fetch without reading it),
    /// each stage for a whole batch of groups before the next, so that a stage reads only
    /// references fetched by the stage before it.
    /// </summary>
    public void Prefetch(int stage)
    {
        switch (stage)
        {
            case 1:
                CacheLines.Prefetch(_refresh, 1);
                CacheLines.Prefetch(Counters, 1);
                CacheLines.Prefetch(Log, 1);
                PrefetchParts();
                break;
            case 2:
                PrefetchArrays();
                break;
        }
    }

    /// <summary>The objects of its own a frame or an advert reads (stage 1 of <see cref="Prefetch"/>).</summary>
    protected virtual void PrefetchParts() { }

    /// <summary>What those objects hold (stage 2 of <see cref="Prefetch"/>).</summary>
    protected virtual void PrefetchArrays() { }

    /// <summary>The interface stopped RUNNING (without -S): the node stands aside until it runs again.</summary>
    public void LinkDown(long now)
    {
        LinkIsDown = true;
        LinkChanged(now);
        StandingChanged();
    }

    /// <summary>The interface is RUNNING again.</summary>
    public void LinkUp(long now)
    {
        if (!LinkIsDown)
        {
            return;
        }
        LinkIsDown = false;
        LinkChanged(now);
        StandingChanged();
    }

    /// <summary>What the link's loss or return (<see cref="LinkIsDown"/> says which) means to the election.</summary>
    protected abstract void LinkChanged(long now);

    /// <summary>A termination signal with -z: the downscript when not BACKUP, then let go.</summary>
    public void Shutdown(long now)
    {
        Debug(Messages.ExitSignal(Settings.DownScript));
        Stop(now, runDownscript: true, interfaceGone: false);
    }

    /// <summary>The interface is gone: ucarp's ERROR line, the downscript under -z when not BACKUP; nothing more is sent on it.</summary>
    public void InterfaceLost(int? revents, bool shutdownAtExit, long now)
    {
        if (revents is int polled)
        {
            Log.Write(LogLevel.Error, Messages.PollRevents(polled));
        }
        Stop(now, runDownscript: shutdownAtExit, interfaceGone: true);
    }

    /// <summary>The group is leaving: what the election lets go of, and how (a bow-out, a release).</summary>
    protected abstract void Stop(long now, bool runDownscript, bool interfaceGone);

    /// <summary>
    /// MASTER: every address announced again now (gratuitous ARP, unsolicited neighbour
    /// advert): one of them was just put back after another program removed it, and
    /// neighbours may have dropped or moved its entry meanwhile.
    /// </summary>
    public void AnnounceAgain()
    {
        if (State == CarpState.Master)
        {
            Effects.Announce();
        }
    }

    /// <summary>SIGUSR1: one status line.</summary>
    public void ReportStatus() => Effects.ReportStatus(State, Eligible, Skew);

    /// <summary>Takes the node out of the election or brings it back; said once, then the subclass acts. May be called before Start.</summary>
    public void SetEligible(bool eligible, string reason, long now)
    {
        if (eligible == Eligible)
        {
            return;
        }
        Eligible = eligible;
        EligibilityReason = reason;
        Log.Write(LogLevel.Warning, eligible ? Messages.JoiningElection(reason) : Messages.LeavingElection(reason));
        EligibilityChanged(now);
        StandingChanged();
    }

    protected abstract void EligibilityChanged(long now);

    /// <summary>
    /// --check-weight: from now on the node advertises or campaigns with advskew + weight
    /// (0: its own advskew again), said once per change. May be called before Start.
    /// </summary>
    public void SetCheckWeight(byte weight, string why, long now)
    {
        SkewInUse before = Skew;
        Skew = before with { Weight = weight, Why = why };
        if (Skew == before)
        {
            return;
        }
        Log.Write(LogLevel.Warning, Messages.SkewInUse(DescribeSkew(Skew)));
        SkewChanged(before, now);
        StandingChanged();
    }

    /// <summary>How the weight in use is said: "advskew 10+50: check failing" (VRRP says it as a priority).</summary>
    protected virtual string DescribeSkew(SkewInUse skew) => skew.Describe()!;

    /// <summary>What a new advskew changes for the election (nothing, unless overridden).</summary>
    protected virtual void SkewChanged(SkewInUse before, long now) { }

    /// <summary>Starts SIGUSR2's hold.</summary>
    protected void Hold(long now) => HoldUntil = now + DemotionHold;

    /// <summary>SIGUSR2 for the elections that only a MASTER heeds: the hold starts; false (nothing done) when not MASTER.</summary>
    protected bool HoldIfMaster(long now)
    {
        if (State != CarpState.Master)
        {
            return false;
        }
        Hold(now);
        return true;
    }

    /// <summary>True once, when the hold is over at <paramref name="now"/>.</summary>
    protected bool HoldEnds(long now)
    {
        if (HoldUntil is not long until || until > now)
        {
            return false;
        }
        HoldUntil = null;
        return true;
    }

    /// <summary>--garp-refresh: a master repeats its announcement when the period is over.</summary>
    protected void RefreshIfDue(long now)
    {
        if (_refresh.TakeIfDue(now))
        {
            Effects.Announce(refresh: true);
        }
    }

    /// <summary>Stops the refresh (the group is leaving while it may still be MASTER).</summary>
    protected void StopRefresh(long now) => _refresh.Follow(CarpState.Backup, now);

    /// <summary>
    /// The role change, as ucarp's set_state says and does it: the line, then the
    /// downscript (not on leaving INIT under -n), or the upscript and the announcement;
    /// then the observers are told.
    /// </summary>
    protected void SetState(CarpState state, long now)
    {
        if (State == state)
        {
            return;
        }
        CarpState from = State;
        Effects.Enter(from, state);
        State = state;
        _refresh.Follow(state, now);
        Counters.Transitions++;
        if (state == CarpState.Master)
        {
            // Master again before the bow-out went out: it must not tell backups to take over now.
            Follower.CancelBowOut();
        }
        foreach (IRoleObserver observer in _observers)
        {
            observer.RoleChanged(this, from, state, now);
        }
        StandingChanged();
    }

    protected void Debug(string message)
    {
        if (Log.DebugEnabled)
        {
            Log.Write(LogLevel.Debug, message);
        }
    }

    protected static long? Min(long? a, long? b) => Deadlines.Min(a, b);
}
