using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>One --vmac child: its name, index, parent and MAC, and how many groups hold it.</summary>
internal sealed class VmacChild(string name, int index, int parentIndex, string parentName, byte[] mac, string owner)
{
    public string Name { get; } = name;
    public int Index { get; } = index;
    public int ParentIndex { get; } = parentIndex;
    public string ParentName { get; } = parentName;
    public byte[] Mac { get; } = mac;
    /// <summary>The group that made it, for the line that refuses another group the name.</summary>
    public string Owner { get; } = owner;
    /// <summary>
    /// Groups holding it: a reload's changed group is made ready while the one it replaces
    /// still holds it. 0: made ahead of its group (<see cref="VirtualMacs.Prepare"/>), not taken yet.
    /// </summary>
    public int Users { get; set; } = 1;
    /// <summary>Made ahead: the preparation that made it, until a group takes it.</summary>
    public object? Ticket { get; set; }
    /// <summary>Made ahead: the lines its making had to say, written by the group that takes it.</summary>
    public List<(LogLevel Level, string Line)>? Untold { get; set; }
}

/// <summary>
/// The daemon's --vmac children (like <see cref="MulticastMemberships"/>, one per name
/// for every group that needs it): made when a group is made ready (at start), or ahead of
/// it on the address thread (a reload, a held group's retry: VirtualMacs.Prepare.cs), and
/// removed when the last group holding one lets it go: a group removed by a reload, held
/// back, or the daemon ending (on a command line without -z, from the signal handler that
/// ends it). While a parent has children its arp_ignore and arp_filter are 1, so that only
/// the child answers ARP for the group's addresses (keepalived's vrrp_if_config.c); their
/// values from before are put back with the last child.
/// </summary>
internal sealed partial class VirtualMacs
{
    readonly object _gate = new();   // the signal handler, the address thread and a reload's worker reach them too
    readonly Dictionary<string, VmacChild> _children = new(StringComparer.Ordinal);
    static readonly string[] ParentSettings = ["arp_ignore", "arp_filter"];
    readonly Dictionary<string, int> _parents = new(StringComparer.Ordinal);   // children per parent
    readonly Dictionary<string, (string Setting, string? Value)[]> _originals = new(StringComparer.Ordinal);

    /// <summary>The daemon's loop is over: a child is removed on the caller's thread, at once.</summary>
    public bool Ending { get => Volatile.Read(ref _ending); set => Volatile.Write(ref _ending, value); }
    bool _ending;

    /// <summary>
    /// A child not made ahead is made by <see cref="Acquire"/> on the caller's thread: true
    /// while the daemon starts (nothing runs yet); once the loop runs, rtnetlink's requests
    /// (up to six, a second each) are not made on the protocol's thread.
    /// </summary>
    public bool Inline { get; set; } = true;

    /// <summary>
    /// Every child is being removed because the daemon is ending (a command line without -z
    /// dies in its signal handler while the loop still runs): what the loop then sees of the
    /// children going (an error on a socket, an address gone) is the daemon's own doing,
    /// not an interface lost or an address taken by another program.
    /// </summary>
    public bool Dying => Volatile.Read(ref _dying);
    bool _dying;

    /// <summary>
    /// The child a group wants, on <paramref name="parent"/>: made ahead, shared, or made now
    /// (<see cref="Inline"/>, with its source's link-local address for an IPv6 group); null after logging why not.
    /// </summary>
    public VmacChild? Acquire(VmacWanted wanted, InterfaceEntry parent, ILog log)
    {
        (string name, byte[] mac) = (wanted.Name, wanted.Mac);
        lock (_gate)
        {
            if (_children.TryGetValue(name, out VmacChild? held))
            {
                if (held.ParentIndex == parent.Index && held.Mac.AsSpan().SequenceEqual(mac))
                {
                    Tell(log, held.Untold);
                    held.Untold = null;
                    held.Ticket = null;
                    held.Users++;
                    return held;
                }
                log.Write(LogLevel.Error, Messages.VmacInUse(name, held.Owner));
                return null;
            }
            if (_failed.Remove(name, out (object Ticket, List<(LogLevel, string)> Lines) failed))
            {
                Tell(log, failed.Lines);
                return null;
            }
            if (!Inline)
            {
                log.Write(LogLevel.Error, Messages.VmacNotMadeYet(name));
                return null;
            }
            var lines = new List<(LogLevel Level, string Line)>();
            IpAddress? linkLocal = wanted.Source is IpAddress v6 ? VmacOptions.LinkLocal(v6, parent.Mac) : null;
            VmacChild? child = Make(name, parent.Index, parent.Name, mac, linkLocal, wanted.Group, lines);
            Tell(log, lines);
            if (child is not null)
            {
                child.Users = 1;
            }
            return child;
        }
    }

    /// <summary>
    /// Makes the child (under the gate or on the address thread) and notes it as this
    /// daemon's with no holder yet; null when it could not be, with why in <paramref name="lines"/>.
    /// </summary>
    VmacChild? Make(string name, int parentIndex, string parentName, byte[] mac, IpAddress? linkLocal, string group,
                    List<(LogLevel Level, string Line)> lines)
    {
        var notes = new List<string>();
        int index = MacvlanLinks.TryMake(name, parentIndex, parentName, mac, linkLocal, notes, out string? failure);
        foreach (string note in notes)
        {
            lines.Add((LogLevel.Warning, note));
        }
        if (index == 0)
        {
            lines.Add((LogLevel.Error, failure!));
            return null;
        }
        lines.Add((LogLevel.Info, Messages.VmacCreated(name, MacvlanLinks.Mac(mac), parentName)));
        var child = new VmacChild(name, index, parentIndex, parentName, mac, group) { Users = 0 };
        lock (_gate)
        {
            _children.Add(name, child);
            QuietParent(parentName, name, lines);
        }
        return child;
    }

    static void Tell(ILog log, List<(LogLevel Level, string Line)>? lines)
    {
        foreach ((LogLevel level, string line) in lines ?? [])
        {
            log.Write(level, line);
        }
    }

    /// <summary>
    /// A group lets its child go: removed with its last holder, on <paramref name="thread"/>
    /// after the changes asked before (the group's addresses) when there is one, else here.
    /// <paramref name="log"/> null: nothing is written (a dying process).
    /// </summary>
    public void Release(VmacChild child, ILog? log, Net.AddressChanger? thread = null)
    {
        lock (_gate)
        {
            if (--child.Users > 0 || !_children.Remove(child.Name))
            {
                return;
            }
            List<(string Setting, string Value)> restore = LeaveParent(child.ParentName);
            Func<List<string>, bool> work = lines => Remove(child, restore, lines);
            if (Ending || thread?.TryPost(work, result => Write(log, result.Errors, child.Name)) != true)
            {
                var lines = new List<string>();
                work(lines);
                Write(log, lines, child.Name);
            }
        }
    }

    /// <summary>Every child removed at once, whoever holds it: the daemon is ending.</summary>
    public void RemoveAll(ILog? log)
    {
        Volatile.Write(ref _dying, true);
        lock (_gate)
        {
            foreach (VmacChild child in new List<VmacChild>(_children.Values))
            {
                child.Users = 1;
                Release(child, log);
            }
        }
    }

    /// <summary>The kernel's side of a removal (on whichever thread): the child, then the parent's settings if it was the last.</summary>
    static bool Remove(VmacChild child, List<(string Setting, string Value)> restore, List<string> lines)
    {
        if (MacvlanLinks.TryRemove(child.Name, child.Index, child.ParentIndex, child.Mac) is string failure)
        {
            lines.Add(failure);
        }
        // Another child with a virtual router MAC still needs them: another process's (one
        // ucarp per address, keepalived's use_vmac), or one of ours made while this removal
        // waited its turn.
        if (restore.Count > 0 && MacvlanLinks.HasVirtualMacChild(child.ParentName, except: null) == true)
        {
            restore = [];
        }
        foreach ((string setting, string value) in restore)
        {
            // A parent gone with its children has nothing to put back.
            if (InterfaceSysctl.TryWrite(child.ParentName, setting, value) is string why && Directory.Exists(InterfaceSysctl.PathOf(child.ParentName, "")))
            {
                lines.Add(Messages.VmacSysctlFailed(InterfaceSysctl.PathOf(child.ParentName, setting), value, why));
            }
        }
        return true;
    }

    static void Write(ILog? log, IReadOnlyList<string> failures, string name)
    {
        foreach (string line in failures)
        {
            log?.Write(LogLevel.Error, line);
        }
        if (failures.Count == 0)
        {
            log?.Write(LogLevel.Info, Messages.VmacRemoved(name));
        }
    }

    /// <summary>
    /// The parent's first child: it stops answering ARP for addresses that are not its own.
    /// Its values from before are read once in the daemon's life, so a child made while the
    /// last one's removal is still queued cannot take the daemon's own 1s for them.
    /// </summary>
    void QuietParent(string parent, string child, List<(LogLevel Level, string Line)> lines)
    {
        if (_parents.TryGetValue(parent, out int children))
        {
            _parents[parent] = children + 1;
            return;
        }
        _parents[parent] = 1;
        if (!_originals.ContainsKey(parent))
        {
            // Another process's child there already set them (or will put back its own): what
            // is read now is not what the administrator had, and nothing is put back for it.
            _originals[parent] = MacvlanLinks.HasVirtualMacChild(parent, except: child) == true
                ? Array.ConvertAll(ParentSettings, s => (s, (string?)null))
                : Array.ConvertAll(ParentSettings, s => (s, InterfaceSysctl.TryRead(parent, s)));
        }
        foreach (string setting in ParentSettings)
        {
            if (InterfaceSysctl.TryWrite(parent, setting, "1") is string why)
            {
                lines.Add((LogLevel.Warning, Messages.VmacSysctlFailed(InterfaceSysctl.PathOf(parent, setting), "1", why)));
            }
        }
    }

    /// <summary>A child of the parent goes: with the last, the settings to put back.</summary>
    List<(string Setting, string Value)> LeaveParent(string parent)
    {
        if (!_parents.TryGetValue(parent, out int children))
        {
            return [];
        }
        if (children > 1)
        {
            _parents[parent] = children - 1;
            return [];
        }
        _parents.Remove(parent);
        var restore = new List<(string Setting, string Value)>();
        foreach ((string setting, string? value) in _originals[parent])
        {
            if (value is not null)
            {
                restore.Add((setting, value));
            }
        }
        return restore;
    }
}
