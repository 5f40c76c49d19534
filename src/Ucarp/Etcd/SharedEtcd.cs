using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using Ucarp.Daemon;

namespace Ucarp.Etcd;

/// <summary>
/// One <see cref="EtcdSession"/> at run time: its client (one set of connections and one
/// reply queue for every group that shares it), the requests waiting for the groups'
/// scripts, and the groups themselves.
/// </summary>
internal sealed class SharedEtcd : IEtcdSessionHost, IDisposable
{
    readonly ILog _log;
    readonly List<GroupRuntime> _groups = [];
    readonly List<(EtcdRequest Request, long Deadline)> _afterScripts = [];

    public SharedEtcd(string identity, EtcdClient client, string prefix, long ttlSeconds, ILog log)
    {
        Identity = identity;
        Client = client;
        _log = log;
        Session = new EtcdSession(this, prefix, ttlSeconds);
    }

    /// <summary>What groups must have in common to share this session (endpoints, credentials, TLS, prefix, TTL).</summary>
    public string Identity { get; }
    public EtcdClient Client { get; }
    public EtcdSession Session { get; }
    public bool Unused => _groups.Count == 0;
    /// <summary>When the last group left (µs), for how long a stopping session's revoke is waited for.</summary>
    public long EmptySince { get; private set; }

    public void Retain(GroupRuntime g) => _groups.Add(g);

    public void Drop(GroupRuntime g, long now)
    {
        if (_groups.Remove(g) && _groups.Count == 0)
        {
            EmptySince = now;
            Session.Stop(now);
        }
    }

    public void Send(in EtcdRequest request) => Client.Send(request);

    public void SendAfterScripts(in EtcdRequest request, long deadline) => _afterScripts.Add((request, deadline));

    public void Write(LogLevel level, string message) => _log.Write(level, message);

    /// <summary>The earliest deadline of the requests waiting for scripts, or null.</summary>
    public long? DeferredDeadline
    {
        get
        {
            long? earliest = null;
            foreach ((_, long deadline) in _afterScripts)
            {
                earliest = earliest is long e ? Math.Min(e, deadline) : deadline;
            }
            return earliest;
        }
    }

    /// <summary>Sends what waited for every group's scripts (the lease's revoke), once they are done or the deadline has come.</summary>
    public void SendDeferredIfDue(long now)
    {
        if (_afterScripts.Count == 0)
        {
            return;
        }
        bool idle = true;
        foreach (GroupRuntime g in _groups)
        {
            idle &= g.Host.Scripts.Queue.Idle;
        }
        for (int i = 0; i < _afterScripts.Count; i++)
        {
            if (idle || now >= _afterScripts[i].Deadline)
            {
                Client.Send(_afterScripts[i].Request);
                _afterScripts.RemoveAt(i--);
            }
        }
    }

    /// <summary>Hands the replies that came in to the session (and through it to the groups).</summary>
    public void TakeReplies(long now)
    {
        while (Client.TryTake(out EtcdReply reply))
        {
            Session.OnReply(reply, now);
        }
    }

    public void Dispose() => Client.Dispose();
}
