using Ucarp.Daemon;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Net;

/// <summary>
/// Four times a second, every interface's flags: a lost one (gone, or taken down: ucarp's
/// capture reports an error and it ends) stops its groups; otherwise carrier loss and
/// return are fanned out to the groups without -S. Then the groups held back (--config)
/// whose interface is usable again start. What it does to groups goes through their gates
/// or changes the set of groups, both of which the group clock hears of.
/// </summary>
internal sealed class LinkWatcher(GroupSet groups) : ILoopSource, ITouchesItsGroups
{
    const long CheckInterval = 250_000;   // µs: the link's return is noticed well within a second

    readonly List<InterfaceEntry> _scratch = [];
    long _nextCheck;

    public void AddTo(PollSet set, long now) { }

    public long? NextDeadline(long now) => groups.Stopping ? null : _nextCheck;

    public void Dispatch(PollSet set, long now)
    {
        if (groups.Stopping || now < _nextCheck)
        {
            return;
        }
        _nextCheck = now + CheckInterval;
        // A copy of the (few) entries, since a lost interface changes the set.
        _scratch.Clear();
        _scratch.AddRange(groups.Interfaces.Entries);
        foreach (InterfaceEntry entry in _scratch)
        {
            // Flags that cannot be read: the device is gone.
            if (!InterfaceInfo.TryFlags(groups.Interfaces.Control, entry.NameBytes, out short flags) || (flags & Libc.IFF_UP) == 0)
            {
                groups.LoseInterface(entry, Libc.POLLERR, now);
                continue;
            }
            bool running = (flags & Libc.IFF_RUNNING) != 0;
            if (running == !entry.LinkDown)
            {
                continue;
            }
            entry.LinkDown = !running;
            foreach (GroupRuntime g in groups.Running)
            {
                if (g.Interface != entry || g.Config.IgnoreInterfaceState || g.Stopping)
                {
                    continue;
                }
                if (running)
                {
                    g.Gate.LinkUp(now);
                }
                else
                {
                    g.Gate.LinkDown(now);
                }
            }
        }
        groups.RetryHeld(now);
    }
}
