using Ucarp.Core;
using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Etcd;
using Ucarp.Core.Follow;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// One host of an <see cref="EtcdSim"/>: a real <see cref="EtcdSession"/> and one or more
/// groups (<see cref="EtcdSimGroup"/>), each a real <see cref="EtcdElection"/> behind its
/// gate, and one <see cref="SyncCoordinator"/> over them (sync sets by group name) that
/// observes after every event the node handles, as the daemon's. Group 0 is "the"
/// election of the one-address tests (<see cref="Election"/>, <see cref="Held"/>).
/// </summary>
sealed class EtcdSimNode : IEtcdSessionHost
{
    readonly EtcdSim _sim;
    readonly CarpSettings _settings;
    readonly long _scriptDuration;
    readonly AfterScripts<EtcdRequest> _afterScripts = new();
    int _epoch;
    long _timerToken;

    /// <param name="sets">Group i's sync set (null: none); group i is named "g" + i.</param>
    public EtcdSimNode(EtcdSim sim, int index, CarpSettings settings, long scriptDuration, int groups = 1,
                       Func<CarpSettings, IEtcdHost, ElectionBase>? make = null, string?[]? sets = null)
    {
        _sim = sim;
        Index = index;
        _settings = settings;
        _scriptDuration = scriptDuration;
        for (int i = 0; i < groups; i++)
        {
            Groups.Add(new EtcdSimGroup(this, sim, settings, KeyOf(i), scriptDuration, i == 0 ? Events : [], make, "g" + i,
                                        sets is not null && i < sets.Length ? sets[i] : null));
        }
        Session = new EtcdSession(this, "/ucarp/", settings.AdvBase * settings.DeadRatio);
    }

    /// <summary>Group i's key: 192.0.2.100 for the first, then 2001:db8::1, 2001:db8::2, ... (any count).</summary>
    public static string KeyOf(int i) => i == 0 ? "/ucarp/192.0.2.100" : "/ucarp/2001:db8::" + i.ToString("x");

    public int Index { get; }
    public int Epoch => _epoch;
    public EtcdSession Session { get; private set; }
    public List<EtcdSimGroup> Groups { get; } = [];
    public EtcdElection Election => Groups[0].Election;
    /// <summary>Group 0's election, whichever kind.</summary>
    public ElectionBase Machine => Groups[0].Machine;
    public bool Alive { get; private set; }
    /// <summary>The sync-set rule over this incarnation's groups.</summary>
    public SyncCoordinator Sync { get; private set; } = new();
    /// <summary>The daemon is ending (<see cref="StopDaemon"/>): as the daemon's loop, the rule is no longer looked at.</summary>
    bool _stopping;
    /// <summary>True: this node's watch streams deliver nothing more, and do not end (a silent partition).</summary>
    public bool WatchesQuiet { get; set; }

    /// <summary>False: cut off from etcd (not from the LAN).</summary>
    public bool Connected { get; private set; } = true;
    /// <summary>Group 0's log and the session's.</summary>
    public List<(long Time, string What)> Events { get; } = [];
    /// <summary>Every request this node sent, when.</summary>
    public List<(long Time, EtcdOp Op)> Requests { get; } = [];
    /// <summary>When group 0 held its address.</summary>
    public List<(long From, long? To)> Held => Groups[0].Held;
    public bool Holds => Groups[0].Holds;

    public void Start()
    {
        Alive = true;
        _epoch++;
        _deliver = MakeDeliver(_epoch);
        _heldEvents.Clear();
        while (_afterScripts.TryTake(scriptsDone: true, 0, out _))
        {
            // a dead incarnation's revoke never goes
        }
        Session = new EtcdSession(this, "/ucarp/", _settings.AdvBase * _settings.DeadRatio);
        _stopping = false;
        foreach (EtcdSimGroup g in Groups)
        {
            g.Start(Session, _epoch);
        }
        // As the daemon's StartAll: every group started, then the sets over them.
        Sync = new SyncCoordinator((group, line) => Groups.Find(g => g.Name == group)?.Write(LogLevel.Warning, line));
        Sync.SetMembers([.. Groups.Select(g => (g.Name, g.Set, g.Gate, g.Settings.VirtualAddress))], _sim.Now);
        Reschedule();
    }

    /// <summary>SIGKILL: nothing more is sent, the addresses stay configured until the host is gone (counted as released now).</summary>
    public void Kill()
    {
        Alive = false;
        _epoch++;
        foreach (EtcdSimGroup g in Groups)
        {
            g.Kill();
        }
        _sim.Etcd.DropWatches(_deliver);
        _sim.Log($"node {Index} killed");
    }

    /// <summary>Acts on a group's election (group 0's unless told) through its gate, as the daemon's checks, ucarpctl and signals do.</summary>
    public void Do(Action<ElectionGate, long> action, int group = 0)
    {
        action(Groups[group].Gate, _sim.Now);
        Reschedule();
    }

    /// <summary>The daemon's ending: the session stops first, then every group (as the event loop does on SIGTERM).</summary>
    public void StopDaemon()
    {
        _stopping = true;
        Session.Stop(_sim.Now);
        foreach (EtcdSimGroup g in Groups)
        {
            g.Gate.MarkStopping();
            g.Gate.Shutdown(_sim.Now);
        }
        SendDeferred();
        Reschedule();
    }

    public void Write(LogLevel level, string message)
    {
        Events.Add((_sim.Now, message));
        _sim.Log($"node {Index}: {message}");
    }

    bool ScriptsIdle => Groups.All(g => g.ScriptsIdle);

    /// <summary>The session's revoke: a barrier over every group's follower, sent at the loop's tail as the daemon does.</summary>
    public void SendAfterScripts(in EtcdRequest request, long deadline)
    {
        _afterScripts.Add(request, deadline);
        int epoch = _epoch;
        _sim.At(deadline, () =>
        {
            if (epoch == _epoch)
            {
                SendDeferred();
            }
        });
    }

    /// <summary>A group's script ended: what waited for every group's scripts may go, and timers may have moved.</summary>
    public void ScriptsDone()
    {
        SendDeferred();
        Reschedule();
    }

    void SendDeferred()
    {
        while (_afterScripts.TryTake(ScriptsIdle, _sim.Now, out EtcdRequest request))
        {
            Send(request);
        }
    }

    /// <summary>
    /// The request travels to etcd (or is lost while cut off); its reply travels back (or
    /// is lost). A request not answered within the client's timeout fails, as the
    /// daemon's do; the election ignores an answer that comes after that.
    /// </summary>
    public void Send(in EtcdRequest request)
    {
        EtcdRequest r = request;
        int epoch = _epoch;
        Requests.Add((_sim.Now, r.Op));
        if (r.Op != EtcdOp.Watch)
        {
            _sim.At(_sim.Now + _sim.RequestTimeout, () => OnReplyIf(epoch, new EtcdReply(r.Id, r.Op, false, "timed out")));
        }
        else if (!Connected)
        {
            _sim.At(_sim.Now + _sim.RequestTimeout, () => OnReplyIf(epoch, new EtcdReply(r.Id, r.Op, false, "timed out", WatchEnded: true)));
        }
        if (!Connected)
        {
            return;
        }
        Action<EtcdReply> deliver = _deliver;
        _sim.At(_sim.Now + _sim.Delay(), () =>
        {
            if (epoch != _epoch)
            {
                return;
            }
            if (_sim.LeaderElectionUntil is long until && _sim.Now < until)
            {
                // No etcd leader: the member that was the leader is gone (connection refused
                // at once), a follower holds the request until a new leader is elected.
                if (_sim.Coin())
                {
                    deliver(new EtcdReply(r.Id, r.Op, false, "connection refused", WatchEnded: r.Op == EtcdOp.Watch));
                    return;
                }
                _sim.At(until, () => Serve(r, epoch, deliver));
                return;
            }
            Serve(r, epoch, deliver);
        });
    }

    void Serve(in EtcdRequest r, int epoch, Action<EtcdReply> deliver)
    {
        if (epoch == _epoch && _sim.Etcd.Serve(r, _sim.Now, deliver) is EtcdReply answer)
        {
            deliver(answer);
        }
    }

    /// <summary>
    /// Cuts the node off from etcd, or reconnects it (watch events held up meanwhile arrive
    /// then, as TCP would bring them). <paramref name="dropWatches"/>: the cut also resets
    /// the watch connections, which the node hears of at once.
    /// </summary>
    public void SetConnected(bool connected, bool dropWatches = false)
    {
        if (dropWatches)
        {
            int epoch = _epoch;
            _sim.Etcd.DropWatches(_deliver, end => _sim.At(_sim.Now + _sim.Delay(), () => OnReplyIf(epoch, end)));
        }
        Connected = connected;
        _sim.Log($"node {Index} {(connected ? "reconnected to" : "cut off from")} etcd");
        if (connected)
        {
            foreach (EtcdReply held in _heldEvents)
            {
                _deliver(held);
            }
            _heldEvents.Clear();
        }
    }

    readonly List<EtcdReply> _heldEvents = [];
    Action<EtcdReply> _deliver = _ => { };

    /// <summary>How replies and watch events reach this incarnation: after a delay, or not while cut off.</summary>
    Action<EtcdReply> MakeDeliver(int epoch) => reply =>
    {
        if (epoch != _epoch)
        {
            return;
        }
        if (!Connected)
        {
            if (reply.Op == EtcdOp.Watch)
            {
                _heldEvents.Add(reply);
            }
            return;
        }
        if (WatchesQuiet && reply.Op == EtcdOp.Watch)
        {
            return; // the stream's member went away without closing it: nothing arrives
        }
        _sim.At(_sim.Now + _sim.Delay(), () => OnReplyIf(epoch, reply));
    };

    void OnReplyIf(int epoch, EtcdReply reply)
    {
        if (epoch != _epoch || !Alive)
        {
            return;
        }
        if (Groups[0].Own is IEtcdReplies own)
        {
            own.OnReply(reply, _sim.Now);
        }
        else
        {
            Session.OnReply(reply, _sim.Now);
        }
        Reschedule();
    }

    /// <summary>The loop's tail, as the daemon's: the sync-set rule, what waits for every group's scripts, then the next timer.</summary>
    void Reschedule()
    {
        if (Alive)
        {
            if (!_stopping)
            {
                Sync.Observe(_sim.Now);
            }
            SendDeferred();
        }
        // The sync-set rule's own deadline (a split set's settle time), as the daemon's loop wakes for it.
        long? next = Deadlines.Min(Session.NextDeadline, _stopping ? null : Sync.NextDeadline);
        foreach (EtcdSimGroup g in Groups)
        {
            foreach (long? d in (ReadOnlySpan<long?>)[g.Machine.NextDeadline, g.Machine.Follower.NextDeadline])
            {
                if (d is long at && (next is null || at < next))
                {
                    next = at;
                }
            }
        }
        if (!Alive || next is not long due)
        {
            return;
        }
        long token = ++_timerToken;
        int epoch = _epoch;
        _sim.At(due, () =>
        {
            if (token == _timerToken && epoch == _epoch && Alive)
            {
                long now = _sim.Now;
                if (Session.NextDeadline <= now)
                {
                    Session.OnTimer(now);
                }
                foreach (EtcdSimGroup g in Groups)
                {
                    if (g.Machine.NextDeadline <= now)
                    {
                        g.Machine.OnTimer(now);
                    }
                    if (g.Machine.Follower.NextDeadline <= now)
                    {
                        g.Machine.Follower.OnTimer(now);
                    }
                }
                Reschedule();
            }
        });
    }
}
