using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Etcd;
using Ucarp.Core.Follow;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>
/// One group of an <see cref="EtcdSimNode"/>: a real <see cref="EtcdElection"/> for one
/// address behind its <see cref="ElectionGate"/> (as the daemon's), its real follower
/// (scripts one at a time, each taking the node's script duration, in the daemon's order)
/// and when it held the address: from the start of its upscript (which adds it) until its
/// downscript has finished (which removed it).
/// </summary>
sealed class EtcdSimGroup : IEtcdHost
{
    readonly EtcdSimNode _node;
    readonly EtcdSim _sim;
    readonly CarpSettings _settings;

    /// <summary>The group's settings (its address ranks it in its sync set).</summary>
    public CarpSettings Settings => _settings;
    readonly string _key;
    readonly long _scriptDuration;
    readonly List<(long Time, string What)> _events;
    long? _heldSince;
    int _epoch;

    readonly Func<CarpSettings, IEtcdHost, ElectionBase>? _make;

    /// <param name="make">Another election than the lease election (follow mode), which gets its own replies.</param>
    public EtcdSimGroup(EtcdSimNode node, EtcdSim sim, CarpSettings settings, string key, long scriptDuration, List<(long, string)> events,
                        Func<CarpSettings, IEtcdHost, ElectionBase>? make = null, string name = "", string? set = null)
    {
        _make = make;
        Name = name;
        Set = set;
        _node = node;
        _sim = sim;
        _settings = settings;
        _key = key;
        _scriptDuration = scriptDuration;
        _events = events;
        Machine = null!;
        Gate = null!;
    }

    public string Name { get; }
    /// <summary>Its sync set on the node, or null.</summary>
    public string? Set { get; }
    public ElectionBase Machine { get; private set; }
    /// <summary>The election as the node acts on it: the health check, ucarpctl and the sync set each have a gate.</summary>
    public ElectionGate Gate { get; private set; }
    public EtcdElection Election => (EtcdElection)Machine;
    /// <summary>Follow mode's election, which is fed its replies directly (null for the lease election).</summary>
    public IEtcdReplies? Own => Machine as IEtcdReplies;
    public string Key => _key;
    public bool DebugEnabled => false;
    /// <summary>When this group held its address: [from, to), to null while it still does.</summary>
    public List<(long From, long? To)> Held { get; } = [];
    public bool Holds => _heldSince is not null;
    public bool ScriptsIdle => Machine.Follower.Idle;
    public List<(long Time, string What)> Events => _events;

    public void Start(EtcdSession session, int epoch)
    {
        _epoch = epoch;
        Machine = _make?.Invoke(_settings, this) ?? new EtcdElection(_settings, new EtcdSettings { Key = _key, Host = "n" + _node.Index }, this, session);
        Gate = new ElectionGate(Machine);
        Gate.Start(_sim.Now);
    }

    /// <summary>The node died: its scripts stop (their ends are dropped by epoch), the address counts as released now.</summary>
    public void Kill() => Release();

    public void Write(LogLevel level, string message)
    {
        _events.Add((_sim.Now, message));
        _sim.Log($"node {_node.Index} {_key}: {message}");
    }

    /// <summary>"announce 192.0.2.100": the address the gratuitous ARP names (its sender address).</summary>
    public void SendAnnouncement(ReadOnlySpan<byte> frame) => _events.Add((_sim.Now, "announce " + new Core.Cli.IpAddress(frame.Slice(28, 4))));

    /// <summary>
    /// A script runs for the node's script duration; its end goes back to the follower, as the
    /// daemon's reaper does. An upscript holds the address from its start; a downscript that
    /// starts while the address is held releases it when it ends. A role change whose scripts
    /// the follower cancelled (up, then down before the up could start) holds nothing.
    /// </summary>
    public bool StartScript(ScriptInvocation script)
    {
        if (script.Kind == ScriptKind.Up && _heldSince is null)
        {
            _heldSince = _sim.Now;
            Held.Add((_sim.Now, null));
        }
        bool releases = script.Kind == ScriptKind.Down && _heldSince is not null;
        RoleFollower follower = Machine.Follower;
        int epoch = _epoch;
        _sim.At(_sim.Now + _scriptDuration, () =>
        {
            if (epoch != _node.Epoch)
            {
                return;
            }
            _events.Add((_sim.Now, script.Kind == ScriptKind.Up ? "up done" : "down done"));
            if (releases)
            {
                Release();
            }
            follower.ScriptEnded();
            _node.ScriptsDone();
        });
        return true;
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

    /// <summary>A release that waited for the downscript (or its deadline).</summary>
    public void SendAfterScripts(in Deferred effect) => _node.Send(effect.Request);
}
