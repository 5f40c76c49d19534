using Ucarp.Control;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;
using Ucarp.Etcd;
using Ucarp.Linux;
using Ucarp.Loop;
using Ucarp.Monitoring;
using Ucarp.Net;
using Ucarp.Processes;

namespace Ucarp.Daemon;

/// <summary>
/// The daemon put together, for one group (a plain command line) or every group of a
/// config file: the group set and the loop's sources over it, in the order each pass
/// dispatches them. Inputs come before the timers they may move (an advert that arrives
/// with the master-down deadline is read first), then observers, then what the pass made
/// due and the end of the daemon.
/// </summary>
internal sealed class DaemonLoop : IDisposable
{
    readonly EventLoop _loop;
    readonly GroupSet _groups;
    readonly GroupReload _reload;
    readonly ControlHandler _control;
    readonly AddressWatcher _addresses;
    readonly LinkWatcher _links;
    readonly DemotionStore? _demotions;
    StatusPublisher? _publisher;

    public DaemonLoop(Logger log, DaemonOptions options, bool many, HostInterfaces interfaces, SignalRelay signals, IReadOnlyList<string> environment,
                      string startDirectory = "/")
    {
        _loop = new EventLoop(log);
        _groups = new GroupSet(log, many, interfaces, environment, new EtcdSessions(log));
        // An exception out of a source: every group stops and lets its address go, then the daemon ends.
        _loop.Faulted = now => _groups.StopAll(now, releaseAddresses: true);
        // What a source that does not say which groups it ran did may move any group's deadlines.
        _loop.OthersWoke = _groups.Clock.TouchAll;
        _reload = new GroupReload(_groups, options.ConfigFile, startDirectory);
        if (options.DemotionFile is string kept)
        {
            _demotions = new DemotionStore(kept, log);
            _groups.Kept = _demotions.Read();
            if (_groups.Kept.All || _groups.Kept.Names.Count > 0)
            {
                log.Write(LogLevel.Notice, Messages.DemotionsKept(kept, _groups.Kept.All
                    ? "--all" + (_groups.Kept.Names.Count > 0 ? " but " + string.Join(" ", _groups.Kept.SortedNames()) : "")
                    : string.Join(" ", _groups.Kept.SortedNames())));
            }
        }
        _control = new ControlHandler(_groups, _reload, _demotions);
        _loop.Add(new InterfaceInput(_groups));
        _loop.Add(new EtcdInput(_groups));
        _loop.Add(_addresses = new AddressWatcher(_groups));
        // Address changes made on their own thread, told back: a follower goes on, a put-back is announced.
        _loop.Add(_groups.Addresses);
        _loop.Add(new SignalFanOut(_groups, signals, _reload));
        _loop.Add(new ChildReaper(_groups));
        _loop.Add(new GroupTimers(_groups));
        _loop.Add(_control);
        _loop.Add(_reload);
        _loop.Add(new GroupObservers(_groups, () => _publisher));
        // Last, just before the wait: what the pass made due (a script ended, a group
        // stopped) goes now, and the daemon ends as soon as its groups are done.
        _loop.Add(new GroupLifecycle(_groups, _loop));
        _loop.Add(_links = new LinkWatcher(_groups));
        _loop.Add(new ControlWatch(_control));
        if (many)
        {
            _loop.Add(new MemoryTrim(_groups));
        }
    }

    public IReadOnlyList<GroupRuntime> Groups => _groups.Running;

    /// <summary>What ucarpctl's socket asks of the daemon.</summary>
    public IControlHandler Control => _control;

    /// <inheritdoc cref="GroupSet.StartAll"/>
    public int StartAll(IReadOnlyList<GroupOptions> groups, Func<GroupOptions, string?> etcdPassword, bool probeEtcd, long now) =>
        _groups.StartAll(groups, etcdPassword, probeEtcd, now);

    /// <summary>Monitoring of every group; set once before <see cref="Run"/>.</summary>
    public void Attach(StatusPublisher publisher)
    {
        _publisher = publisher;
        _groups.Attach(publisher);
        _reload.Reloading = publisher.Reloading;
    }

    /// <summary>ucarpctl's socket, served by this loop; set once before <see cref="Run"/>, disposed with the loop.</summary>
    public void Attach(ControlServer control) => _control.Attach(control);

    /// <summary>Runs until the daemon should exit; returns the exit status.</summary>
    public int Run() => _loop.Run();

    public void Dispose()
    {
        _groups.Dispose();
        _control.Dispose();
        _addresses.Dispose();
        _links.Dispose();
        _reload.Dispose();
        _groups.Etcd.Dispose();
        _publisher?.Dispose();
        // A demote answered just before the end is on disk before the process goes.
        _demotions?.Finish(TimeSpan.FromSeconds(2));
    }
}
