namespace Ucarp.Core.Carp;

/// <summary>
/// ucarp's time arithmetic in microseconds. ucarp compares intervals as timevals
/// (seconds, then microseconds below one second), which orders exactly as a single
/// microsecond count does.
/// </summary>
public static class Timing
{
    public const long Second = 1_000_000;

    /// <summary>advbase seconds + advskew/256 s, with carp.c's integer division.</summary>
    public static long Interval(uint seconds, byte skew) => seconds * Second + skew * Second / 256;

    /// <summary>
    /// The master-down interval: advbase x deadratio seconds (32-bit product, as ucarp
    /// computes it) plus advskew/256 s, which ucarp does not multiply by the ratio.
    /// With advbase 0 the interval is the skew alone, and ucarp would wait that single
    /// interval, so one late advert makes a backup take over; OpenBSD's carp_setrun
    /// multiplies the skew instead, and so do we: deadratio x advskew/256 s.
    /// </summary>
    public static long MasterDown(byte advbase, uint deadRatio, byte skew) => advbase == 0
        ? deadRatio * (long)skew * Second / 256
        : Interval(unchecked(advbase * deadRatio), skew);
}
