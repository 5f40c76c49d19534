using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>The --vmac child a group of the file needs, as its options name it; <see cref="Source"/>: an IPv6 group's -s.</summary>
internal sealed record VmacWanted(string Name, string Parent, byte[] Mac, IpAddress? Source, string Group)
{
    public static VmacWanted? Of(GroupOptions options)
    {
        Configuration config = options.Settings;
        // An IPv6 group's child takes its link-local address from -s (VmacOptions.LinkLocal).
        return config.Vmac
            ? new(config.VmacInterface!, config.Interface!, VmacOptions.Mac(config.Vhid, config.VirtualAddress.IsV6),
                  config.VirtualAddress.IsV6 ? config.SourceAddress : null, options.Name)
            : null;
    }
}

// Children made ahead of their groups, once the loop runs: a reload's new groups and a held
// group's retry. Making one is up to six rtnetlink requests (each waits up to a second, and
// longer for the kernel's rtnl_lock), so it is done on the address thread, where it also
// keeps its order after a removal asked before it (a group a reload replaces lets go of the
// same name). The group then takes the child ready-made (Acquire), with the lines its making
// had to say; what no group took is removed again (Sweep).
internal sealed partial class VirtualMacs
{
    /// <summary>Children that could not be made ahead: the lines why, told to the group that asks for it.</summary>
    readonly Dictionary<string, (object Ticket, List<(LogLevel Level, string Line)> Lines)> _failed = new(StringComparer.Ordinal);

    /// <summary>No child of that name is this daemon's, and none failed to be made ahead (its group has yet to hear why).</summary>
    public bool ToMake(string name)
    {
        lock (_gate)
        {
            return !_children.ContainsKey(name) && !_failed.ContainsKey(name);
        }
    }

    /// <summary>Makes the children not made yet on <paramref name="thread"/>; <paramref name="done"/> then runs on the loop's thread.</summary>
    public void Prepare(IReadOnlyList<VmacWanted> wanted, object ticket, Net.AddressChanger thread, Action done)
    {
        bool Work(List<string> _)
        {
            MakeAhead(wanted, ticket);
            return true;
        }
        if (!thread.TryPost(Work, _ => done()))
        {
            // No thread to be had: made here, slow but not lost.
            Work([]);
            done();
        }
    }

    /// <summary>
    /// The same, from a thread that may wait for it (a reload's worker): back once they are
    /// made, or after <paramref name="timeout"/> (a group whose child is not made by then is
    /// held back and tried again).
    /// </summary>
    public void PrepareAndWait(IReadOnlyList<VmacWanted> wanted, object ticket, Net.AddressChanger thread, TimeSpan timeout)
    {
        if (wanted.Count == 0)
        {
            return;
        }
        // Not disposed: a job that outlives the wait still sets it.
        var made = new ManualResetEventSlim();
        bool Work(List<string> _)
        {
            MakeAhead(wanted, ticket);
            made.Set();
            return true;
        }
        if (!thread.TryPost(Work, static _ => { }))
        {
            Work([]);
            return;
        }
        made.Wait(timeout);
    }

    void MakeAhead(IReadOnlyList<VmacWanted> wanted, object ticket)
    {
        foreach (VmacWanted w in wanted)
        {
            lock (_gate)
            {
                if (Ending || _children.ContainsKey(w.Name))
                {
                    continue;
                }
                _failed.Remove(w.Name);
            }
            var lines = new List<(LogLevel Level, string Line)>();
            VmacChild? child = null;
            if (MacvlanLinks.Find(w.Parent, out string? missing) is not Core.Vmac.LinkFacts parent)
            {
                lines.Add((LogLevel.Error, Messages.VmacCreateFailed(w.Name, w.Parent, missing!)));
            }
            else
            {
                IpAddress? linkLocal = w.Source is IpAddress v6 ? VmacOptions.LinkLocal(v6, parent.Mac ?? new byte[6]) : null;
                child = Make(w.Name, parent.Index, w.Parent, w.Mac, linkLocal, w.Group, lines);
            }
            lock (_gate)
            {
                if (child is null)
                {
                    _failed[w.Name] = (ticket, lines);
                    continue;
                }
                child.Ticket = ticket;
                child.Untold = lines;
                if (Ending)
                {
                    // The daemon ended while it was being made: nothing will take it.
                    child.Users = 1;
                    Release(child, null);
                }
            }
        }
    }

    /// <summary>
    /// What <paramref name="ticket"/>'s preparation made and no group took (the reload was
    /// refused, the group held back for another reason) is removed, its lines told first.
    /// </summary>
    public void Sweep(object ticket, ILog log, Net.AddressChanger thread)
    {
        lock (_gate)
        {
            foreach (VmacChild child in new List<VmacChild>(_children.Values))
            {
                if (child.Users == 0 && child.Ticket == ticket)
                {
                    Tell(log, child.Untold);
                    child.Users = 1;
                    Release(child, log, thread);
                }
            }
            foreach (string name in new List<string>(_failed.Keys))
            {
                if (_failed[name].Ticket == ticket)
                {
                    _failed.Remove(name);
                }
            }
        }
    }
}
