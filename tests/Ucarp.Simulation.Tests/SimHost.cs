using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Follow;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// One host of many groups on the virtual LAN, as the daemon of --config runs them: one
/// NIC, frames handed to the group of their (destination, vhid) through the daemon's
/// GroupTable, each CarpMachine behind an ElectionGate, one SyncCoordinator observing
/// after every event the host handles.
/// </summary>
sealed class SimHost
{
    readonly VirtualLan _lan;
    readonly List<(string Name, string? Set, CarpSettings Settings)> _config = [];
    GroupTable<SimGroup> _table = new();
    readonly List<SimGroup> _inSets = [];

    public SimHost(VirtualLan lan, int number)
    {
        _lan = lan;
        Index = lan.Hosts.Count;
        Number = number;
        lan.Hosts.Add(this);
    }

    public int Index { get; }
    /// <summary>The last byte of its address, 192.0.2.N.</summary>
    public int Number { get; }
    public bool Alive { get; private set; }
    public int Epoch { get; private set; }
    public int Partition { get; set; }
    public List<SimGroup> Groups { get; private set; } = [];
    public SyncCoordinator Sync { get; private set; } = new();
    public long UnknownVhids { get; private set; }
    internal VirtualLan Lan => _lan;

    public SimHost Group(string name, string? set, CarpSettings settings)
    {
        _config.Add((name, set, settings));
        return this;
    }

    public SimGroup this[string name] => Groups.Single(g => g.Name == name);

    /// <summary>Start (or restart after a kill): fresh machines, every group started, the sets set up.</summary>
    public void Start()
    {
        Alive = true;
        Epoch++;
        _table = new GroupTable<SimGroup>();
        _inSets.Clear();
        Groups = [.. _config.Select(c => new SimGroup(this, c.Name, c.Set, c.Settings, _lan.Seed * 31 + Index * 1000 + c.Settings.Vhid + Epoch * 100_000))];
        foreach (SimGroup group in Groups)
        {
            _table.Add(group.Settings.Group, group.Settings.Vhid, group);
            if (group.Set is not null)
            {
                _inSets.Add(group);
            }
        }
        Sync = new SyncCoordinator();
        Sync.SetMembers([.. Groups.Select(g => (g.Name, g.Set, g.Gate))], _lan.Now);
        foreach (SimGroup group in Groups)
        {
            group.Gate.Start(_lan.Now);
        }
        _lan.Log($"host {Number} started");
        AfterEvent();
    }

    public void Kill()
    {
        Alive = false;
        _lan.Log($"host {Number} killed");
    }

    /// <summary>Something done to the host's groups from outside (a check, ucarpctl, a signal), then the loop's tail.</summary>
    public void Act(Action action)
    {
        if (!Alive)
        {
            return;
        }
        action();
        AfterEvent();
    }

    public void Receive(byte[] frame)
    {
        // Shared input: one NIC, the frame goes to the group of its destination and vhid.
        var destination = new IpAddress(frame.AsSpan(CarpHeader.EthernetSize + 16, 4));
        byte vhid = frame[CarpHeader.EthernetSize + CarpHeader.Ipv4Size + CarpHeader.Vhid];
        if (!_table.TryFind(destination, vhid, out SimGroup? group))
        {
            UnknownVhids++;
            return;
        }
        group!.LastFrameAt = _lan.Now;
        group.Machine.OnFrame(frame, _lan.Now);
        AfterEvent(group);
    }

    /// <summary>
    /// The tail of every loop iteration, as the daemon's: the sync-set rule, then the
    /// timers from the deadlines: of the group the event was for (all, when not known),
    /// and of every group in a set, whose deadlines the rule may have moved.
    /// </summary>
    internal void AfterEvent(SimGroup? touched = null)
    {
        Sync.Observe(_lan.Now);
        if (touched is null)
        {
            Groups.ForEach(g => g.Reschedule());
            return;
        }
        touched.Reschedule();
        _inSets.ForEach(g => g.Reschedule());
    }
}

/// <summary>One group of a <see cref="SimHost"/>: its machine, its gate, what it emitted. Its scripts take no time.</summary>
sealed class SimGroup : ICarpHost, IRoleObserver
{
    readonly SimHost _host;
    long? _scheduled;
    long _timerToken;

    public SimGroup(SimHost host, string name, string? set, CarpSettings settings, int seed)
    {
        _host = host;
        Name = name;
        Set = set;
        Settings = settings;
        Machine = new CarpMachine(settings, this, new SeededCarpRandom(seed));
        Machine.Subscribe(this);
        Gate = new ElectionGate(Machine);
    }

    public string Name { get; }
    public string? Set { get; }
    public CarpSettings Settings { get; }
    public CarpMachine Machine { get; }
    public ElectionGate Gate { get; }
    public SimHost Host => _host;
    public bool IsMaster => _host.Alive && Machine.State == CarpState.Master;
    /// <summary>Every role change: when, and to what.</summary>
    public List<(long Time, CarpState Role)> Roles { get; } = [];
    public List<string> Lines { get; } = [];
    /// <summary>When the last frame for this group reached its host.</summary>
    public long? LastFrameAt { get; set; }
    public bool DebugEnabled => false;

    VirtualLan Lan => _host.Lan;

    internal void Reschedule()
    {
        long? due = Machine.NextDeadline;
        if (due == _scheduled)
        {
            return;
        }
        _scheduled = due;
        long token = ++_timerToken;
        if (due is not long at)
        {
            return;
        }
        int epoch = _host.Epoch;
        Lan.At(at, () =>
        {
            if (_host.Alive && _host.Epoch == epoch && token == _timerToken)
            {
                _scheduled = null;
                Machine.OnTimer(Lan.Now);
                _host.AfterEvent(this);
            }
        });
    }

    public void Write(LogLevel level, string message)
    {
        string line = LogLevelText.Prefix(level) + message;
        Lines.Add(line);
        Lan.Log($"host {_host.Number} [{Name}] {line}");
    }

    public string? SendAdvert(ReadOnlySpan<byte> frame)
    {
        Lan.Transmit(_host, frame.ToArray());
        return null;
    }

    public void SendAnnouncement(ReadOnlySpan<byte> frame) { }

    /// <summary>The bow-out: scripts take no time here, so the follower lets it go at once, after the downscript.</summary>
    public void SendAfterScripts(in Deferred effect) => Lan.Transmit(_host, effect.Frame!);

    public void RoleChanged(ElectionBase election, CarpState from, CarpState to, long now) => Roles.Add((now, to));

    /// <summary>Over as soon as it starts.</summary>
    public bool StartScript(ScriptInvocation script) => false;
}
