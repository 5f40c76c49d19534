using Ucarp.Control;
using Ucarp.Core;
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
        List<string> lines = ConfigFile.Lines(result, path);
        if (result.HasErrors)
        {
            foreach (ConfigDiagnostic d in result.Diagnostics)
            {
                _log.Write(d.IsError ? LogLevel.Error : LogLevel.Warning, d.Format(path));
            }
            _log.Write(LogLevel.Error, Messages.ReloadRefused(path));
            read.DisposeTls();
            return new ControlReply(1, string.Join("\n", lines) + "\n" + Messages.ReloadRefused(path) + "\n");
        }
        // The certificates as read with the file: groups made ready now use them, and the
        // running clients take them once the reload is applied.
        Etcd.StageTls(read.Tls);
        foreach (ConfigDiagnostic d in result.Diagnostics)
        {
            _log.Write(LogLevel.Warning, d.Format(path));
        }
        // Held groups are the file's too: kept, changed or removed like the running ones.
        ReloadPlan plan = ReloadDiff.Compute(RunningThenHeld(g => g.Options, h => h.Options), result.Groups);
        var byName = new Dictionary<string, GroupRuntime>(StringComparer.Ordinal);
        foreach (GroupRuntime running in _groups)
        {
            byName.Add(running.Name, running);
        }
        var heldByName = new Dictionary<string, HeldGroup>(StringComparer.Ordinal);
        foreach (HeldGroup held in _held)
        {
            heldByName.Add(held.Name, held);
        }
        var prepared = new List<GroupRuntime>();
        var toHold = new List<(GroupOptions Options, string? Password, string Reason, long RetryAt)>();
        var capture = new CapturingLog(_log);
        GroupOptions[] changedTo = Lists.ConvertAll(plan.Changed, c => c.New);
        // The changed groups start again, then the added ones start.
        var starting = new List<GroupOptions>(changedTo);
        starting.AddRange(plan.Added);
        foreach (GroupOptions options in starting)
        {
            string? etcdPassword = null;
            // Read on the reload worker's thread, with the file.
            if (options.Settings.EtcdPasswordFile is string file
                && (etcdPassword = EtcdSetup.Password(read.EtcdPasswords[file], file, capture.For(options.Name))) is null)
            {
                return Refuse(prepared, capture, path);
            }
            // etcd is not probed here: a reload must not wait on the network; the election says
            // what it finds. A group that cannot start yet is held back alone, as at start.
            if (TryMakeReady(options, etcdPassword, capture.For(options.Name), probeEtcd: false, quiet: false, now, out string? problem, out long retryAt)
                is GroupRuntime g)
            {
                prepared.Add(g);
            }
            else
            {
                toHold.Add((options, etcdPassword, problem!, retryAt));
            }
        }
        // A reload while an earlier one's groups are still waiting: those are the earlier
        // file's; this file decides again (not before: a refused file leaves them waiting).
        foreach (GroupRuntime w in _waiting)
        {
            w.Dispose();
        }
        _waiting.Clear();
        _fileOrder = Order(result.Groups);
        // ucarpctl's demote outlives a reload: a changed group keeps its Control gate (and so
        // its sync mates stay out), and a group added after `demote --all` starts demoted.
        string? DemotedBefore(string name) =>
            byName.TryGetValue(name, out GroupRuntime? old) ? old.Gate.ReasonOf(GateReason.Control)
            : heldByName.TryGetValue(name, out HeldGroup? held) ? held.Gate.ReasonOf(GateReason.Control)
            : AllDemoted ? Messages.DemotedByControl : null;
        foreach (GroupRuntime g in prepared)
        {
            if (DemotedBefore(g.Name) is string demoted)
            {
                g.Gate.Close(GateReason.Control, demoted, now);
            }
        }
        foreach (GroupOptions kept in plan.Unchanged)
        {
            if (byName.TryGetValue(kept.Name, out GroupRuntime? running))
            {
                running.Renew(kept);
            }
            else
            {
                heldByName[kept.Name].Options = kept;
            }
        }
        var stopping = new List<GroupOptions>(plan.Removed);
        stopping.AddRange(Lists.ConvertAll(plan.Changed, c => c.Old));
        foreach (GroupOptions gone in stopping)
        {
            if (heldByName.TryGetValue(gone.Name, out HeldGroup? held))
            {
                _held.Remove(held);
                continue;
            }
            GroupRuntime g = byName[gone.Name];
            g.Stop(now, runDownscript: true);
            _groups.Remove(g);
            _leaving.Add(g);
            Clock.TouchAll();
        }
        foreach ((GroupOptions options, string? password, string reason, long retryAt) in toHold)
        {
            Hold(options, password, reason, DemotedBefore(options.Name), now, retryAt);
            capture.Held(options.Name, Messages.Held(reason));
        }
        _waiting.AddRange(prepared);
        Etcd.CommitTls(_log);
        ForgetUnusedInterfaces();
        string summary = Messages.Reloaded(plan.Unchanged.Count, Names(changedTo), Names(plan.Added), Names(plan.Removed));
        _log.Write(LogLevel.Notice, summary);
        GroupsChanged(now);
        FinishLeaving(now);
        // The groups held back say why, after the summary: the reload itself succeeded.
        lines.Add(summary);
        lines.AddRange(capture.HeldLines);
        capture.Close();
        return new ControlReply(0, string.Join("\n", lines) + "\n");
    }

    /// <summary>How long a reload's worker waits for the --vmac children made ahead (behind the address changes asked before).</summary>
    static readonly TimeSpan VmacWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On the reload worker's thread: the --vmac children the file's groups need and this
    /// daemon has not are made ahead on the address thread, so that making the groups ready
    /// on the loop's thread asks the kernel nothing slow (a group whose child is not made
    /// by then is held back and tried again).
    /// </summary>
    public void MakeVmacsAhead(ConfigReadResult config, object ticket)
    {
        var wanted = new List<VmacWanted>();
        foreach (GroupOptions options in config.Groups)
        {
            if (VmacWanted.Of(options) is VmacWanted child && _interfaces.Vmacs.ToMake(child.Name))
            {
                wanted.Add(child);
            }
        }
        _interfaces.Vmacs.PrepareAndWait(wanted, ticket, Addresses, VmacWait);
    }

    static string Names(IReadOnlyList<GroupOptions> groups) => string.Join(",", Lists.ConvertAll(groups, g => g.Name));

    ControlReply Refuse(List<GroupRuntime> prepared, CapturingLog capture, string path)
    {
        foreach (GroupRuntime g in prepared)
        {
            g.Dispose();
        }
        Etcd.DropStagedTls();
        ForgetUnusedInterfaces();
        _log.Write(LogLevel.Error, Messages.ReloadRefused(path));
        capture.Close();
        return new ControlReply(1, string.Join("\n", capture.Errors) + "\n" + Messages.ReloadRefused(path) + "\n");
    }

    /// <summary>
    /// Error lines written while making groups ready at a reload, for ucarpctl's answer;
    /// every line still goes to the log. The groups keep the log it gives them: once the
    /// reload is answered (<see cref="Close"/>) nothing more is kept.
    /// </summary>
    sealed class CapturingLog(ILog inner)
    {
        bool _closed;

        public List<string> Errors { get; } = [];

        public void Close() => _closed = true;
        /// <summary>The groups held back, each with why (and the first error that said so, when it was one).</summary>
        public List<string> HeldLines { get; } = [];

        public void Held(string group, string line) => HeldLines.Add("[" + group + "] " + line);

        public ILog For(string group) => new Line(this, new GroupLog(inner, group), group);

        sealed class Line(CapturingLog owner, ILog log, string group) : ILog
        {
            public bool DebugEnabled => log.DebugEnabled;

            public void Write(LogLevel level, string message)
            {
                if (level == LogLevel.Error && !owner._closed)
                {
                    owner.Errors.Add("[" + group + "] " + message);
                }
                log.Write(level, message);
            }
        }
    }
}
