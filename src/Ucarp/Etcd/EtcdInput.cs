using Ucarp.Core.Etcd;
using Ucarp.Daemon;
using Ucarp.Loop;

namespace Ucarp.Etcd;

/// <summary>
/// etcd on the loop: the replies of every session's client (handed to the session, and
/// through it to its groups) and of follow mode's own clients, and the sessions' timers.
/// The revokes that wait for every group's scripts are the group lifecycle's.
/// </summary>
internal sealed class EtcdInput(GroupSet groups) : ILoopSource
{
    EtcdSessions Sessions => groups.Etcd;

    public void AddTo(PollSet set, long now)
    {
        // Replies are taken on every pass; the descriptors only wake the loop.
        foreach (SharedEtcd s in Sessions.All)
        {
            set.Add(s.Client.WakeFd);
        }
        for (int i = 0; i < groups.Count; i++)
        {
            if (groups[i].OwnEtcd is EtcdClient own)
            {
                set.Add(own.WakeFd);
            }
        }
    }

    public long? NextDeadline(long now)
    {
        long? wake = null;
        foreach (SharedEtcd s in Sessions.All)
        {
            if (!groups.Stopping && s.Session.NextDeadline is long due)
            {
                wake = Min(wake, due);
            }
        }
        return wake;
    }

    public void Dispatch(PollSet set, long now)
    {
        foreach (SharedEtcd s in Sessions.All)
        {
            s.TakeReplies(now);
        }
        for (int i = 0; i < groups.Count; i++)
        {
            GroupRuntime g = groups[i];
            if (g.OwnEtcd is EtcdClient own)
            {
                while (own.TryTake(out EtcdReply reply))
                {
                    g.OwnReplies!.OnReply(reply, now);
                }
            }
        }
        foreach (SharedEtcd s in Sessions.All)
        {
            if (s.Session.NextDeadline <= now)
            {
                s.Session.OnTimer(now);
            }
        }
    }

    static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
