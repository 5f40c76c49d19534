using Ucarp.Daemon;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Net;

/// <summary>
/// Every interface's flags, looked at when the kernel says a link changed (rtnetlink's
/// link notifications) and at least every 5 s behind them; four times a second while
/// groups are held back (--config: they start once their interface is usable, which may
/// take an address as much as a link) or when the notifications cannot be had. A lost
/// interface (gone, or taken down: ucarp's capture reports an error and it ends) stops its
/// groups; otherwise carrier loss and return are fanned out to the groups without -S.
/// Then the groups held back start if they can. What it does to groups goes through their
/// gates or changes the set of groups, both of which the group clock hears of.
/// A poll alone woke an idle backup four times a second for nothing: of the 5-6 wake-ups
/// a second of a 255-group backup, four were this poll (docs/benchmarks.md, many groups).
/// </summary>
internal sealed class LinkWatcher(GroupSet groups) : ILoopSource, ITouchesItsGroups, IDisposable
{
    const long CheckInterval = 250_000;     // µs: held groups, or no notifications: a link's return noticed well within a second
    const long QuietInterval = 5_000_000;   // µs: behind the notifications, in case one is ever missed

    readonly List<InterfaceEntry> _scratch = [];
    LinkNotifications? _notifications;
    bool _unavailable;
    int _index = -1;
    long _lastCheck = long.MinValue / 2;

    public void AddTo(PollSet set, long now)
    {
        _index = -1;
        if (groups.Stopping)
        {
            return;
        }
        if (_notifications is null && !_unavailable)
        {
            _notifications = LinkNotifications.TryOpen();
            _unavailable = _notifications is null;
        }
        if (_notifications is not null)
        {
            _index = set.Add(_notifications.Fd);
        }
    }

    long Due => _lastCheck + (_notifications is not null && groups.Held.Count == 0 ? QuietInterval : CheckInterval);

    public long? NextDeadline(long now) => groups.Stopping ? null : Due;

    public void Dispatch(PollSet set, long now)
    {
        if (groups.Stopping)
        {
            return;
        }
        bool told = _notifications is not null && set.Readable(_index) && _notifications.Drain();
        if (!told && now < Due)
        {
            return;
        }
        _lastCheck = now;
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

    public void Dispose() => _notifications?.Dispose();
}
