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
    // The TLS files as last read: at start (before the loop runs), then at each reload on
    // the reload worker's thread. Groups made ready later (a reload's, a held group's
    // retry) take a copy: the loop's thread never reads a certificate.
    readonly Dictionary<TlsFiles, TlsRead> _tls = [];
    IReadOnlyDictionary<TlsFiles, TlsRead>? _staged;   // a reload's reads, until it is applied or refused

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
        var shared = new SharedFollowClient(identity, client) { Tls = TlsFiles.Of(config) };
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
        var shared = new SharedEtcd(identity, client, config.EtcdPrefix + "/", ttl, _log) { Tls = TlsFiles.Of(config) };
        _sessions.Add(shared);
        return shared;
    }

    /// <summary>A client for the group's etcd (TLS set up, and etcd probed when asked); null after logging why not.</summary>
    EtcdClient? Connect(Configuration config, ILog log, string? password, bool probe)
    {
        EtcdConnection? connection = EtcdSetup.Load(config, log, password, TlsFor(config));
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

    /// <summary>What the group's TLS files gave when last read (a reload's, while it is applied), read now only the first time (at start); null without https://.</summary>
    TlsRead? TlsFor(Configuration config)
    {
        if (TlsFiles.Of(config) is not TlsFiles files)
        {
            return null;
        }
        if (_staged is not null && _staged.TryGetValue(files, out TlsRead? staged))
        {
            return staged;
        }
        if (!_tls.TryGetValue(files, out TlsRead? read))
        {
            // Files no reload has read: a group of the command line or of the file at start.
            _tls[files] = read = files.Read();
        }
        return read;
    }

    /// <summary>
    /// At start, before the loop runs: every group's TLS files are read now, those of a group
    /// held back too, so that its start later (on the loop's thread) reads nothing.
    /// </summary>
    public void ReadTls(IEnumerable<Configuration> configs)
    {
        foreach (Configuration config in configs)
        {
            TlsFor(config);
        }
    }

    /// <summary>A reload's reads of the TLS files, used by the groups it makes ready until it is applied (<see cref="CommitTls"/>) or refused (<see cref="DropStagedTls"/>).</summary>
    public void StageTls(IReadOnlyDictionary<TlsFiles, TlsRead> reads) => _staged = reads;

    /// <summary>
    /// The reload is applied: every client of those files takes the context read again
    /// (connections made from now on present and check the certificates on disk now: a
    /// rotation needs a reload, not a restart), and so does every group made ready later.
    /// Files that could not be read leave their clients with what they have, said once.
    /// </summary>
    public void CommitTls(ILog log)
    {
        foreach ((TlsFiles files, TlsRead read) in _staged ?? new Dictionary<TlsFiles, TlsRead>())
        {
            bool had = _tls.TryGetValue(files, out TlsRead? before);
            if (read.Context is null && before?.Context is not null)
            {
                log.Write(LogLevel.Warning, Messages.EtcdTlsKept(read.Error!));
                continue;
            }
            if (read.Context is TlsContext context)
            {
                foreach (SharedEtcd s in _sessions)
                {
                    if (s.Tls == files)
                    {
                        s.Client.ReplaceTls(context.Copy());
                    }
                }
                foreach (SharedFollowClient f in _follow)
                {
                    if (f.Tls == files)
                    {
                        f.Client.ReplaceTls(context.Copy());
                    }
                }
            }
            if (had)
            {
                before!.Context?.Dispose();
            }
            _tls[files] = read;
        }
        _staged = null;
    }

    /// <summary>The reload was refused: what it read is let go, nothing changed.</summary>
    public void DropStagedTls()
    {
        foreach (TlsRead read in _staged?.Values ?? [])
        {
            read.Context?.Dispose();
        }
        _staged = null;
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
        DropStagedTls();
        foreach (TlsRead read in _tls.Values)
        {
            read.Context?.Dispose();
        }
        _tls.Clear();
    }
}
