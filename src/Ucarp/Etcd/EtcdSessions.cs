using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;

namespace Ucarp.Etcd;

/// <summary>
/// The daemon's etcd sessions: groups with the same endpoints, credentials, TLS files,
/// prefix and TTL (advbase x deadratio) share one, and with it one lease, one watch and
/// one client. Usually that is every etcd group of the host. Follow-mode groups that
/// reach the same etcd share one client too (<see cref="SharedFollowClient"/>).
/// </summary>
internal sealed class EtcdSessions : IDisposable
{
    const long RevokeWait = 2_000_000;   // µs an unused session waits for its revoke to be answered

    readonly List<SharedEtcd> _sessions = [];
    readonly List<SharedFollowClient> _follow = [];
    readonly ILog _log;

    public EtcdSessions(ILog log) => _log = log;

    public List<SharedEtcd> All => _sessions;

    /// <summary>The follow-mode groups' clients.</summary>
    public List<SharedFollowClient> FollowClients => _follow;

    /// <summary>
    /// A follow-mode group's way to etcd: through the client of the groups that reach the same
    /// etcd, made (TLS set up, etcd probed when asked) for the first; null after logging why not.
    /// </summary>
    public FollowChannel? Follow(Configuration config, ILog log, string? password, bool probe)
    {
        string identity = string.Join("\n", string.Join(",", config.EtcdEndpoints), config.EtcdUser ?? "", password ?? "",
                                      config.EtcdCaCert ?? "", config.EtcdCert ?? "", config.EtcdKey ?? "");
        if (_follow.Find(f => f.Identity == identity) is SharedFollowClient existing)
        {
            return existing.Open();
        }
        if (Connect(config, log, password, probe) is not EtcdClient client)
        {
            return null;
        }
        var shared = new SharedFollowClient(identity, client);
        _follow.Add(shared);
        return shared.Open();
    }

    /// <summary>
    /// The session the group belongs to, made (TLS set up, etcd probed when asked) if it is
    /// the first group of its kind; null after logging why it cannot be.
    /// </summary>
    public SharedEtcd? For(Configuration config, ILog log, string? password, bool probe)
    {
        long ttl = EtcdOptions.Ttl(config);
        string identity = string.Join("\n", string.Join(",", config.EtcdEndpoints), config.EtcdUser ?? "", password ?? "",
                                      config.EtcdCaCert ?? "", config.EtcdCert ?? "", config.EtcdKey ?? "", config.EtcdPrefix,
                                      ttl.ToString(CultureInfo.InvariantCulture));
        if (_sessions.Find(s => s.Identity == identity && !s.Session.Stopping) is SharedEtcd existing)
        {
            return existing;
        }
        if (Connect(config, log, password, probe) is not EtcdClient client)
        {
            return null;
        }
        var shared = new SharedEtcd(identity, client, config.EtcdPrefix + "/", ttl, _log);
        _sessions.Add(shared);
        return shared;
    }

    /// <summary>A client for the group's etcd (TLS set up, and etcd probed when asked); null after logging why not.</summary>
    static EtcdClient? Connect(Configuration config, ILog log, string? password, bool probe)
    {
        EtcdConnection? connection = EtcdSetup.Load(config, log, password);
        if (connection is null)
        {
            return null;
        }
        var client = new EtcdClient(connection);
        if (probe && !EtcdSetup.Probe(client, connection, log))
        {
            client.Dispose();
            return null;
        }
        return client;
    }

    /// <summary>The daemon is ending: every session stops (its lease is revoked once the groups' downscripts have run).</summary>
    public void StopAll(long now)
    {
        foreach (SharedEtcd s in _sessions)
        {
            s.Session.Stop(now);
        }
    }

    /// <summary>Disposes the sessions no group uses any more, once their revoke is answered (or waited for long enough).</summary>
    public void Collect(long now)
    {
        for (int i = 0; i < _sessions.Count; i++)
        {
            SharedEtcd s = _sessions[i];
            if (s.Unused && s.DeferredDeadline is null && (!s.Session.Releasing || now - s.EmptySince >= RevokeWait))
            {
                _sessions.RemoveAt(i--);
                s.Dispose();
            }
        }
        for (int i = 0; i < _follow.Count; i++)
        {
            if (_follow[i].Unused)
            {
                _follow[i].Dispose();
                _follow.RemoveAt(i--);
            }
        }
    }

    public void Dispose()
    {
        foreach (SharedEtcd s in _sessions)
        {
            s.Dispose();
        }
        _sessions.Clear();
        foreach (SharedFollowClient f in _follow)
        {
            f.Dispose();
        }
        _follow.Clear();
    }
}
