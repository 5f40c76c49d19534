using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Carp;

/// <summary>
/// Logs rejected frames the way ucarp words them, but at most one line per reason per
/// second, then one line counting what was held back. ucarp logs every bad frame,
/// which lets anyone on the LAN fill the disk and burn a core; this does not.
/// The suppressed path only increments counters: no formatting, no allocation.
/// </summary>
sealed class WarningLimiter
{
    static readonly int ReasonCount = Enum.GetValues<Rejection>().Length;

    readonly ILog _log;
    // Made at the first rejection: most groups never see one, and a host may run thousands.
    Reason[]? _reasons;

    struct Reason
    {
        public long Count;
        public long Suppressed;
        public long? WindowEnd;
    }

    public WarningLimiter(ILog log) => _log = log;

    /// <summary>When the earliest open window closes, so its summary line can be written.</summary>
    public long? FlushAt { get; private set; }

    public long Total { get; private set; }

    public IReadOnlyDictionary<Rejection, long> Counts
    {
        get
        {
            var counts = new Dictionary<Rejection, long>();
            for (int i = 1; i < (_reasons?.Length ?? 0); i++)
            {
                if (_reasons![i].Count != 0)
                {
                    counts[(Rejection)i] = _reasons[i].Count;
                }
            }
            return counts;
        }
    }

    public void Report(in ReadResult result, long now)
    {
        if (Admit(result.Rejection, now) is LogLevel level)
        {
            _log.Write(level, RejectionLog.Message(result));
        }
    }

    /// <summary>A rejected VRRP frame, in VRRP's words.</summary>
    public void Report(in VrrpReadResult result, long now)
    {
        if (Admit(result.Rejection, now) is LogLevel level)
        {
            _log.Write(level, RejectionLog.Message(result));
        }
    }

    /// <summary>Counts the rejection; the level to log it at when its line is due now, else null.</summary>
    LogLevel? Admit(Rejection why, long now)
    {
        ref Reason reason = ref (_reasons ??= new Reason[ReasonCount])[(int)why];
        reason.Count++;
        Total++;
        LogLevel? level = RejectionLog.Level(why);
        if (level is null || (level == LogLevel.Debug && !_log.DebugEnabled))
        {
            return null;
        }
        if (reason.WindowEnd is long end && now < end)
        {
            reason.Suppressed++;
            return null;
        }
        Flush(now);
        reason.WindowEnd = now + Timing.Second;
        FlushAt = FlushAt is null ? now + Timing.Second : Math.Min(FlushAt.Value, now + Timing.Second);
        return level;
    }

    /// <summary>Closes every window that has ended, writing how many lines each held back.</summary>
    public void Flush(long now)
    {
        if (FlushAt is null || now < FlushAt || _reasons is null)
        {
            return;
        }
        long? next = null;
        for (int i = 0; i < _reasons.Length; i++)
        {
            ref Reason reason = ref _reasons[i];
            if (reason.WindowEnd is not long end)
            {
                continue;
            }
            if (now < end)
            {
                next = next is null ? end : Math.Min(next.Value, end);
                continue;
            }
            if (reason.Suppressed > 0)
            {
                var why = (Rejection)i;
                _log.Write(RejectionLog.Level(why) ?? LogLevel.Warning,
                           Messages.Suppressed(reason.Suppressed, RejectionLog.Label(why)));
                reason.Suppressed = 0;
            }
            reason.WindowEnd = null;
        }
        FlushAt = next;
    }
}
