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
/// </summary>
internal sealed class EventLoop(ILog log)
{
    readonly List<ILoopSource> _sources = [];
    readonly PollSet _set = new();
    int? _exit;

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
                _sources[i].Dispatch(_set, now);
            }
            if (_exit is int status)
            {
                return status;
            }
            now = MonotonicClock.NowMicroseconds;
            long wake = long.MaxValue;
            _set.Clear();
            for (int i = 0; i < _sources.Count; i++)
            {
                ILoopSource source = _sources[i];
                source.AddTo(_set, now);
                if (source.NextDeadline(now) is long due && due < wake)
                {
                    wake = due;
                }
            }
            long wait = wake == long.MaxValue ? 60_000_000 : Math.Max(0, wake - now);
            if (!_set.TryWait(wait, out SysError error) && error.Errno != Libc.EINTR)
            {
                log.Write(LogLevel.Error, Messages.PollError(error.Text));
            }
            now = MonotonicClock.NowMicroseconds;
        }
    }
}
