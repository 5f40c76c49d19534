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
    // Per source, in the order added: what the last pass left of it (see Seen).
    Seen[] _seen = new Seen[16];

    /// <summary>
    /// A source's first descriptor's index in the last wait, how many it added, its
    /// deadline (long.MaxValue: none), and whether it is <see cref="ITouchesItsGroups"/>
    /// (known once it is added, not asked on every pass).
    /// </summary>
    struct Seen
    {
        public int First, Count;
        public long Due;
        public bool Touches;
    }
    int? _exit;
    bool _faulted;

    /// <summary>What an exception out of a source makes the daemon do (stop every group, releasing its addresses).</summary>
    public Action<long>? Faulted { get; set; }

    /// <summary>
    /// Told before a pass in which a source that is not <see cref="ITouchesItsGroups"/>
    /// woke (or a wait was interrupted): what it runs may move any group's deadlines.
    /// </summary>
    public Action? OthersWoke { get; set; }

    /// <summary>Sources are dispatched in the order added: inputs before the timers they may move.</summary>
    public void Add(ILoopSource source)
    {
        _sources.Add(source);
        if (_sources.Count > _seen.Length)
        {
            Array.Resize(ref _seen, _seen.Length * 2);
        }
        _seen[_sources.Count - 1].Touches = source is ITouchesItsGroups;
    }

    /// <summary>Ends <see cref="Run"/> after the current pass, with this status.</summary>
    public void Exit(int status) => _exit ??= status;

    public int Run()
    {
        long now = MonotonicClock.NowMicroseconds;
        bool interrupted = true;   // the first pass: nothing is known yet
        while (true)
        {
            if (OthersWoke is not null && (interrupted || OtherWoke(now)))
            {
                OthersWoke();
            }
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
                int first = _set.Count;
                long due = long.MaxValue;
                try
                {
                    source.AddTo(_set, now);
                    due = source.NextDeadline(now) ?? long.MaxValue;
                    wake = Math.Min(wake, due);
                }
                catch (Exception e)
                {
                    Fault(source, e, now);
                    wake = now;   // straight on to the next pass: the groups are stopping
                }
                // Written after the calls: a source added meanwhile may have grown the array.
                _seen[i].First = first;
                _seen[i].Count = _set.Count - first;
                _seen[i].Due = due;
            }
            if (_exit is int leaving)
            {
                return leaving;
            }
            long wait = wake == long.MaxValue ? 60_000_000 : Math.Max(0, wake - now);
            interrupted = !_set.TryWait(wait, out SysError error);
            if (interrupted && error.Errno != Libc.EINTR)
            {
                log.Write(LogLevel.Error, Messages.PollError(error.Text));
            }
            now = MonotonicClock.NowMicroseconds;
        }
    }

    /// <summary>Whether a source that does not tell which groups it ran has something to do in this pass.</summary>
    bool OtherWoke(long now)
    {
        for (int i = 0; i < _sources.Count; i++)
        {
            ref Seen seen = ref _seen[i];
            if (seen.Touches)
            {
                continue;
            }
            if (seen.Due <= now)
            {
                return true;
            }
            for (int k = seen.First, end = seen.First + seen.Count; k < end; k++)
            {
                if (_set.REvents(k) != 0)
                {
                    return true;
                }
            }
        }
        return false;
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
