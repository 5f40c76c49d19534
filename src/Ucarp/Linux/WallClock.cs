namespace Ucarp.Linux;

/// <summary>The wall clock, for what people read (state files, ucarpctl status); timers use <see cref="MonotonicClock"/>.</summary>
internal static class WallClock
{
    public static long NowMicros() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
}
