using Ucarp.Core;
using Ucarp.Core.Carp;
using Ucarp.Core.Control;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Daemon;
using Ucarp.Loop;
using Ucarp.Monitoring;

namespace Ucarp.Control;

/// <summary>
/// ucarpctl's commands, answered on the loop's thread from the group set: status rows,
/// demote and promote (the Control gate of each group), reload. It is also the loop's
/// source for the control socket's descriptors and deadlines.
/// </summary>
internal sealed class ControlHandler(GroupSet groups, GroupReload reload, DemotionStore? demotions = null) : IControlHandler, ILoopSource, IDisposable
{
    ControlServer? _server;
    int _first;
    int _count;
    readonly List<(string? Group, Action<ControlReply> Complete, Func<bool> Abandoned)> _letGo = [];
    readonly StateWatch _watch = new();
    int? _looked;

    /// <summary>What a watch line depends on, hashed: each group's role, election, link, master, health and reason.</summary>
    int Look(long now)
    {
        var h = new HashCode();
        foreach (GroupRuntime g in groups.Running)   // List<T>'s enumerator is a struct
        {
            h.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(g));
            h.Add(g.Gate.State);
            h.Add(g.Gate.Eligible);
            h.Add(g.Gate.LinkIsDown);
            h.Add(g.Stopping);
            h.Add(g.Gate.MasterAddress(now));
            h.Add(g.Health?.Policy.LastPassed);
            h.Add(g.Health?.Policy.Passing);
            h.Add(g.Gate.EligibilityReason);
        }
        foreach (HeldGroup held in groups.Held)
        {
            h.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(held));
            h.Add(held.Gate.EligibilityReason);
        }
        return h.ToHashCode();
    }

    /// <summary>ucarpctl's socket, served from now on; disposed with the handler.</summary>
    public void Attach(ControlServer server) => _server = server;

    /// <summary>
    /// Every group of the file, the running ones and those held back (WAITING), in the
    /// file's order: each its row cut from the description the state file and metrics get.
    /// </summary>
    public IReadOnlyList<GroupStatus> Status(long now)
    {
        long wall = Linux.WallClock.NowMicros();
        return groups.PublishedGroups().ConvertAll(g => GroupStatus.Of(GroupSnapshots.Of(g, wall, now, wall, ended: false)));
    }

    public ControlReply SetDemoted(string? group, bool demoted, long now)
    {
        // A group held back is demoted too: the group that starts in its place inherits it.
        List<(string Name, ElectionGate Gate)> targets =
            Lists.SortedBy(groups.RunningThenHeld(g => (g.Name, g.Gate), h => (h.Name, h.Gate)).FindAll(t => group is null || t.Name == group),
                           t => groups.FileOrder(t.Name));
        if (group is not null && targets.Count == 0)
        {
            return new ControlReply(1, Messages.NoSuchGroup(group) + "\n");
        }
        if (group is null)
        {
            groups.AllDemoted = demoted;
        }
        foreach ((string _, ElectionGate gate) in targets)
        {
            if (demoted)
            {
                gate.Close(GateReason.Control, Messages.DemotedByControl, now);
            }
            else
            {
                gate.Open(GateReason.Control, Messages.PromotedByControl, now);
            }
        }
        string names = string.Join(" ", targets.ConvertAll(t => t.Name));
        string line = demoted ? Messages.Demoted(names) : Messages.Promoted(names);
        groups.Log.Write(LogLevel.Notice, line);
        // Kept for the next start, written off this thread; what a reload changes is kept in memory.
        demotions?.Save(Demotions.Of(groups.AllDemoted, groups.DemotedNow()));
        return new ControlReply(0, line + "\n");
    }

    public void Reload(Action<ControlReply> complete, long now) => reload.Start(complete, now);

    public void WhenLetGo(string? group, Action<ControlReply> complete, Func<bool> abandoned, long now)
    {
        _letGo.Add((group, complete, abandoned));
        AnswerLetGo();
    }

    /// <summary>demote --wait: answered once its groups hold nothing and owe nothing (looked at after every pass's scripts and address changes).</summary>
    void AnswerLetGo()
    {
        for (int i = 0; i < _letGo.Count; i++)
        {
            (string? group, Action<ControlReply> complete, Func<bool> abandoned) = _letGo[i];
            // Groups held back hold nothing; a stopping group finishes its scripts like any other.
            var targets = new List<GroupRuntime>();
            for (int n = 0; n < groups.Count; n++)
            {
                GroupRuntime g = groups[n];
                if (group is null || g.Name == group)
                {
                    targets.Add(g);
                }
            }
            if (abandoned())
            {
                _letGo.RemoveAt(i--);   // ucarpctl gave up, or the connection's deadline passed
            }
            else if (targets.Exists(g => !g.Stopping && g.Gate.ReasonOf(GateReason.Control) is null))
            {
                _letGo.RemoveAt(i--);
                complete(new ControlReply(1, Messages.PromotedWhileWaiting + "\n"));
            }
            else if (!targets.Exists(g => g.Gate.State == CarpState.Master || !g.Follower.Done))
            {
                _letGo.RemoveAt(i--);
                complete(new ControlReply(0, Messages.LetGo(group ?? "--all") + "\n"));
            }
        }
    }

    public IReadOnlyList<WatchEvent> Watch(long now)
    {
        bool first = _server is null || _server.Watchers == 0;
        _looked = null;   // the newcomer's snapshot is taken now; the next pass looks afresh
        // Those already watching are told what changed up to now, so the newcomer's
        // snapshot and everyone's next changes start from the same rows.
        PublishChanges(now);
        IReadOnlyList<GroupStatus> rows = Status(now);
        long wall = Linux.WallClock.NowMicros();
        if (first)
        {
            _watch.Changes(rows, wall);   // nobody watched: the tracker starts from these rows
        }
        return StateWatch.Snapshot(rows, wall);
    }

    /// <summary>
    /// While someone watches: what changed since the last look goes to every watcher. A pass
    /// reads a few fields of each group (no allocation); only when they moved are the rows
    /// built and compared, so a watch costs a busy loop next to nothing. A hash that does
    /// not move although a field did (one chance in 2^32) delays an event to the next
    /// change, it does not lose it: the rows are compared whole.
    /// </summary>
    public void PublishChanges(long now)
    {
        if (_server is null || _server.Watchers == 0)
        {
            _watch.Reset();
            _looked = null;
            return;
        }
        int looked = Look(now);
        if (looked == _looked)
        {
            return;
        }
        _looked = looked;
        IReadOnlyList<WatchEvent> events = _watch.Changes(Status(now), Linux.WallClock.NowMicros());
        if (events.Count > 0)
        {
            _server.Publish(events, now);
        }
    }

    public void AddTo(PollSet set, long now)
    {
        _count = 0;
        if (_server is null)
        {
            return;
        }
        _count = _server.FillPoll(set.Reserve(ControlServer.MaxPollFds));
        _first = set.Commit(_count);
    }

    public long? NextDeadline(long now) => _server?.NextDeadline;

    // Every pass: the server also drops connections past their deadline.
    public void Dispatch(PollSet set, long now)
    {
        AnswerLetGo();
        _server?.Process(set.Slice(_first, _count), now);
    }

    public void Dispose() => _server?.Dispose();
}

/// <summary>
/// Last in every pass: the changes the pass made (a role, a reload applied, a group stopped)
/// go to `ucarpctl watch` in the same pass, not at the next wake-up.
/// </summary>
internal sealed class ControlWatch(ControlHandler control) : ILoopSource
{
    public void AddTo(PollSet set, long now) { }

    public long? NextDeadline(long now) => null;

    public void Dispatch(PollSet set, long now) => control.PublishChanges(now);
}
