using Ucarp.Core;
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
/// after every event the host handles, and its reloads (SimHost.Reload.cs).
/// </summary>
sealed partial class SimHost
{
    readonly VirtualLan _lan;
    // The file: what a start reads, and what a reload replaces.
    List<(string Name, string? Set, CarpSettings Settings)> _config = [];
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
    /// <summary>The running groups, in the file's order.</summary>
    public List<SimGroup> Groups { get; private set; } = [];
    /// <summary>How long each script runs (0: over as it starts); the follower runs them one after another.</summary>
    public long ScriptDuration { get; set; }
    public SyncCoordinator Sync { get; private set; } = new();
    long? _syncAt;   // the sync-set rule's deadline a wake-up is scheduled for
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
        // What a dead incarnation was stopping or about to start died with it.
        Leaving.Clear();
        Waiting.Clear();
        Groups = [.. _config.Select(c => new SimGroup(this, c.Name, c.Set, c.Settings, _lan.Seed * 31 + Index * 1000 + c.Settings.Vhid + Epoch * 100_000))];
        foreach (SimGroup group in Groups)
        {
            _table.Add(group.Settings.Group, group.Settings.Vhid, group);
        }
        Sync = new SyncCoordinator();
        _syncAt = null;
        GroupsChanged();
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
        // The rule's own deadline (a split set's settle time), as the daemon's loop wakes for it.
        if (Sync.NextDeadline is long at && at != _syncAt)
        {
            _syncAt = at;
            int epoch = Epoch;
            _lan.At(at, () =>
            {
                if (_syncAt == at && epoch == Epoch && Alive)
                {
                    _syncAt = null;
                    AfterEvent();
                }
            });
        }
        // Then, as the daemon's last source: groups done leaving go, those waiting for them start.
        if (FinishLeaving() || touched is null)
        {
            Groups.ForEach(g => g.Reschedule());
            Leaving.ForEach(g => g.Reschedule());
            return;
        }
        touched.Reschedule();
        _inSets.ForEach(g => g.Reschedule());
    }
}

/// <summary>
/// One group of a <see cref="SimHost"/>: its machine, its gate, what it emitted, and when
/// it touched its addresses: it holds them from the start of its upscript (which adds
/// them) until its downscript has ended (which removed them). Its scripts take the host's
/// <see cref="SimHost.ScriptDuration"/>.
/// </summary>
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
        Addresses = settings.Addresses;
    }

    public string Name { get; }
    public string? Set { get; }
    public CarpSettings Settings { get; }
    /// <summary>Every address of the group (the settings make a new list at each read).</summary>
    public IReadOnlyList<IpAddress> Addresses { get; }
    public CarpMachine Machine { get; }
    public ElectionGate Gate { get; }
    public SimHost Host => _host;
    public bool IsMaster => _host.Alive && !Stopping && Machine.State == CarpState.Master;
    /// <summary>Stopped by a reload: out of the GroupTable, its election's timers no longer run, its follower's do.</summary>
    public bool Stopping { get; internal set; }
    /// <summary>Its addresses are configured here: an upscript started, no downscript has ended since.</summary>
    public bool Holding { get; private set; }
    /// <summary>It holds its addresses, or a script of its runs (the startup downscript removes them too).</summary>
    public bool Touching => Holding || Machine.Follower.Running is not null;
    /// <summary>When it sent each advert.</summary>
    public List<long> Adverts { get; } = [];
    /// <summary>Every role change: when, and to what.</summary>
    public List<(long Time, CarpState Role)> Roles { get; } = [];
    public List<string> Lines { get; } = [];
    /// <summary>When the last frame for this group reached its host.</summary>
    public long? LastFrameAt { get; set; }
    public bool DebugEnabled => false;

    VirtualLan Lan => _host.Lan;

    internal void Reschedule()
    {
        // A stopping group's election is done; what waits for its scripts (the bow-out) is not.
        long? due = Deadlines.Min(Stopping ? null : Machine.NextDeadline, Machine.Follower.NextDeadline);
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
                if (!Stopping && Machine.NextDeadline <= Lan.Now)
                {
                    Machine.OnTimer(Lan.Now);
                }
                if (Machine.Follower.NextDeadline <= Lan.Now)
                {
                    Machine.Follower.OnTimer(Lan.Now);
                }
                _host.AfterEvent(this);
            }
        });
    }

    /// <summary>Whether the two groups have an address in common (a loop: the watches ask after every event).</summary>
    public bool SharesAddress(SimGroup other)
    {
        foreach (IpAddress address in other.Addresses)
        {
            for (int i = 0; i < Addresses.Count; i++)
            {
                if (Addresses[i] == address)
                {
                    return true;
                }
            }
        }
        return false;
    }


    public void Write(LogLevel level, string message)
    {
        string line = LogLevelText.Prefix(level) + message;
        Lines.Add(line);
        Lan.Log($"host {_host.Number} [{Name}] {line}");
    }

    public string? SendAdvert(ReadOnlySpan<byte> frame)
    {
        Adverts.Add(Lan.Now);
        Lan.Transmit(_host, frame.ToArray());
        return null;
    }

    public void SendAnnouncement(ReadOnlySpan<byte> frame) { }

    /// <summary>The bow-out: scripts take no time here, so the follower lets it go at once, after the downscript.</summary>
    public void SendAfterScripts(in Deferred effect) => Lan.Transmit(_host, effect.Frame!);

    public void RoleChanged(ElectionBase election, CarpState from, CarpState to, long now) => Roles.Add((now, to));

    /// <summary>
    /// Over as soon as it starts when the host's scripts take no time; else its end goes
    /// back to the follower after the script duration, as the daemon's reaper does.
    /// </summary>
    public bool StartScript(ScriptInvocation script)
    {
        Lan.Log($"host {_host.Number} [{Name}] script {script.Kind}");
        // The upscript adds the addresses as it starts; the downscript has removed them once it ends.
        Holding |= script.Kind == ScriptKind.Up;
        bool releases = script.Kind == ScriptKind.Down;
        if (_host.ScriptDuration == 0)
        {
            Holding &= !releases;
            return false;
        }
        int epoch = _host.Epoch;
        Lan.At(Lan.Now + _host.ScriptDuration, () =>
        {
            if (_host.Alive && _host.Epoch == epoch)
            {
                Lan.Log($"host {_host.Number} [{Name}] script {script.Kind} ended");
                Holding &= !releases;
                Machine.Follower.ScriptEnded();
                _host.AfterEvent(this);
            }
        });
        return true;
    }
}
