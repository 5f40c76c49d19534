using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Daemon;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Net;

/// <summary>
/// --manage-addresses kept true to the kernel, whoever else touches the interface: the
/// kernel's address notifications are read, and an address of a group removed by another
/// program (`ip addr flush`, systemd-networkd or NetworkManager restarting) while the
/// group is MASTER is put back at once and every address announced again; one that
/// appears while the group is not MASTER (and nothing of its own is under way) is removed.
/// Each is logged. Only a group's own addresses, with the prefix the daemon gives them
/// (/32, /128), are looked at: an administrator's address is never touched. Opened with
/// the first group that manages addresses; a daemon without one has no such socket.
/// </summary>
internal sealed class AddressWatcher(GroupSet groups) : ILoopSource, ITouchesItsGroups, IDisposable
{
    readonly ManagedAddressIndex _managers = new(groups);
    readonly List<AddressChange> _changes = [];
    // Changes seen while the group's own step was under way, settled once it is over: the
    // step may already have changed that address (its removal done, its end not yet back on
    // this thread), so leaving it to the step could leave another program's address in place.
    readonly List<(GroupRuntime Group, IpAddress Address)> _deferred = [];
    AddressNotifications? _socket;
    bool _failed;
    int _seenGeneration = -1;
    int _index = -1;

    public void AddTo(PollSet set, long now)
    {
        _index = -1;
        if (groups.Stopping)
        {
            return;
        }
        if (_socket is null && !_failed && groups.Generation != _seenGeneration)
        {
            // Looked at again only when the groups change (a start, a reload), not every pass.
            _seenGeneration = groups.Generation;
            if (groups.Running.Exists(g => g.Config.ManageAddresses) && Open())
            {
                // The groups started before the socket was open: what changed meanwhile is in no notification.
                SettleAll();
            }
        }
        if (_socket is not null)
        {
            _index = set.Add(_socket.Fd);
            _managers.Refresh();
        }
    }

    bool Open()
    {
        if (!AddressNotifications.TryOpen(out _socket, out Interop.SysError error))
        {
            _failed = true;
            groups.Log.Write(LogLevel.Error, Messages.AddressWatchFailed(error.Text));
            return false;
        }
        return true;
    }

    // Not while the daemon stops: Dispatch then settles nothing, and "now" would spin the loop.
    public long? NextDeadline(long now) =>
        !groups.Stopping && !groups.Dying && _deferred.Exists(d => d.Group.Stopping || !Busy(d.Group)) ? now : null;

    public void Dispatch(PollSet set, long now)
    {
        // Dying: the --vmac children (and their addresses) go because the daemon does.
        if (groups.Stopping || groups.Dying)
        {
            return;
        }
        SettleDeferred();
        if (_socket is null || !set.Readable(_index))
        {
            return;
        }
        _socket.Read(_changes, out bool lost);
        foreach (AddressChange change in _changes)
        {
            Settle(change);
        }
        if (lost)
        {
            groups.Log.Write(LogLevel.Warning, Messages.AddressNotificationsLost);
            SettleAll();
        }
    }

    void Settle(AddressChange change)
    {
        if (change.PrefixLength != (change.Address.IsV6 ? 128 : 32))
        {
            return;   // not as the daemon adds it: someone's own address
        }
        if (_managers.Find(change.Address, change.Index) is GroupRuntime g)
        {
            Act(g, change.Address, ManagedAddressRule.OnChange(change.Added, Master(g), g.Follower));
        }
    }

    /// <summary>The kernel's notifications were lost: every managed address is made what its group's role says.</summary>
    void SettleAll()
    {
        foreach (GroupRuntime g in groups.Running)
        {
            if (!g.Stopping && g.Config.ManageAddresses)
            {
                foreach (IpAddress address in g.Config.Addresses())
                {
                    Act(g, address, ManagedAddressRule.Settle(Master(g), g.Follower));
                }
            }
        }
    }

    /// <summary>What waited for a group's own step, settled now that the step is over (or dropped with its group).</summary>
    void SettleDeferred()
    {
        for (int i = _deferred.Count - 1; i >= 0; i--)
        {
            (GroupRuntime g, IpAddress address) = _deferred[i];
            if (g.Stopping || !groups.Running.Contains(g))
            {
                _deferred.RemoveAt(i);
            }
            else if (!Busy(g))
            {
                _deferred.RemoveAt(i);
                Act(g, address, ManagedAddressRule.Settle(Master(g), g.Follower));
            }
        }
    }

    static bool Master(GroupRuntime g) => g.Gate.State == CarpState.Master;

    static bool Busy(GroupRuntime g) => ManagedAddressRule.Busy(Master(g), g.Follower);

    /// <summary>
    /// What <see cref="ManagedAddressRule"/> says for the address, done: made what the
    /// group's role says (off the protocol's thread: the <see cref="AddressChanger"/>),
    /// logged when that changed anything, and announced again when it was put back and
    /// the group is still MASTER; or, while a step of the group's own is under way,
    /// deferred until it is over.
    /// </summary>
    void Act(GroupRuntime g, IpAddress address, ManagedAddressAction action)
    {
        if (action == ManagedAddressAction.None)
        {
            return;
        }
        // The group's code may run now (a change made on this thread when no address
        // thread could be had tells it at once): the group clock looks at it again. The
        // watcher touches only the groups it acts for, so its notifications (thousands as a
        // backup takes over) do not make the clock look at every group.
        g.Touch();
        if (action == ManagedAddressAction.Wait)
        {
            if (!_deferred.Contains((g, address)))
            {
                _deferred.Add((g, address));
            }
        }
        else if (action == ManagedAddressAction.PutBack)
        {
            g.Output.ChangeAddress(address, add: true, changed =>
            {
                if (changed)
                {
                    g.Log.Write(LogLevel.Warning, Messages.AddressPutBack(address.ToString(), g.Interface.Name));
                    if (!g.Stopping && Master(g))
                    {
                        g.Machine.AnnounceAgain();
                    }
                }
            });
        }
        else
        {
            g.Output.ChangeAddress(address, add: false, changed =>
            {
                if (changed)
                {
                    g.Log.Write(LogLevel.Warning, Messages.AddressTakenAway(address.ToString(), g.Interface.Name));
                }
            });
        }
    }

    public void Dispose() => _socket?.Dispose();
}
