using Ucarp.Core;
using Ucarp.Core.Follow;
using Ucarp.Etcd;
using Ucarp.Loop;
using Ucarp.Monitoring;

namespace Ucarp.Daemon;

/// <summary>
/// Last in every pass, before the wait: what waited for the scripts and may go now (a bow-out, a release,
/// a session's revoke), groups that finished leaving, those waiting to replace them,
/// sessions no group uses any more, and the end of the daemon once every group is done.
/// </summary>
internal sealed class GroupLifecycle(GroupSet groups, EventLoop loop) : ILoopSource, ITouchesItsGroups
{
    public void AddTo(PollSet set, long now) { }

    // The groups' own (their followers', a stopping group's polls) are the group clock's.
    public long? NextDeadline(long now)
    {
        if (groups.Finished(now))
        {
            return now;
        }
        long? wake = groups.Stopping ? now + GroupClock.StoppingPoll : null;
        foreach (SharedEtcd s in groups.Etcd.All)
        {
            wake = Deadlines.Min(wake, s.DeferredDeadline);
        }
        return wake;
    }

    public void Dispatch(PollSet set, long now)
    {
        foreach (GroupRuntime g in groups.Clock.TakeDue(now))   // List<T>'s enumerator is a struct: no allocation
        {
            RoleFollower follower = g.Follower;
            if (follower.NextDeadline <= now)
            {
                follower.OnTimer(now);
            }
        }
        foreach (SharedEtcd s in groups.Etcd.All)
        {
            s.SendAfterScriptsIfDue(now);
        }
        groups.FinishLeaving(now);
        groups.Etcd.Collect(now);
        // Shutting down: only the scripts, the bow-outs and the leases' revokes still
        // matter (the revokes for at most a couple of seconds: etcd may be gone).
        if (groups.Finished(now))
        {
            loop.Exit(0);
        }
    }

}

/// <summary>The elections' own timers (adverts, master-down, campaigns, reads), after every input of the pass.</summary>
internal sealed class GroupTimers(GroupSet groups) : ILoopSource, ITouchesItsGroups
{
    public void AddTo(PollSet set, long now) { }

    // Every group's: its election's, its follower's, its check's, its polls.
    public long? NextDeadline(long now) => groups.Clock.Next(now);

    public void Dispatch(PollSet set, long now)
    {
        Net.AdvertBatch adverts = groups.Interfaces.Adverts;
        // One group (a plain command line) sends each advert at once, as ucarp does.
        adverts.Open = groups.Running.Count > 1;
        try
        {
            foreach (GroupRuntime g in groups.Clock.TakeDue(now))   // List<T>'s enumerator is a struct: no allocation
            {
                if (!g.Stopping && g.Gate.NextDeadline <= now)
                {
                    g.Gate.OnTimer(now);
                }
            }
            // Still open: an election told of its third failure queues its next advert at once.
            adverts.Flush(now);
        }
        finally
        {
            adverts.Open = false;
            // A step that threw: what the others queued before it still leaves.
            adverts.Flush(now);
        }
    }
}

/// <summary>
/// After the inputs and timers: the sync-set rule, after ucarpctl's demote and a reload were acted
/// on and before the next deadlines are computed (a mate's step-down changes them); then
/// monitoring.
/// </summary>
internal sealed class GroupObservers(GroupSet groups, Func<StatusPublisher?> publisher) : ILoopSource
{
    public void AddTo(PollSet set, long now) { }

    public long? NextDeadline(long now) => Deadlines.Min(publisher()?.NextDeadline, groups.HasSync ? groups.Sync.NextDeadline : null);

    public void Dispatch(PollSet set, long now)
    {
        if (groups.HasSync && !groups.Stopping)
        {
            groups.Sync.Observe(now);
        }
        publisher()?.Tick(now);
    }
}
