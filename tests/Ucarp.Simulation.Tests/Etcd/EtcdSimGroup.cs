using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// One group of an <see cref="EtcdSimNode"/>: a real <see cref="EtcdElection"/> for one
/// address, its scripts (one at a time, each taking the node's script duration) and when
/// it held the address: from becoming MASTER until its downscript has finished.
/// </summary>
sealed class EtcdSimGroup : IEtcdHost
{
    readonly EtcdSimNode _node;
    readonly EtcdSim _sim;
    readonly CarpSettings _settings;
    readonly string _key;
    readonly long _scriptDuration;
    // Releases: a downscript asked for while holding (one queued before, as at start, releases nothing).
    readonly Queue<(ScriptInvocation Script, bool Releases)> _scripts = new();
    readonly List<(EtcdRequest Request, long Deadline)> _afterScripts = [];
    readonly List<(long Time, string What)> _events;
    bool _scriptRunning;
    long? _heldSince;
    int _epoch;

    readonly Func<CarpSettings, IEtcdHost, IEtcdElection>? _make;

    /// <param name="make">Another election than the lease election (follow mode), which gets its own replies.</param>
    public EtcdSimGroup(EtcdSimNode node, EtcdSim sim, CarpSettings settings, string key, long scriptDuration, List<(long, string)> events,
                        Func<CarpSettings, IEtcdHost, IEtcdElection>? make = null)
    {
        _make = make;
        _node = node;
        _sim = sim;
        _settings = settings;
        _key = key;
        _scriptDuration = scriptDuration;
        _events = events;
        Machine = null!;
    }

    public IElection Machine { get; private set; }
    public EtcdElection Election => (EtcdElection)Machine;
    /// <summary>Follow mode's election, which is fed its replies directly (null for the lease election).</summary>
    public IEtcdElection? Own => Machine as IEtcdElection;
    public string Key => _key;
    public bool DebugEnabled => false;
    /// <summary>When this group held its address: [from, to), to null while it still does.</summary>
    public List<(long From, long? To)> Held { get; } = [];
    public bool Holds => _heldSince is not null;
    public bool ScriptsIdle => !_scriptRunning && _scripts.Count == 0;
    public List<(long Time, string What)> Events => _events;

    public void Start(EtcdSession session, int epoch)
    {
        _epoch = epoch;
        Machine = (IElection?)_make?.Invoke(_settings, this) ?? new EtcdElection(_settings, new EtcdSettings { Key = _key, Host = "n" + _node.Index }, this, session);
        Machine.Start(_sim.Now);
    }

    /// <summary>The node died: its scripts stop, the address counts as released now.</summary>
    public void Kill()
    {
        Release();
        _scripts.Clear();
        _afterScripts.Clear();
        _scriptRunning = false;
    }

    public void Write(LogLevel level, string message)
    {
        _events.Add((_sim.Now, message));
        _sim.Log($"node {_node.Index} {_key}: {message}");
    }

    public string? SendAdvert(ReadOnlySpan<byte> frame) => null;

    public void SendBowOut(ReadOnlySpan<byte> frame, long deadline) { }

    /// <summary>"announce 192.0.2.100": the address the gratuitous ARP names (its sender address).</summary>
    public void SendAnnouncement(ReadOnlySpan<byte> frame) => _events.Add((_sim.Now, "announce " + new Core.Cli.IpAddress(frame.Slice(28, 4))));

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
            if (epoch != _node.Epoch)
            {
                return;
            }
            _scriptRunning = false;
            _events.Add((_sim.Now, script.Kind == ScriptKind.Up ? "up done" : "down done"));
            if (releases)
            {
                Release();
            }
            NextScript();
            SendDeferred();
            _node.ScriptsDone();
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

    public void Send(in EtcdRequest request) => _node.Send(request);

    public void SendAfterScripts(in EtcdRequest request, long deadline)
    {
        _afterScripts.Add((request, deadline));
        int epoch = _epoch;
        _sim.At(deadline, () =>
        {
            if (epoch == _node.Epoch)
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
                _node.Send(_afterScripts[i].Request);
                _afterScripts.RemoveAt(i--);
            }
        }
    }
}
