using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>One host of an <see cref="EtcdSim"/>: a real <see cref="EtcdElection"/> (or <see cref="FollowElection"/>) and its effects.</summary>
sealed class EtcdSimNode : IEtcdHost
{
    readonly EtcdSim _sim;
    readonly CarpSettings _settings;
    readonly long _scriptDuration;
    // Releases: a downscript asked for while holding (one queued before, as at start, releases nothing).
    readonly Queue<(ScriptInvocation Script, bool Releases)> _scripts = new();
    readonly List<(EtcdRequest Request, long Deadline)> _afterScripts = [];
    bool _scriptRunning;
    int _epoch;
    long _timerToken;
    long? _heldSince;
    readonly Func<CarpSettings, IEtcdHost, IEtcdElection> _make;

    /// <param name="make">The election; null: an <see cref="EtcdElection"/> with host name "n" + index.</param>
    public EtcdSimNode(EtcdSim sim, int index, CarpSettings settings, long scriptDuration, Func<CarpSettings, IEtcdHost, IEtcdElection>? make = null)
    {
        _sim = sim;
        Index = index;
        _settings = settings;
        _scriptDuration = scriptDuration;
        _make = make ?? ((s, host) => new EtcdElection(s, new EtcdSettings { Key = "/ucarp/192.0.2.100", Host = "n" + index }, host));
        Machine = _make(_settings, this);
    }

    public int Index { get; }
    public IEtcdElection Machine { get; private set; }
    public EtcdElection Election => (EtcdElection)Machine;
    public bool Alive { get; private set; }
    /// <summary>True: this node's watch streams deliver nothing more, and do not end (a silent partition).</summary>
    public bool WatchesQuiet { get; set; }

    /// <summary>False: cut off from etcd (not from the LAN).</summary>
    public bool Connected { get; private set; } = true;
    public bool DebugEnabled => false;
    public List<(long Time, string What)> Events { get; } = [];
    /// <summary>Every request this node sent, when.</summary>
    public List<(long Time, EtcdOp Op)> Requests { get; } = [];
    /// <summary>When this node held the address: [from, to), to null while it still does.</summary>
    public List<(long From, long? To)> Held { get; } = [];
    public bool Holds => _heldSince is not null;

    public void Start()
    {
        Alive = true;
        _epoch++;
        _deliver = MakeDeliver(_epoch);
        _heldEvents.Clear();
        Machine = _make(_settings, this);
        Machine.Start(_sim.Now);
        Reschedule();
    }

    /// <summary>SIGKILL: nothing more is sent, the address stays configured until the host is gone (counted as released now).</summary>
    public void Kill()
    {
        Alive = false;
        _epoch++;
        Release();
        _scripts.Clear();
        _scriptRunning = false;
        _sim.Etcd.DropWatches(_deliver);
        _sim.Log($"node {Index} killed");
    }

    public void Do(Action<IEtcdElection, long> action)
    {
        action(Machine, _sim.Now);
        Reschedule();
    }

    public void Write(LogLevel level, string message)
    {
        Events.Add((_sim.Now, message));
        _sim.Log($"node {Index}: {message}");
    }

    public string? SendAdvert(ReadOnlySpan<byte> frame) => null;

    public void SendBowOut(ReadOnlySpan<byte> frame, long deadline) { }

    /// <summary>"announce 192.0.2.100": the address the gratuitous ARP names (its sender address).</summary>
    public void SendAnnouncement(ReadOnlySpan<byte> frame) => Events.Add((_sim.Now, "announce " + new Core.Cli.IpAddress(frame.Slice(28, 4))));

    public void RunScript(ScriptInvocation script)
    {
        _scripts.Enqueue((script, script.Kind == ScriptKind.Down && _heldSince is not null));
        NextScript();
    }

    public void RoleChanged(CarpState role, long now)
    {
        if (role == CarpState.Master && _heldSince is null)
        {
            _heldSince = now;
            Held.Add((now, null));
        }
    }

    void NextScript()
    {
        if (_scriptRunning || _scripts.Count == 0)
        {
            return;
        }
        _scriptRunning = true;
        (ScriptInvocation script, bool releases) = _scripts.Dequeue();
        int epoch = _epoch;
        _sim.At(_sim.Now + _scriptDuration, () =>
        {
            if (epoch != _epoch)
            {
                return;
            }
            _scriptRunning = false;
            Events.Add((_sim.Now, script.Kind == ScriptKind.Up ? "up done" : "down done"));
            if (releases)
            {
                Release();
            }
            NextScript();
            SendDeferred();
            Reschedule();
        });
    }

    void Release()
    {
        if (_heldSince is not null)
        {
            Held[^1] = (Held[^1].From, _sim.Now);
            _heldSince = null;
        }
    }

    bool ScriptsIdle => !_scriptRunning && _scripts.Count == 0;

    public void SendAfterScripts(in EtcdRequest request, long deadline)
    {
        _afterScripts.Add((request, deadline));
        EtcdRequest r = request;
        int epoch = _epoch;
        _sim.At(deadline, () =>
        {
            if (epoch == _epoch)
            {
                SendDeferred();
            }
        });
        SendDeferred();
    }

    void SendDeferred()
    {
        for (int i = 0; i < _afterScripts.Count; i++)
        {
            if (ScriptsIdle || _sim.Now >= _afterScripts[i].Deadline)
            {
                Send(_afterScripts[i].Request);
                _afterScripts.RemoveAt(i--);
            }
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
        Machine.OnReply(reply, _sim.Now);
        Reschedule();
    }

    void Reschedule()
    {
        if (!Alive || Machine.NextDeadline is not long due)
        {
            return;
        }
        long token = ++_timerToken;
        int epoch = _epoch;
        _sim.At(due, () =>
        {
            if (token == _timerToken && epoch == _epoch && Alive)
            {
                Machine.OnTimer(_sim.Now);
                Reschedule();
            }
        });
    }
}
