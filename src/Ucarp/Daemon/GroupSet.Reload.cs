using Ucarp.Control;
using Ucarp.Core.Config;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Etcd;

namespace Ucarp.Daemon;

// A file read again, applied to the set: see Apply.
internal sealed partial class GroupSet
{
    /// <summary>
    /// A file read again: refused whole with its problems, or applied. Unchanged groups are
    /// not touched (not even their timers); removed and changed ones stop as with -z; added
    /// and changed ones are made ready first (a group that cannot be made ready refuses the
    /// reload, nothing changed) and start once the groups they replace have let go.
    /// </summary>
    public ControlReply Apply(ReloadRead read, string path, long now)
    {
        ConfigReadResult result = read.Config;
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
            // Read on the reload worker's thread, with the file.
            if (options.Settings.EtcdPasswordFile is string file
                && (etcdPassword = EtcdSetup.Password(read.EtcdPasswords[file], file, capture.For(options.Name))) is null)
            {
                return Refuse(prepared, capture, path);
            }
            // etcd is not probed here: a reload must not wait on the network; the election says what it finds.
            if (Prepare(options, capture.For(options.Name), etcdPassword, probeEtcd: false) is not GroupRuntime g)
            {
                return Refuse(prepared, capture, path);
            }
            prepared.Add(g);
        }
        _fileOrder = Order(result.Groups);
        var byName = _groups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        // ucarpctl's demote outlives a reload: a changed group keeps its Control gate (and so
        // its sync mates stay out), and a group added after `demote --all` starts demoted.
        foreach (GroupRuntime g in prepared)
        {
            string? demoted = byName.TryGetValue(g.Name, out GroupRuntime? old) ? old.Gate.ReasonOf(GateReason.Control)
                : AllDemoted ? Messages.DemotedByControl : null;
            if (demoted is not null)
            {
                g.Gate.Close(GateReason.Control, demoted, now);
            }
        }
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
