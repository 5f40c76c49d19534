using System.Globalization;
using Ucarp.Control;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Control;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Etcd;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Monitoring;

namespace Ucarp.Daemon;

// Groups coming and going: the start, a reload, ucarpctl's demote and promote.
internal sealed partial class EventLoop : IControlHandler
{
    ReloadWorker? _reload;

    /// <summary>The directory the daemon was started from: relative names in the file are found there at every reload.</summary>
    public string StartDirectory { get; init; } = "/";
    readonly List<Action<ControlReply>?> _reloadReplies = [];
    Dictionary<string, int> _fileOrder = new(StringComparer.Ordinal);

    /// <summary>
    /// Makes every group ready (interfaces, sockets, etcd) before any starts, so a group
    /// that cannot start stops the daemon before anything was done on the host. Then, in
    /// the file's order, each joins its multicast group and starts. Returns the exit status
    /// ucarp would give when something failed (2), else 0.
    /// </summary>
    public int StartAll(IReadOnlyList<GroupOptions> groups, Func<GroupOptions, string?> etcdPassword, bool probeEtcd, long now)
    {
        var prepared = new List<GroupRuntime>();
        foreach (GroupOptions options in groups)
        {
            GroupRuntime? g = GroupRuntime.Prepare(options, LogFor(options.Name), _interfaces, _environment, _etcd, etcdPassword(options), probeEtcd);
            if (g is null)
            {
                prepared.ForEach(p => p.Dispose());
                return 2;
            }
            prepared.Add(g);
        }
        _fileOrder = Order(groups);
        foreach (GroupRuntime g in prepared)
        {
            if (!Register(g))
            {
                return 2;
            }
        }
        if (_many)
        {
            // Nothing has run yet: a failed join leaves the host untouched.
            foreach (GroupRuntime g in prepared)
            {
                if (!g.Join(_memberships))
                {
                    return 2;
                }
            }
        }
        // Making groups ready can take a while (etcd is probed): each starts on the clock's time, not the caller's.
        foreach (GroupRuntime g in prepared)
        {
            now = MonotonicClock.NowMicroseconds;
            _groups.Add(g);
            g.Start(now);
            ApplyLinkState(g, now);
        }
        if (!_many && !prepared[0].Join(_memberships))
        {
            // ucarp joins after its start-up: the downscript it asked for is waited for.
            prepared[0].WaitForScripts();
            return 2;
        }
        GroupsChanged(now);
        return 0;
    }

    static Dictionary<string, int> Order(IReadOnlyList<GroupOptions> groups)
    {
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < groups.Count; i++)
        {
            order[groups[i].Name] = i;
        }
        return order;
    }

    /// <summary>Routes the group's frames to it; false (logged) when another group already has its vhid there.</summary>
    bool Register(GroupRuntime g)
    {
        if (g.Shared is null)
        {
            return true;
        }
        if (g.Shared.Add(g, out string filterError) is GroupRuntime holder)
        {
            g.Log.Write(LogLevel.Error, Messages.ConfigDuplicateVhid(g.Config.Vhid, g.Interface.Name, g.AdvertDestination.ToString(), holder.Name, holder.Options.Line));
            return false;
        }
        if (filterError.Length != 0)
        {
            g.Log.Write(LogLevel.Warning, Messages.OpenInterface(g.Interface.Name, filterError));
        }
        return true;
    }

    /// <summary>A group started while its carrier is down hears of it at once, as if it had been running.</summary>
    void ApplyLinkState(GroupRuntime g, long now)
    {
        if (g.Interface.LinkDown && !g.Config.IgnoreInterfaceState)
        {
            g.Gate.LinkDown(now);
        }
    }

    /// <summary>The set of groups changed: sync sets and monitoring see the new one.</summary>
    void GroupsChanged(long now)
    {
        _groups.Sort((a, b) => _fileOrder.GetValueOrDefault(a.Name).CompareTo(_fileOrder.GetValueOrDefault(b.Name)));
        _hasSync = _groups.Any(g => g.Config.SyncSet is not null);
        // Every time, sets or not: gates a vanished set had closed must open, and a set
        // that comes back later must not meet its old members' state.
        _sync.SetMembers([.. _groups.Select(g => (g.Name, g.Config.SyncSet, g.Gate))], now);
        _publisher?.SetGroups([.. _groups.Select(Published)], now);
    }

    static PublishedGroup Published(GroupRuntime g) => new(g.Name, g.Config, g.Gate, g.Frames, g.Scripts, g.Health);

    /// <summary>Disposes the leaving groups that are done, then starts the waiting ones nothing stands in the way of.</summary>
    void FinishLeaving(long now)
    {
        if (_leaving.Count == 0 && _waiting.Count == 0)
        {
            return;
        }
        for (int i = 0; i < _leaving.Count; i++)
        {
            GroupRuntime g = _leaving[i];
            if (g.Finished(now))
            {
                _leaving.RemoveAt(i--);
                g.Leave(_memberships);
                g.Dispose();
                _interfaces.ForgetUnused(_groups.Concat(_leaving).Concat(_waiting));
            }
        }
        if (_stopping)
        {
            return;
        }
        bool started = false;
        for (int i = 0; i < _waiting.Count; i++)
        {
            GroupRuntime g = _waiting[i];
            // An address moving from a leaving group waits for that group's downscript (or
            // removal): the new owner must not add it before the old one has let it go.
            if (_leaving.Any(l => SharesAddress(l.Config, g.Config)))
            {
                continue;
            }
            _waiting.RemoveAt(i--);
            if (!Register(g) || !g.Join(_memberships))
            {
                g.Dispose();
                continue;
            }
            _groups.Add(g);
            g.Start(now);
            ApplyLinkState(g, now);
            started = true;
        }
        if (started)
        {
            GroupsChanged(now);
        }
    }

    static bool SharesAddress(Configuration a, Configuration b)
    {
        HashSet<IpAddress> mine = [a.VirtualAddress, .. a.ExtraAddresses];
        return mine.Contains(b.VirtualAddress) || b.ExtraAddresses.Any(mine.Contains);
    }

    // ---- reload ----

    void StartReload(Action<ControlReply>? reply, long now)
    {
        if (!_many || _options.ConfigFile is null)
        {
            reply?.Invoke(new ControlReply(1, Messages.ReloadNeedsConfig + "\n"));
            return;
        }
        _reloadReplies.Add(reply);
        _reload ??= new ReloadWorker(_options.ConfigFile, StartDirectory);
        _reload.Start();
    }

    void TakeReload(long now)
    {
        if (_reload is null || _reloadPoll < 0 || (_fds[_reloadPoll].REvents & Libc.POLLIN) == 0)
        {
            return;
        }
        if (_reload.Take() is not ConfigReadResult result)
        {
            return;
        }
        ControlReply reply = _stopping ? new ControlReply(1, Messages.ReloadWhileStopping + "\n") : ApplyReload(result, now);
        foreach (Action<ControlReply>? complete in _reloadReplies)
        {
            complete?.Invoke(reply);
        }
        _reloadReplies.Clear();
    }

    int _reloadPoll = -1;

    /// <summary>
    /// A file read again: refused whole with its problems, or applied. Unchanged groups are
    /// not touched (not even their timers); removed and changed ones stop as with -z; added
    /// and changed ones are made ready first (a group that cannot be made ready refuses the
    /// reload, nothing changed) and start once the groups they replace have let go.
    /// </summary>
    ControlReply ApplyReload(ConfigReadResult result, long now)
    {
        string path = _options.ConfigFile!;
        var lines = ConfigFile.Lines(result, path).ToList();
        if (result.Diagnostics.Any(d => d.IsError))
        {
            foreach (ConfigDiagnostic d in result.Diagnostics)
            {
                _log.Write(d.IsError ? LogLevel.Error : LogLevel.Warning, d.Format(path));
            }
            _log.Write(LogLevel.Error, Messages.ReloadRefused(path));
            return new ControlReply(1, string.Join("\n", lines) + "\n" + Messages.ReloadRefused(path) + "\n");
        }
        foreach (ConfigDiagnostic d in result.Diagnostics)
        {
            _log.Write(LogLevel.Warning, d.Format(path));
        }
        // A reload while an earlier one's groups are still waiting: those are the earlier file's; this file decides again.
        foreach (GroupRuntime w in _waiting)
        {
            w.Dispose();
        }
        _waiting.Clear();
        ReloadPlan plan = ReloadDiff.Compute([.. _groups.Select(g => g.Options)], result.Groups);
        var prepared = new List<GroupRuntime>();
        var capture = new CapturingLog(_log);
        foreach (GroupOptions options in plan.Changed.Select(c => c.New).Concat(plan.Added))
        {
            string? etcdPassword = null;
            if (options.Settings.EtcdPasswordFile is string file && (etcdPassword = EtcdSetup.ReadPassword(file, capture.For(options.Name))) is null)
            {
                return Refuse(prepared, capture, path);
            }
            // etcd is not probed here: a reload must not wait on the network; the election says what it finds.
            if (GroupRuntime.Prepare(options, capture.For(options.Name), _interfaces, _environment, _etcd, etcdPassword, probeEtcd: false) is not GroupRuntime g)
            {
                return Refuse(prepared, capture, path);
            }
            prepared.Add(g);
        }
        _fileOrder = Order(result.Groups);
        var byName = _groups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        foreach (GroupOptions kept in plan.Unchanged)
        {
            byName[kept.Name].Renew(kept);
        }
        foreach (GroupOptions gone in plan.Removed.Concat(plan.Changed.Select(c => c.Old)))
        {
            GroupRuntime g = byName[gone.Name];
            g.Stop(now, runDownscript: true);
            _groups.Remove(g);
            _leaving.Add(g);
        }
        _waiting.AddRange(prepared);
        _interfaces.ForgetUnused(_groups.Concat(_leaving).Concat(_waiting));
        string summary = Messages.Reloaded(plan.Unchanged.Count, Names(plan.Changed.Select(c => c.New)), Names(plan.Added), Names(plan.Removed));
        _log.Write(LogLevel.Notice, summary);
        GroupsChanged(now);
        FinishLeaving(now);
        return new ControlReply(0, (lines.Count == 0 ? "" : string.Join("\n", lines) + "\n") + summary + "\n");
    }

    static string Names(IEnumerable<GroupOptions> groups) => string.Join(",", groups.Select(g => g.Name));

    ControlReply Refuse(List<GroupRuntime> prepared, CapturingLog capture, string path)
    {
        foreach (GroupRuntime g in prepared)
        {
            g.Dispose();
        }
        _interfaces.ForgetUnused(_groups.Concat(_leaving).Concat(_waiting));
        _log.Write(LogLevel.Error, Messages.ReloadRefused(path));
        return new ControlReply(1, string.Join("\n", capture.Errors) + "\n" + Messages.ReloadRefused(path) + "\n");
    }

    // ---- ucarpctl ----

    public IReadOnlyList<GroupStatus> Status(long now) => [.. _groups.Select(g => Row(g, now))];

    static GroupStatus Row(GroupRuntime g, long now)
    {
        Configuration c = g.Config;
        string state = g.Stopping ? "STOPPED" : g.Gate.State switch
        {
            CarpState.Master => "MASTER",
            CarpState.Backup => "BACKUP",
            _ => "INIT",
        };
        string health = g.Health is null ? "none"
            : g.Health.Policy.LastPassed is null ? "pending"
            : g.Health.Policy.Passing ? "passing" : "failing";
        bool inElection = g.Gate.Eligible && !g.Gate.LinkIsDown && !g.Stopping;
        string? reason = inElection ? null : g.Gate.LinkIsDown ? Messages.StatusLinkDown : g.Gate.EligibilityReason;
        return new GroupStatus(g.Name, c.Interface!, c.Vhid,
                               [c.VirtualAddressText ?? c.VirtualAddress.ToString(), .. c.ExtraAddresses.Select(a => a.ToString())],
                               state, g.Gate.MasterAddress(now)?.ToString(), g.SinceUnixMicros / 1_000_000, inElection, health, reason);
    }

    public ControlReply SetDemoted(string? group, bool demoted, long now)
    {
        List<GroupRuntime> targets = group is null ? [.. _groups] : [.. _groups.Where(g => g.Name == group)];
        if (group is not null && targets.Count == 0)
        {
            return new ControlReply(1, Messages.NoSuchGroup(group) + "\n");
        }
        foreach (GroupRuntime g in targets)
        {
            if (demoted)
            {
                g.Gate.Close(GateReason.Control, Messages.DemotedByControl, now);
            }
            else
            {
                g.Gate.Open(GateReason.Control, Messages.PromotedByControl, now);
            }
        }
        string names = string.Join(" ", targets.Select(g => g.Name));
        string line = demoted ? Messages.Demoted(names) : Messages.Promoted(names);
        _log.Write(LogLevel.Notice, line);
        return new ControlReply(0, line + "\n");
    }

    public void Reload(Action<ControlReply> complete, long now) => StartReload(complete, now);

    /// <summary>Error lines written while making groups ready at a reload, for ucarpctl's answer; every line still goes to the log.</summary>
    sealed class CapturingLog(ILog inner)
    {
        public List<string> Errors { get; } = [];

        public ILog For(string group) => new Line(this, new GroupLog(inner, group), group);

        sealed class Line(CapturingLog owner, ILog log, string group) : ILog
        {
            public bool DebugEnabled => log.DebugEnabled;

            public void Write(LogLevel level, string message)
            {
                if (level == LogLevel.Error)
                {
                    owner.Errors.Add("[" + group + "] " + message);
                }
                log.Write(level, message);
            }
        }
    }
}
