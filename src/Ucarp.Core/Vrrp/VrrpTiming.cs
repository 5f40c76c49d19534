namespace Ucarp.Core.Vrrp;

/// <summary>
/// RFC 5798's timers in microseconds, from centisecond intervals (version 2's whole
/// seconds are 100 centiseconds each): Skew_Time = ((256 - Priority) x
/// Master_Adver_Interval) / 256, and Master_Down_Interval = 3 x Master_Adver_Interval +
/// Skew_Time. Version 2 (RFC 3768) reads the same with the interval in seconds.
/// </summary>
public static class VrrpTiming
{
    const long Centisecond = 10_000;

    public static long Interval(ushort centis) => centis * Centisecond;

    public static long Skew(byte priority, ushort masterCentis) => (256 - priority) * Interval(masterCentis) / 256;

    public static long MasterDown(byte priority, ushort masterCentis) => 3 * Interval(masterCentis) + Skew(priority, masterCentis);
}
