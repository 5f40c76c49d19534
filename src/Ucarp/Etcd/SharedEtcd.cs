using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Daemon;

namespace Ucarp.Etcd;

/// <summary>
/// One <see cref="EtcdSession"/> at run time: its client (one set of connections and one
/// reply queue for every group that shares it), the groups themselves, and the requests
/// that wait for all their followers (the lease's revoke: a barrier over the groups).
/// </summary>
internal sealed class SharedEtcd : IEtcdSessionHost, IDisposable
{
    readonly ILog _log;
    readonly List<GroupRuntime> _groups = [];
    readonly AfterScripts<EtcdRequest> _afterScripts = new();

    public SharedEtcd(string identity, EtcdClient client, string prefix, long ttlSeconds, ILog log)
    {
        Identity = identity;
        Client = client;
        _log = log;
        Session = new EtcdSession(this, prefix, ttlSeconds);
    }

    /// <summary>What groups must have in common to share this session (endpoints, credentials, TLS, prefix, TTL).</summary>
    public string Identity { get; }
    /// <summary>The TLS files its client's context was read from (null without https://): a reload reads them again.</summary>
    public TlsFiles? Tls { get; init; }
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

    // Not sent here even when every script is idle: the daemon stops the session before it
    // stops the groups, whose downscripts must run before the revoke. The loop sends it.
    public void SendAfterScripts(in EtcdRequest request, long deadline) => _afterScripts.Add(request, deadline);

    public void Write(LogLevel level, string message) => _log.Write(level, message);

    /// <summary>When the requests waiting for the groups' scripts go at the latest, or null.</summary>
    public long? DeferredDeadline => _afterScripts.Deadline;

    /// <summary>Sends what waited for every group's scripts (the lease's revoke), once they are all done or its deadline has come.</summary>
    public void SendAfterScriptsIfDue(long now)
    {
        if (_afterScripts.Count == 0)
        {
            return;
        }
        bool idle = true;
        foreach (GroupRuntime g in _groups)
        {
            idle &= g.Follower.Idle;
        }
        while (_afterScripts.TryTake(idle, now, out EtcdRequest request))
        {
            Client.Send(request);
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
