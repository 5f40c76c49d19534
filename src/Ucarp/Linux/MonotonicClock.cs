using System.Diagnostics;

namespace Ucarp.Linux;

/// <summary>The only clock the daemon reads: monotonic microseconds, immune to wall-clock steps.</summary>
internal static class MonotonicClock
{
    static readonly double TicksPerMicrosecond = Stopwatch.Frequency / 1_000_000.0;

    public static long NowMicroseconds => (long)(Stopwatch.GetTimestamp() / TicksPerMicrosecond);
}
