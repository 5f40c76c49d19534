using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp;

/// <summary>
/// The daemon's one thread. It sleeps in ppoll until the state machine's next deadline,
/// a frame, a signal or a script's exit, whichever comes first, so adverts and
/// master-down fire on time (ucarp sleeps a whole advert interval in BACKUP and checks
/// the deadline only when it wakes, which makes its failover up to a second late).
/// </summary>
internal sealed class EventLoop
{
    const long LinkCheckInterval = 250_000;   // µs: the link's return is noticed well within a second
    const int FramesPerWakeup = 512;          // about 1.5 ms of work; then timers get their turn
    // Frames arriving back to back (a flood) are left to pile up for this long and then
    // read in one go: one wake-up per millisecond instead of one per frame. Handling an
    // advert up to 1 ms later changes nothing even at -b 0 -k 3 (12 ms adverts, 35 ms
    // master-down); timers fire meanwhile, and lone adverts never start a window.
    const long CoalesceWindow = 1_000;        // µs

    const long ReleaseWait = 2_000_000;       // µs a stopping etcd node waits for its revoke to be answered

    readonly Configuration _config;
    readonly IElection _machine;
    readonly CarpMachine? _carp;              // CARP mode: adverts come through the socket
    readonly Etcd.EtcdClient? _etcd;          // etcd mode: replies come through its wake-up descriptor
    readonly Core.Etcd.EtcdElection? _etcdElection;
    readonly DaemonHost _host;
    readonly PacketSocket _socket;
    readonly FileDescriptor _control;
    readonly SignalRelay _signals;
    readonly HealthCheckRunner? _health;
    readonly Monitoring.StatusPublisher? _publisher;
    readonly byte[] _interfaceName;
    bool _linkDown;
    long _nextLinkCheck;
    long _lastFrames = long.MinValue / 2;
    long _coalesceUntil;

    public EventLoop(Configuration config, IElection machine, DaemonHost host, PacketSocket socket, FileDescriptor control,
                     SignalRelay signals, HealthCheckRunner? health, Monitoring.StatusPublisher? publisher, Etcd.EtcdClient? etcd = null)
    {
        _carp = machine as CarpMachine;
        _etcdElection = machine as Core.Etcd.EtcdElection;
        _etcd = etcd;
        _health = health;
        _publisher = publisher;
        _config = config;
        _machine = machine;
        _host = host;
        _socket = socket;
        _control = control;
        _signals = signals;
        _interfaceName = CStrings.Bytes(config.Interface!);
    }

    /// <summary>Runs until the daemon should exit; returns the exit status.</summary>
    public unsafe int Run()
    {
        PollFd* fds = stackalloc PollFd[5];
        bool stopping = false;
        long stoppedAt = 0;
        while (true)
        {
            long now = MonotonicClock.NowMicroseconds;
            _host.SendBowOutIfDue(now);
            if (_etcd is not null)
            {
                _host.SendDeferredIfDue(now);
            }
            if (stopping)
            {
                stoppedAt = stoppedAt == 0 ? now : stoppedAt;
                // Shutting down: only the scripts, the bow-out and the lease's revoke still
                // matter (the revoke for at most a couple of seconds: etcd may be gone).
                bool releasing = _etcdElection is { Releasing: true } && now - stoppedAt < ReleaseWait;
                if (_host.Scripts.Queue.Idle && !_host.BowOut.Pending && !releasing && _host.DeferredDeadline is null)
                {
                    return 0;
                }
            }
            else if (now >= _nextLinkCheck)
            {
                _nextLinkCheck = now + LinkCheckInterval;
                if (InterfaceLost(Libc.POLLERR, now))
                {
                    // Noticed here before the socket's error: ucarp's poll would have said
                    // POLLERR, so the same line, the same downscript, the same exit.
                    stopping = true;
                    continue;
                }
                CheckCarrier(now);
            }

            long wake = stopping ? now + 50_000 : _nextLinkCheck;
            if (!stopping && _machine.NextDeadline is long due && due < wake)
            {
                wake = due;
            }
            if (_host.Scripts.NeedsPolling || _health?.NeedsPolling == true)
            {
                wake = Math.Min(wake, now + 50_000);
            }
            if (_host.BowOut.Deadline is long bowOut)
            {
                wake = Math.Min(wake, bowOut);
            }
            if (_host.DeferredDeadline is long deferred)
            {
                wake = Math.Min(wake, deferred);
            }
            if (!stopping && _health?.NextDeadline is long check)
            {
                wake = Math.Min(wake, check);
            }
            if (_publisher?.NextDeadline is long publish)
            {
                wake = Math.Min(wake, publish);
            }
            bool coalescing = now < _coalesceUntil;
            if (coalescing && _coalesceUntil < wake)
            {
                wake = _coalesceUntil;
            }
            int count = 0;
            // A negative descriptor is skipped by ppoll: the socket rests while frames pile up.
            fds[count++] = new PollFd { Fd = coalescing || _carp is null ? -1 : _socket.Fd, Events = Libc.POLLIN };
            fds[count++] = new PollFd { Fd = _signals.Fd, Events = Libc.POLLIN };
            // Script and check exits: readable descriptors only wake the loop, each is reaped below.
            fds[count++] = new PollFd { Fd = _host.Scripts.ExitFd, Events = Libc.POLLIN };
            fds[count++] = new PollFd { Fd = _health?.ExitFd ?? -1, Events = Libc.POLLIN };
            fds[count++] = new PollFd { Fd = _etcd?.WakeFd ?? -1, Events = Libc.POLLIN };
            long wait = Math.Max(0, wake - now);
            var timeout = new TimeSpec { Seconds = wait / 1_000_000, Nanoseconds = wait % 1_000_000 * 1000 };
            int ready = Libc.PPoll(fds, (ulong)count, &timeout, null);
            if (ready < 0 && Libc.LastErrno != Libc.EINTR)
            {
                _host.Write(Core.Logging.LogLevel.Error, Core.Logging.Messages.PollError(Libc.StrError(Libc.LastErrno)));
            }
            now = MonotonicClock.NowMicroseconds;

            if (ready > 0 && (fds[0].REvents & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0 && !stopping)
            {
                ClearSocketError();
                if (InterfaceLost(fds[0].REvents, now))
                {
                    stopping = true;
                    continue;
                }
            }
            bool framesWaiting = ready > 0 && (fds[0].REvents & Libc.POLLIN) != 0;
            bool windowOver = coalescing && now >= _coalesceUntil;
            if (_etcd is not null)
            {
                while (_etcd.TryTake(out Core.Etcd.EtcdReply reply))
                {
                    _etcdElection!.OnReply(reply, now);
                }
            }
            if (!stopping && _carp is not null && (framesWaiting || windowOver))
            {
                if (ReadFrames(now) > 0)
                {
                    if (now - _lastFrames < CoalesceWindow)
                    {
                        _coalesceUntil = now + CoalesceWindow;
                    }
                    _lastFrames = now;
                }
            }
            if (ready > 0 && (fds[1].REvents & Libc.POLLIN) != 0)
            {
                _signals.Drain();
                if (HandleSignals(now, stopping))
                {
                    stopping = true;
                }
            }
            if ((fds[2].REvents & Libc.POLLIN) != 0 || _host.Scripts.NeedsPolling)
            {
                _host.Scripts.TryReap();
            }
            if (!stopping && _health is not null)
            {
                RunHealthCheck(_health, now, (fds[3].REvents & Libc.POLLIN) != 0);
            }
            if (!stopping && _machine.NextDeadline <= now)
            {
                _machine.OnTimer(now);
            }
            _publisher?.Tick(now);
        }
    }

    /// <summary>Reaps a finished check, starts or kills one when due, and tells the machine what a result changed.</summary>
    void RunHealthCheck(HealthCheckRunner health, long now, bool exited)
    {
        if (exited || health.NeedsPolling)
        {
            Apply(health, health.TryReap(now), now);
        }
        if (health.NextDeadline <= now)
        {
            Apply(health, health.OnTimer(now), now);
        }
    }

    void Apply(HealthCheckRunner health, Core.Health.HealthVerdict? verdict, long now)
    {
        if (verdict is Core.Health.HealthVerdict v)
        {
            health.Policy.Apply(v, _machine, now);
        }
    }

    /// <summary>Reads and handles the waiting frames, at most <see cref="FramesPerWakeup"/>; returns how many.</summary>
    int ReadFrames(long now)
    {
        int read = 0;
        while (read < FramesPerWakeup)
        {
            int count = _socket.ReceiveBatch();
            if (count <= 0)
            {
                return read;
            }
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> frame = _socket.Frame(i);
                // pcap captured at most ETHERNET_MTU (1500) bytes of a frame.
                _carp!.OnFrame(frame[..Math.Min(frame.Length, 1500)], now);
            }
            read += count;
        }
        return read;
    }

    /// <summary>Returns true when the daemon should stop (a -z termination signal).</summary>
    bool HandleSignals(long now, bool stopping)
    {
        if (_signals.TakeUsr1())
        {
            _machine.ReportStatus();
        }
        if (_signals.TakeUsr2() && !stopping)
        {
            _machine.Demote(now);
        }
        if (_signals.TakeExit() && !stopping)
        {
            _machine.Shutdown(now);
            return true;
        }
        return false;
    }

    /// <summary>ucarp's SIOCGIFFLAGS at the top of its loop: carrier loss and return (ignored with -S).</summary>
    void CheckCarrier(long now)
    {
        if (_config.IgnoreInterfaceState || !InterfaceInfo.TryFlags(_control, _interfaceName, out short flags))
        {
            return;
        }
        bool running = (flags & Libc.IFF_RUNNING) != 0;
        if (!running && !_linkDown)
        {
            _linkDown = true;
            _machine.LinkDown(now);
        }
        else if (running && _linkDown)
        {
            _linkDown = false;
            _machine.LinkUp(now);
        }
    }

    /// <summary>
    /// True, once the machine has been told, when the interface is gone or taken down
    /// administratively: both make ucarp's capture descriptor report an error, which ends
    /// it (ERROR line, downscript under -z when not BACKUP, exit 0). Whichever of the
    /// socket's error and the periodic flags check sees it first, the outcome is the same.
    /// A lost carrier leaves the device up and is <see cref="CheckCarrier"/>'s business.
    /// </summary>
    bool InterfaceLost(short revents, long now)
    {
        if (InterfaceInfo.TryFlags(_control, _interfaceName, out short flags) && (flags & Libc.IFF_UP) != 0)
        {
            return false;
        }
        // Nothing can be sent on a vanished device: a waiting bow-out is dropped.
        _host.BowOut.Cancel();
        _machine.InterfaceLost(revents, _config.ShutdownAtExit, now);
        return true;
    }

    unsafe void ClearSocketError()
    {
        int error = 0;
        uint length = sizeof(int);
        Libc.GetSockOpt(_socket.Fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length);
    }
}
