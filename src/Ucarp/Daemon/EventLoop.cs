using Ucarp.Core.Carp;
using Ucarp.Core.Config;
using Ucarp.Core.Election;
using Ucarp.Core.Follow;
using Ucarp.Core.Groups;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Monitoring;

namespace Ucarp.Daemon;

/// <summary>
/// The daemon's one thread, for one group (a plain command line) or every group of a
/// config file. It sleeps in ppoll until the earliest deadline of any group, a frame, a
/// signal, a script's or check's exit, an etcd reply or a control request, whichever
/// comes first, so adverts and master-down fire on time (ucarp sleeps a whole advert
/// interval in BACKUP and checks the deadline only when it wakes, which makes its
/// failover up to a second late). A wake-up costs a pass over the groups: a few
/// instructions each, so 255 groups are still cheap.
/// </summary>
internal sealed partial class EventLoop : IDisposable
{
    const long LinkCheckInterval = 250_000;   // µs: the link's return is noticed well within a second
    const int FramesPerWakeup = 512;          // about 1.5 ms of work; then timers get their turn
    // Frames arriving back to back (a flood, or 255 masters' adverts) are left to pile up for
    // this long and then read in one go: one wake-up per millisecond instead of one per
    // frame. Handling an advert up to 1 ms later changes nothing even at -b 0 -k 3 (12 ms
    // adverts, 35 ms master-down); timers fire meanwhile, and lone adverts never start a window.
    const long CoalesceWindow = 1_000;        // µs
    const long StoppingPoll = 50_000;         // µs between looks at scripts while stopping

    readonly Logger _log;
    readonly DaemonOptions _options;
    readonly bool _many;                      // --config: many groups, named in the log
    readonly HostInterfaces _interfaces;
    readonly MulticastMemberships _memberships = new();
    readonly SignalRelay _signals;
    readonly IReadOnlyList<string> _environment;
    readonly List<GroupRuntime> _groups = [];      // running, in the file's order
    readonly List<GroupRuntime> _leaving = [];     // stopped (reload, interface gone), finishing their scripts
    readonly List<GroupRuntime> _waiting = [];     // prepared by a reload, started once what they replace has left
    readonly SyncCoordinator _sync;
    readonly Etcd.EtcdSessions _etcd;
    bool _hasSync;
    StatusPublisher? _publisher;
    PollFd[] _fds = new PollFd[64];
    readonly List<InterfaceEntry> _entryScratch = [];
    bool _stopping;
    long _nextLinkCheck;

    public EventLoop(Logger log, DaemonOptions options, bool many, HostInterfaces interfaces, SignalRelay signals, IReadOnlyList<string> environment)
    {
        _log = log;
        _options = options;
        _many = many;
        _interfaces = interfaces;
        _signals = signals;
        _environment = environment;
        _etcd = new Etcd.EtcdSessions(log);
        _sync = new SyncCoordinator((group, line) => (_groups.Find(g => g.Name == group)?.Log ?? LogFor(group)).Write(LogLevel.Warning, line));
    }

    public IReadOnlyList<GroupRuntime> Groups => _groups;

    /// <summary>The log a group writes to: the daemon's own on a plain command line, else one that names the group.</summary>
    public ILog LogFor(string group) => _many ? new GroupLog(_log, group) : _log;

    /// <summary>Runs until the daemon should exit; returns the exit status.</summary>
    public unsafe int Run()
    {
        while (true)
        {
            long now = MonotonicClock.NowMicroseconds;
            for (int i = 0; i < GroupCount; i++)
            {
                // What waited for a hung script (a bow-out, a release) goes at its deadline.
                RoleFollower follower = GroupAt(i).Follower;
                if (follower.NextDeadline <= now)
                {
                    follower.OnTimer(now);
                }
            }
            foreach (Etcd.SharedEtcd s in _etcd.All)
            {
                s.SendAfterScriptsIfDue(now);
            }
            FinishLeaving(now);
            _etcd.Collect(now);
            if (_stopping)
            {
                // Shutting down: only the scripts, the bow-outs and the leases' revokes
                // still matter (the revokes for at most a couple of seconds: etcd may be gone).
                if (_groups.All(g => g.Finished(now)) && _leaving.Count == 0)
                {
                    return 0;
                }
            }
            else if (now >= _nextLinkCheck)
            {
                _nextLinkCheck = now + LinkCheckInterval;
                if (CheckInterfaces(Libc.POLLERR, now))
                {
                    continue;
                }
            }

            long wake = Wake(now);
            int count = BuildPollSet(now);
            long wait = Math.Max(0, wake - now);
            var timeout = new TimeSpec { Seconds = wait / 1_000_000, Nanoseconds = wait % 1_000_000 * 1000 };
            int ready;
            fixed (PollFd* fds = _fds)
            {
                ready = Libc.PPoll(fds, (ulong)count, &timeout, null);
            }
            if (ready < 0 && Libc.LastErrno != Libc.EINTR)
            {
                _log.Write(LogLevel.Error, Messages.PollError(Libc.StrError(Libc.LastErrno)));
            }
            now = MonotonicClock.NowMicroseconds;
            if (ready < 0)
            {
                ClearRevents(count);
            }

            if (!_stopping && SocketErrors(now))
            {
                continue;
            }
            foreach (Etcd.SharedEtcd s in _etcd.All)
            {
                s.TakeReplies(now);
            }
            for (int i = 0; i < GroupCount; i++)
            {
                GroupRuntime g = GroupAt(i);
                if (g.OwnEtcd is not null)
                {
                    while (g.OwnEtcd.TryTake(out Core.Etcd.EtcdReply reply))
                    {
                        g.OwnReplies!.OnReply(reply, now);
                    }
                }
            }
            if (!_stopping)
            {
                ReadAllFrames(now);
            }
            if (_signals.PollIndex >= 0 && (_fds[_signals.PollIndex].REvents & Libc.POLLIN) != 0)
            {
                _signals.Drain();
                HandleSignals(now);
            }
            for (int i = 0; i < GroupCount; i++)
            {
                GroupRuntime g = GroupAt(i);
                if (Readable(g.ScriptPoll) || g.Scripts.NeedsPolling)
                {
                    g.ReapScript();
                }
            }
            foreach (GroupRuntime g in _groups)   // List<T>'s enumerator is a struct: no allocation
            {
                if (!g.Stopping && g.Health is HealthCheckRunner health)
                {
                    RunHealthCheck(g, health, now, Readable(g.HealthPoll));
                }
            }
            foreach (Etcd.SharedEtcd s in _etcd.All)
            {
                if (s.Session.NextDeadline <= now)
                {
                    s.Session.OnTimer(now);
                }
            }
            foreach (GroupRuntime g in _groups)
            {
                if (!g.Stopping && g.Gate.NextDeadline <= now)
                {
                    g.Gate.OnTimer(now);
                }
            }
            ServeControl(now);
            TakeReload(now);
            // Last, so ucarpctl's demote and a reload are acted on in this wake-up, and
            // before the next deadline is computed: a mate's step-down changes it.
            if (_hasSync && !_stopping)
            {
                _sync.Observe(now);
            }
            NoteStateChanges();
            _publisher?.Tick(now);
        }
    }

    // The running groups, then the leaving ones: indexed, so a wake-up allocates nothing.
    int GroupCount => _groups.Count + _leaving.Count;
    GroupRuntime GroupAt(int i) => i < _groups.Count ? _groups[i] : _leaving[i - _groups.Count];

    bool Readable(int index) => index >= 0 && (_fds[index].REvents & Libc.POLLIN) != 0;

    void ClearRevents(int count)
    {
        for (int i = 0; i < count; i++)
        {
            _fds[i].REvents = 0;
        }
    }

    /// <summary>The earliest moment anything is due: timers, checks, bow-outs, deferred requests, monitoring, the link check.</summary>
    long Wake(long now)
    {
        long wake = _stopping ? now + StoppingPoll : _nextLinkCheck;
        for (int i = 0; i < GroupCount; i++)
        {
            GroupRuntime g = GroupAt(i);
            if (!g.Stopping && !_stopping && g.Gate.NextDeadline is long due && due < wake)
            {
                wake = due;
            }
            if (g.Scripts.NeedsPolling || g.Health?.NeedsPolling == true || (g.Stopping && !g.Finished(now)))
            {
                wake = Math.Min(wake, now + StoppingPoll);
            }
            if (g.Follower.NextDeadline is long afterScripts)
            {
                wake = Math.Min(wake, afterScripts);
            }
            if (!g.Stopping && !_stopping && g.Health?.NextDeadline is long check)
            {
                wake = Math.Min(wake, check);
            }
        }
        foreach (Etcd.SharedEtcd s in _etcd.All)
        {
            if (!_stopping && s.Session.NextDeadline is long due && due < wake)
            {
                wake = due;
            }
            if (s.DeferredDeadline is long deferred)
            {
                wake = Math.Min(wake, deferred);
            }
        }
        if (_publisher?.NextDeadline is long publish)
        {
            wake = Math.Min(wake, publish);
        }
        if (ControlDeadline() is long control)
        {
            wake = Math.Min(wake, control);
        }
        foreach (InterfaceSocket socket in _interfaces.Sockets)
        {
            if (now < socket.CoalesceUntil && socket.CoalesceUntil < wake)
            {
                wake = socket.CoalesceUntil;
            }
        }
        return wake;
    }

    /// <summary>Every descriptor worth waking for, with each owner's index noted.</summary>
    int BuildPollSet(long now)
    {
        int count = 0;
        foreach (InterfaceSocket socket in _interfaces.Sockets)
        {
            // A socket rests while frames pile up (its coalescing window).
            bool coalescing = now < socket.CoalesceUntil;
            // A socket none of whose groups listens (they are stopping) is not polled: an
            // interface that is gone would keep reporting its error.
            socket.PollIndex = _stopping || coalescing || !socket.Listening ? -1 : Add(ref count, socket.Socket.Fd);
        }
        _signals.PollIndex = Add(ref count, _signals.Fd);
        for (int i = 0; i < GroupCount; i++)
        {
            GroupRuntime g = GroupAt(i);
            // Script and check exits: readable descriptors only wake the loop, each is reaped after.
            g.ScriptPoll = g.Scripts.ExitFd >= 0 ? Add(ref count, g.Scripts.ExitFd) : -1;
            g.HealthPoll = g.Health?.ExitFd is int h and >= 0 ? Add(ref count, h) : -1;
            if (g.OwnEtcd is not null)
            {
                Add(ref count, g.OwnEtcd.WakeFd);
            }
        }
        foreach (Etcd.SharedEtcd s in _etcd.All)
        {
            Add(ref count, s.Client.WakeFd);   // its replies are taken on every wake-up
        }
        AddControlFds(ref count);
        return count;
    }

    int Add(ref int count, int fd, short events = Libc.POLLIN)
    {
        if (count == _fds.Length)
        {
            Array.Resize(ref _fds, _fds.Length * 2);
        }
        _fds[count] = new PollFd { Fd = fd, Events = events };
        return count++;
    }

    /// <summary>Reads the waiting frames of every socket that has some (or whose window is over) and hands each to its group.</summary>
    void ReadAllFrames(long now)
    {
        foreach (InterfaceSocket socket in _interfaces.Sockets)
        {
            bool framesWaiting = socket.PollIndex >= 0 && (_fds[socket.PollIndex].REvents & Libc.POLLIN) != 0;
            bool windowOver = socket.CoalesceUntil != 0 && now >= socket.CoalesceUntil && socket.PollIndex < 0;
            if (!framesWaiting && !windowOver)
            {
                continue;
            }
            socket.CoalesceUntil = 0;
            if (ReadFrames(socket, now) > 0)
            {
                if (now - socket.LastFrames < CoalesceWindow)
                {
                    socket.CoalesceUntil = now + CoalesceWindow;
                }
                socket.LastFrames = now;
            }
        }
    }

    /// <summary>Reads and routes the waiting frames, at most <see cref="FramesPerWakeup"/>; returns how many.</summary>
    static int ReadFrames(InterfaceSocket socket, long now)
    {
        int read = 0;
        while (read < FramesPerWakeup)
        {
            int count = socket.Socket.ReceiveBatch();
            if (count <= 0)
            {
                return read;
            }
            for (int i = 0; i < count; i++)
            {
                // pcap captured at most ETHERNET_MTU (1500) bytes of a frame.
                ReadOnlySpan<byte> frame = socket.Socket.Frame(i);
                frame = frame[..Math.Min(frame.Length, 1500)];
                if (socket.Route(frame) is GroupRuntime { Stopping: false, Frames: IFrameInput election })
                {
                    election.OnFrame(frame, now);
                }
            }
            read += count;
        }
        return read;
    }

    /// <summary>Reaps a finished check, starts or kills one when due, and tells the election what a result changed.</summary>
    static void RunHealthCheck(GroupRuntime g, HealthCheckRunner health, long now, bool exited)
    {
        if (exited || health.NeedsPolling)
        {
            Apply(g, health, health.TryReap(now), now);
        }
        if (health.NextDeadline <= now)
        {
            Apply(g, health, health.OnTimer(now), now);
        }
    }

    static void Apply(GroupRuntime g, HealthCheckRunner health, Core.Health.HealthVerdict? verdict, long now)
    {
        if (verdict is Core.Health.HealthVerdict v)
        {
            health.Policy.Apply(v, g.Gate, now);
        }
    }

    void HandleSignals(long now)
    {
        if (_signals.TakeUsr1())
        {
            foreach (GroupRuntime g in _groups)
            {
                g.Gate.ReportStatus();
            }
            if (_many)
            {
                foreach (InterfaceSocket socket in _interfaces.Sockets)
                {
                    _log.Write(LogLevel.Info, Messages.UnknownAdverts(socket.Owner.Name, socket.IsV6 ? "IPv6" : "IPv4", socket.Unknown));
                }
            }
        }
        if (_signals.TakeUsr2() && !_stopping)
        {
            foreach (GroupRuntime g in _groups)
            {
                g.Gate.Demote(now);
            }
        }
        if (_signals.TakeHangup() && !_stopping)
        {
            StartReload(null, now);
        }
        if (_signals.TakeExit() && !_stopping)
        {
            _stopping = true;
            // First: the groups then leave their keys to the lease's revoke, one request for all.
            _etcd.StopAll(now);
            foreach (GroupRuntime g in _groups)
            {
                // -z is each group's: with it, the downscript when not BACKUP; without, the
                // group simply ends with the daemon (ucarp without -z dies at once).
                g.Stop(now, runDownscript: g.Config.ShutdownAtExit);
            }
        }
    }

    /// <summary>
    /// Looks at every interface: a lost one (gone, or taken down: ucarp's capture reports an
    /// error and it ends) stops its groups; otherwise carrier loss and return are fanned out
    /// to the groups without -S. True when the daemon is now stopping.
    /// </summary>
    bool CheckInterfaces(short revents, long now)
    {
        // Four times a second: a copy of the (few) entries, since a lost interface changes the set.
        _entryScratch.Clear();
        _entryScratch.AddRange(_interfaces.Entries);
        foreach (InterfaceEntry entry in _entryScratch)
        {
            // Flags that cannot be read: the device is gone.
            if (!InterfaceInfo.TryFlags(_interfaces.Control, entry.NameBytes, out short flags) || (flags & Libc.IFF_UP) == 0)
            {
                LoseInterface(entry, revents, now);
                continue;
            }
            bool running = (flags & Libc.IFF_RUNNING) != 0;
            if (running == !entry.LinkDown)
            {
                continue;
            }
            entry.LinkDown = !running;
            foreach (GroupRuntime g in _groups)
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
        return _stopping;
    }

    /// <summary>A socket reported an error: the interface may be gone (the same end as the periodic check's). True when stopping.</summary>
    unsafe bool SocketErrors(long now)
    {
        List<InterfaceSocket> sockets = _interfaces.Sockets;
        for (int i = 0; i < sockets.Count; i++)
        {
            InterfaceSocket socket = sockets[i];
            if (socket.PollIndex < 0 || (_fds[socket.PollIndex].REvents & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) == 0)
            {
                continue;
            }
            int error = 0;
            uint length = sizeof(int);
            Libc.GetSockOpt(socket.Socket.Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length);
            InterfaceEntry entry = socket.Owner;
            if (!InterfaceInfo.TryFlags(_interfaces.Control, entry.NameBytes, out short flags) || (flags & Libc.IFF_UP) == 0)
            {
                // Its groups are told (once: they stop listening, so the socket is not polled again).
                LoseInterface(entry, _fds[socket.PollIndex].REvents, now);
            }
        }
        return _stopping;
    }

    /// <summary>
    /// The interface is gone: each of its groups gets ucarp's ERROR line and, under -z when
    /// not BACKUP, its downscript. A plain command line then ends (exit 0, as ucarp); with
    /// --config the other groups carry on, and the daemon ends with its last group.
    /// </summary>
    void LoseInterface(InterfaceEntry entry, short revents, long now)
    {
        List<GroupRuntime> lost = _groups.Where(g => g.Interface == entry && !g.Stopping).ToList();
        if (lost.Count == 0)
        {
            return;   // its groups were told already (they are finishing)
        }
        foreach (GroupRuntime g in lost)
        {
            // Nothing can be sent on a vanished device: a waiting bow-out is dropped.
            g.Follower.CancelBowOut();
            g.Gate.InterfaceLost(revents, g.Config.ShutdownAtExit, now);
            g.MarkStopped(now);
            if (_many)
            {
                _groups.Remove(g);
                _leaving.Add(g);
            }
        }
        if (!_many || _groups.Count == 0)
        {
            _stopping = true;
        }
        else
        {
            GroupsChanged(now);
        }
    }

    /// <summary>Remembers when each group's state changed, for ucarpctl status.</summary>
    void NoteStateChanges()
    {
        foreach (GroupRuntime g in _groups)
        {
            if (g.Gate.State != g.LastState)
            {
                g.LastState = g.Gate.State;
                g.SinceUnixMicros = WallClock.NowMicros();
            }
        }
    }

    public void Dispose()
    {
        foreach (GroupRuntime g in _groups.Concat(_leaving).Concat(_waiting))
        {
            g.Dispose();
        }
        DisposeControl();
        _etcd.Dispose();
        _memberships.Dispose();
        _publisher?.Dispose();
    }
}
