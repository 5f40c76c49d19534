using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Loop;

/// <summary>
/// The daemon's one thread. Each pass hands control to every source in turn, then sleeps
/// in ppoll until the earliest deadline any source names or until a descriptor one of them
/// polls is ready, whichever comes first; so adverts and master-down fire on time (ucarp
/// sleeps a whole advert interval in BACKUP and checks its deadline only when it wakes).
/// It knows no protocol: CARP, etcd, scripts and ucarpctl are sources like any other.
/// An exception out of a source never ends the daemon silently: it is logged, and
/// <see cref="Faulted"/> stops every group the way a clean exit does (downscripts,
/// bow-outs, the etcd leases revoked); the daemon then ends with status 1. A second one
/// while stopping ends the loop at once (status 70, EX_SOFTWARE).
/// </summary>
internal sealed class EventLoop(ILog log)
{
    const int FaultStatus = 1;
    const int FaultAgainStatus = 70;

    readonly List<ILoopSource> _sources = [];
    readonly PollSet _set = new();
    int? _exit;
    bool _faulted;

    /// <summary>What an exception out of a source makes the daemon do (stop every group, releasing its addresses).</summary>
    public Action<long>? Faulted { get; set; }

    /// <summary>Sources are dispatched in the order added: inputs before the timers they may move.</summary>
    public void Add(ILoopSource source) => _sources.Add(source);

    /// <summary>Ends <see cref="Run"/> after the current pass, with this status.</summary>
    public void Exit(int status) => _exit ??= status;

    public int Run()
    {
        long now = MonotonicClock.NowMicroseconds;
        while (true)
        {
            // A for loop over the list: its enumerator would allocate nothing either, but a
            // source added during a pass must not break it.
            for (int i = 0; i < _sources.Count; i++)
            {
                try
                {
                    _sources[i].Dispatch(_set, now);
                }
                catch (Exception e)
                {
                    Fault(_sources[i], e, now);
                }
            }
            if (_exit is int status)
            {
                return _faulted && status == 0 ? FaultStatus : status;
            }
            now = MonotonicClock.NowMicroseconds;
            long wake = long.MaxValue;
            _set.Clear();
            for (int i = 0; i < _sources.Count; i++)
            {
                ILoopSource source = _sources[i];
                try
                {
                    source.AddTo(_set, now);
                    if (source.NextDeadline(now) is long due && due < wake)
                    {
                        wake = due;
                    }
                }
                catch (Exception e)
                {
                    Fault(source, e, now);
                    wake = now;   // straight on to the next pass: the groups are stopping
                }
            }
            if (_exit is int leaving)
            {
                return leaving;
            }
            long wait = wake == long.MaxValue ? 60_000_000 : Math.Max(0, wake - now);
            if (!_set.TryWait(wait, out SysError error) && error.Errno != Libc.EINTR)
            {
                log.Write(LogLevel.Error, Messages.PollError(error.Text));
            }
            now = MonotonicClock.NowMicroseconds;
        }
    }

    void Fault(ILoopSource source, Exception e, long now)
    {
        string where = source.GetType().Name;
        if (_faulted)
        {
            log.Write(LogLevel.Error, Messages.LoopFaultAgain(where, e.Message));
            _exit ??= FaultAgainStatus;
            return;
        }
        _faulted = true;
        log.Write(LogLevel.Error, Messages.LoopFault(where, e.Message));
        try
        {
            Faulted?.Invoke(now);
        }
        catch (Exception again)
        {
            log.Write(LogLevel.Error, Messages.LoopFaultAgain(where, again.Message));
            _exit ??= FaultAgainStatus;
        }
    }
}
