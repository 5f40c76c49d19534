using System.Runtime.InteropServices;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// Signals arrive on runtime threads; this counts them and wakes the event loop through
/// an eventfd, so the state machine is only ever touched by the loop's thread. Counting
/// rather than queueing keeps a burst of thousands of signals at constant memory.
/// </summary>
internal sealed class SignalRelay : IDisposable
{
    const PosixSignal SIGUSR1 = (PosixSignal)10;
    const PosixSignal SIGUSR2 = (PosixSignal)12;

    readonly FileDescriptor _eventfd;
    readonly List<PosixSignalRegistration> _registrations = [];
    int _usr1;
    int _usr2;
    int _exit;
    int _hangup;

    /// <param name="shutdownSignals">-z: SIGINT, SIGQUIT, SIGTERM and SIGHUP end the daemon cleanly; without it they kill it, as in ucarp.</param>
    /// <param name="beforeDeath">
    /// Without -z: run on the signal's thread just before such a signal kills the daemon
    /// (its default action goes ahead), to remove the pidfile and the like.
    /// </param>
    /// <param name="reloadOnHangup">--config: SIGHUP reads the file again instead of ending the daemon.</param>
    public SignalRelay(bool shutdownSignals, Action? beforeDeath = null, bool reloadOnHangup = false)
    {
        int fd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
        {
            // At start-up, before any group or the loop: a process without a descriptor to
            // spare cannot run the daemon, and ends as it always has.
            throw new InvalidOperationException(SysError.Last("eventfd").Perror);
        }
        _eventfd = new FileDescriptor(fd);
        Unignore(SIGUSR1);
        Unignore(SIGUSR2);
        if (reloadOnHangup || shutdownSignals)
        {
            Unignore(PosixSignal.SIGHUP);
        }
        if (shutdownSignals)
        {
            Unignore(PosixSignal.SIGTERM);
        }
        _registrations.Add(PosixSignalRegistration.Create(SIGUSR1, c => Relay(c, ref _usr1)));
        _registrations.Add(PosixSignalRegistration.Create(SIGUSR2, c => Relay(c, ref _usr2)));
        if (reloadOnHangup)
        {
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Relay(c, ref _hangup)));
        }
        foreach (PosixSignal s in new[] { PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            if (s == PosixSignal.SIGHUP && reloadOnHangup)
            {
                continue;
            }
            if (shutdownSignals)
            {
                _registrations.Add(PosixSignalRegistration.Create(s, c => Relay(c, ref _exit)));
            }
            else if (beforeDeath is not null)
            {
                _registrations.Add(PosixSignalRegistration.Create(s, _ => beforeDeath()));
            }
        }
    }

    public int Fd => _eventfd.Fd;

    /// <summary>
    /// .NET installs no handler for a signal that is ignored when it is registered ("we
    /// respect ignored signals"), so a daemon started under nohup, or by any parent that
    /// ignores SIGHUP, would never see the SIGHUP that reloads it. ucarp's signal() calls
    /// override what it inherited for the signals it handles; so do we, for those. (Without
    /// -z an inherited SIG_IGN stays, as in ucarp. SIGINT and SIGQUIT are left alone: the
    /// runtime may have looked at them already, when the console streams were opened.)
    /// </summary>
    static unsafe void Unignore(PosixSignal signal)
    {
        int signo = signal switch
        {
            PosixSignal.SIGHUP => 1,
            PosixSignal.SIGTERM => 15,
            _ => (int)signal,   // SIGUSR1 and SIGUSR2 are given as raw numbers
        };
        byte* old = stackalloc byte[256];
        if (Libc.SigAction(signo, null, old) == 0 && *(nint*)old == Libc.SIG_IGN)
        {
            Libc.Signal(signo, Libc.SIG_DFL);
        }
    }

    public bool TakeUsr1() => Interlocked.Exchange(ref _usr1, 0) != 0;
    public bool TakeUsr2() => Interlocked.Exchange(ref _usr2, 0) != 0;
    public bool TakeExit() => Interlocked.Exchange(ref _exit, 0) != 0;
    public bool TakeHangup() => Interlocked.Exchange(ref _hangup, 0) != 0;

    /// <summary>Empties the eventfd after a wake-up.</summary>
    public unsafe void Drain()
    {
        ulong value;
        Libc.Read(_eventfd.Fd, &value, sizeof(ulong));
    }

    void Relay(PosixSignalContext context, ref int counter)
    {
        context.Cancel = true;
        Interlocked.Increment(ref counter);
        _eventfd.Notify();
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
        _eventfd.Dispose();
    }
}
