using System.Text;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// A reload of the host's file, by the daemon's rules (GroupSet.Reload.cs, FinishLeaving):
/// the plan is <see cref="ReloadDiff"/>'s; unchanged groups are not touched, not even their
/// timers; removed and changed ones stop as with -z (downscript, bow-out) and leave once
/// their follower is done; changed and added ones wait until no leaving group shares an
/// address with them.
/// </summary>
sealed partial class SimHost
{
    // Machines made by reloads get seeds of their own, apart from those of starts.
    int _made;

    /// <summary>Stopped by a reload, finishing their scripts and bow-out.</summary>
    public List<SimGroup> Leaving { get; } = [];
    /// <summary>Made by a reload, started once no leaving group shares an address with them.</summary>
    public List<SimGroup> Waiting { get; } = [];
    /// <summary>Groups that left while still holding their addresses (no downscript ran): none, ever.</summary>
    public List<string> LeftBehind { get; } = [];

    /// <summary>The file read again, with these groups: applied now, or at the next start when the host is down.</summary>
    public void Reload(IEnumerable<(string Name, string? Set, CarpSettings Settings)> groups)
    {
        _config = [.. groups];
        if (!Alive)
        {
            return;
        }
        long now = _lan.Now;
        // An earlier reload's groups still waiting were that file's; this one decides again.
        Waiting.Clear();
        ReloadPlan plan = ReloadDiff.Compute([.. Groups.Select(g => Options(g.Name, g.Set, g.Settings))],
                                             [.. _config.Select(c => Options(c.Name, c.Set, c.Settings))]);
        var byName = Groups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        foreach (GroupOptions gone in plan.Removed.Concat(plan.Changed.Select(c => c.Old)))
        {
            Stop(byName[gone.Name], now);
        }
        foreach (GroupOptions made in plan.Changed.Select(c => c.New).Concat(plan.Added))
        {
            (string name, string? set, CarpSettings settings) = _config.Single(c => c.Name == made.Name);
            Waiting.Add(new SimGroup(this, name, set, settings, _lan.Seed * 31 + Index * 1000 + settings.Vhid + Epoch * 100_000 + ++_made * 7919));
        }
        _lan.Log($"host {Number} reloaded: {plan.Unchanged.Count} unchanged, changed {Names(plan.Changed.Select(c => c.New))}, "
                 + $"added {Names(plan.Added)}, removed {Names(plan.Removed)}");
        GroupsChanged();
        AfterEvent();
    }

    static string Names(IEnumerable<GroupOptions> groups) => string.Join(",", groups.Select(g => g.Name));

    /// <summary>As GroupRuntime.Stop with the downscript: marked stopping (its mates see it out), no more frames, then the -z shutdown.</summary>
    void Stop(SimGroup group, long now)
    {
        group.Stopping = true;
        group.Gate.MarkStopping();
        if (_table.TryFind(group.Settings.Group, group.Settings.Vhid, out SimGroup? routed) && routed == group)
        {
            _table.Remove(group.Settings.Group, group.Settings.Vhid);
        }
        group.Gate.Shutdown(now);
        Groups.Remove(group);
        Leaving.Add(group);
    }

    /// <summary>
    /// As GroupSet.FinishLeaving: groups whose follower is done are gone; then each waiting
    /// group that no leaving group shares an address with starts (unless its vhid is taken).
    /// True when a group left or started.
    /// </summary>
    bool FinishLeaving()
    {
        if (Leaving.Count == 0 && Waiting.Count == 0)
        {
            return false;
        }
        foreach (SimGroup gone in Leaving.Where(g => g.Machine.Follower.Done && g.Holding))
        {
            LeftBehind.Add($"{_lan.Now}: [{gone.Name}] left with its addresses still configured");
        }
        int left = Leaving.RemoveAll(g => g.Machine.Follower.Done);
        bool started = false;
        foreach (SimGroup group in Waiting.ToList())
        {
            if (Leaving.Any(l => l.SharesAddress(group)))
            {
                continue;
            }
            Waiting.Remove(group);
            if (_table.Add(group.Settings.Group, group.Settings.Vhid, group) is not null)
            {
                _lan.Log($"host {Number} [{group.Name}] vhid {group.Settings.Vhid} already taken: not started");
                continue;
            }
            Groups.Add(group);
            group.Gate.Start(_lan.Now);
            started = true;
        }
        if (started)
        {
            GroupsChanged();
        }
        return left > 0 || started;
    }

    /// <summary>As GroupSet.GroupsChanged: the file's order, and the sync sets over the running groups.</summary>
    void GroupsChanged()
    {
        var order = _config.Select((c, i) => (c.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        Groups = [.. Groups.OrderBy(g => order.GetValueOrDefault(g.Name))];
        _inSets.Clear();
        _inSets.AddRange(Groups.Where(g => g.Set is not null));
        Sync.SetMembers([.. Groups.Select(g => (g.Name, g.Set, g.Gate, g.Settings.VirtualAddress))], _lan.Now);
    }

    /// <summary>The group as the config file would declare it, for <see cref="ReloadDiff"/> to compare.</summary>
    static GroupOptions Options(string name, string? set, CarpSettings s)
    {
        var c = new Configuration
        {
            Interface = s.Interface,
            SourceAddress = s.Source,
            MulticastAddress = s.Group,
            Vhid = s.Vhid,
            Password = Encoding.ASCII.GetString(s.Password),
            VirtualAddress = s.VirtualAddress,
            VirtualAddressText = s.VirtualAddressText,
            AdvBase = s.AdvBase,
            AdvSkew = s.AdvSkew,
            DeadRatio = s.DeadRatio,
            UpScript = s.UpScript,
            DownScript = s.DownScript,
            XParam = s.XParam,
            Preempt = s.Preempt,
            Neutral = s.Neutral,
            NoMulticast = s.Broadcast,
            NoBowOut = !s.BowOut,
            GarpRefresh = s.GarpRefresh,
            ManageAddresses = s.ManageAddresses,
            SyncSet = set,
        };
        c.Peers.AddRange(s.Peers);
        c.ExtraAddresses.AddRange(s.ExtraAddresses);
        return new GroupOptions(name, 0, c);
    }
}
