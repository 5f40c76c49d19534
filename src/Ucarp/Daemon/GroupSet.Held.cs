using Ucarp.Core.Config;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Daemon;

// --config: groups held back, one by one, rather than the daemon refusing to start or a lost
// interface ending its groups for good. A plain command line never holds a group: it ends
// as ucarp does.
internal sealed partial class GroupSet
{
    /// <summary>A group whose interface is usable but which could not be made ready is tried again after this long (µs).</summary>
    const long NotReadyRetry = 5_000_000;

    readonly List<HeldGroup> _held = [];

    /// <summary>The groups held back (--config), in the order they were held.</summary>
    public List<HeldGroup> Held => _held;

    /// <summary>Where the file puts the group (status lists groups in the file's order).</summary>
    public int FileOrder(string name) => _fileOrder.GetValueOrDefault(name);

    /// <summary>Each group's place in the file.</summary>
    static Dictionary<string, int> Order(IReadOnlyList<GroupOptions> groups)
    {
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < groups.Count; i++)
        {
            order[groups[i].Name] = i;
        }
        return order;
    }

    /// <summary>
    /// Holds the group back, saying why: in its sync set it counts as out, status shows it
    /// WAITING, and it starts by itself once it can (<see cref="RetryHeld"/>). The demotion
    /// the caller says it has stays with it: a group that ran passes its own (none when it was
    /// promoted since `demote --all`), a new one what `demote --all` or the file says.
    /// </summary>
    void Hold(GroupOptions options, string? etcdPassword, string reason, string? demoted, long now, long retryAt = 0)
    {
        var held = new HeldGroup(options, etcdPassword, reason, now) { NextTry = retryAt };
        if (demoted is string why)
        {
            held.Gate.Close(GateReason.Control, why, now);
        }
        _held.Add(held);
        LogFor(options.Name).Write(LogLevel.Warning, Messages.Held(reason));
    }

    /// <summary>Why the interface keeps its groups from starting, or null when it is there and up.</summary>
    string? InterfaceProblem(string iface)
    {
        if (!InterfaceInfo.TryFlags(_interfaces.Control, iface, out short flags))
        {
            return Messages.HeldInterfaceMissing(iface);
        }
        if ((flags & Libc.IFF_UP) == 0)
        {
            return Messages.HeldInterfaceDown(iface);
        }
        // Back already, but a group that ran on it is still letting go (its downscript): the
        // new group looks the interface up afresh (index, MAC) once that one is done.
        return _interfaces.IsLost(iface) ? Messages.HeldInterfaceReturning(iface) : null;
    }

    /// <summary>
    /// The one rule for a --config group that may not be able to start (at start, at a
    /// reload, when held): made ready if its interface is usable, else null with why and
    /// when to try again. An interface's return is looked for at every check of the link
    /// watcher (<paramref name="retryAt"/> 0); a group that could not be made ready (the
    /// first error its making logged) is tried again <see cref="NotReadyRetry"/> later, and
    /// what its making looked up (the interface's index, MAC) is not kept.
    /// <paramref name="quiet"/>: its lines are written only when it is made ready, so a group
    /// tried again and again does not repeat the same errors.
    /// </summary>
    GroupRuntime? TryMakeReady(GroupOptions options, string? etcdPassword, ILog log, bool probeEtcd, bool quiet, long now,
                               out string? problem, out long retryAt)
    {
        retryAt = 0;
        if ((problem = InterfaceProblem(options.Settings.Interface!)) is not null)
        {
            return null;
        }
        var lines = new BufferedLog(log, quiet);
        if (Prepare(options, lines, etcdPassword, probeEtcd) is not GroupRuntime g)
        {
            problem = Messages.HeldNotReady(lines.FirstError ?? "");
            retryAt = now + NotReadyRetry;
            ForgetUnusedInterfaces();
            return null;
        }
        lines.WriteAll();
        return g;
    }

    /// <summary>Interfaces no group uses any more (running, leaving or about to start) are looked up afresh next time.</summary>
    void ForgetUnusedInterfaces() => _interfaces.ForgetUnused(AllGroups());

    /// <summary>The running groups, the leaving ones, then those about to start.</summary>
    List<GroupRuntime> AllGroups() => [.. _groups, .. _leaving, .. _waiting];

    /// <summary>
    /// The held groups that can start now (their interface is back and up, or their retry
    /// is due) are made ready and start as a reload's groups do, once nothing they replace
    /// holds their addresses; the others keep waiting, their reason brought up to date.
    /// Cheap when nothing is held; four times a second from the link watcher.
    /// </summary>
    public void RetryHeld(long now)
    {
        if (Stopping || _held.Count == 0)
        {
            return;
        }
        bool ready = false;
        // A copy: a child made ahead on this thread (no address thread to be had) retries its group at once.
        foreach (HeldGroup h in _held.ToArray())
        {
            if (now >= h.NextTry && !_waiting.Exists(w => w.Name == h.Name))
            {
                ready |= RetryOne(h, now);
            }
        }
        if (ready)
        {
            FinishLeaving(now);
        }
    }

    /// <summary>One held group's try: true when it is made ready and waits to start.</summary>
    bool RetryOne(HeldGroup h, long now)
    {
        // Its --vmac child first, made ahead off the loop's thread; the group is tried again once it is.
        if (VmacWanted.Of(h.Options) is VmacWanted wanted && _interfaces.Vmacs.ToMake(wanted.Name)
            && InterfaceProblem(h.Interface) is null)
        {
            if (!h.MakingVmac)
            {
                h.MakingVmac = true;
                object ticket = new();
                _interfaces.Vmacs.Prepare([wanted], ticket, Addresses, () => VmacMade(h, ticket));
            }
            return false;
        }
        if (TryMakeReady(h.Options, h.EtcdPassword, LogFor(h.Name), probeEtcd: false, quiet: true, now, out string? problem, out long retryAt)
            is not GroupRuntime g)
        {
            h.NextTry = retryAt;
            if (problem != h.Reason)
            {
                h.Gate.Close(GateReason.Held, problem!, now);
                LogFor(h.Name).Write(LogLevel.Warning, Messages.Held(problem!));
            }
            return false;
        }
        g.Log.Write(LogLevel.Notice, Messages.HeldStarting(h.Interface));
        _waiting.Add(g);
        return true;
    }

    /// <summary>A held group's child is made (or could not be): the group is tried now, and what it did not take goes.</summary>
    void VmacMade(HeldGroup h, object ticket)
    {
        h.MakingVmac = false;
        long now = MonotonicClock.NowMicroseconds;
        if (!Stopping && _held.Contains(h) && !_waiting.Exists(w => w.Name == h.Name))
        {
            h.NextTry = 0;
            if (RetryOne(h, now))
            {
                FinishLeaving(now);
            }
        }
        _interfaces.Vmacs.Sweep(ticket, LogFor(h.Name), Addresses);
    }

    /// <summary>The group about to start takes its placeholder's place, and its demotion.</summary>
    void Unhold(GroupRuntime g, long now)
    {
        int i = _held.FindIndex(h => h.Name == g.Name);
        if (i < 0)
        {
            return;
        }
        if (_held[i].Gate.ReasonOf(GateReason.Control) is string demoted)
        {
            g.Gate.Close(GateReason.Control, demoted, now);
        }
        _held.RemoveAt(i);
    }

    /// <summary>
    /// Lines kept back (when <paramref name="quiet"/>) until the group is made ready; the
    /// first error is the reason it was not. The group keeps it as its log: once
    /// <see cref="WriteAll"/> has run, every line goes straight through.
    /// </summary>
    sealed class BufferedLog(ILog inner, bool quiet) : ILog
    {
        readonly List<(LogLevel Level, string Message)> _lines = [];
        bool _kept = quiet;

        public bool DebugEnabled => inner.DebugEnabled;
        public string? FirstError { get; private set; }

        public void Write(LogLevel level, string message)
        {
            if (level == LogLevel.Error)
            {
                FirstError ??= message;
            }
            if (_kept)
            {
                _lines.Add((level, message));
            }
            else
            {
                inner.Write(level, message);
            }
        }

        public void WriteAll()
        {
            _kept = false;
            foreach ((LogLevel level, string message) in _lines)
            {
                inner.Write(level, message);
            }
            _lines.Clear();
            _lines.TrimExcess();
        }
    }
}
