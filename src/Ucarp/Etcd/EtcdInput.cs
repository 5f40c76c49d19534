using Ucarp.Core;
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
        foreach (SharedFollowClient f in Sessions.FollowClients)
        {
            set.Add(f.Client.WakeFd);
        }
    }

    public long? NextDeadline(long now)
    {
        long? wake = null;
        foreach (SharedEtcd s in Sessions.All)
        {
            if (!groups.Stopping && s.Session.NextDeadline is long due)
            {
                wake = Deadlines.Min(wake, due);
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
        foreach (SharedFollowClient f in Sessions.FollowClients)
        {
            f.TakeReplies(now);
        }
        foreach (SharedEtcd s in Sessions.All)
        {
            if (s.Session.NextDeadline <= now)
            {
                s.Session.OnTimer(now);
            }
        }
    }

}
