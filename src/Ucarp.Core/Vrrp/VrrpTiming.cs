namespace Ucarp.Core.Vrrp;

/// <summary>
/// The RFCs' timers in microseconds, from centisecond intervals. Version 3 (RFC 5798):
/// Skew_Time = ((256 - Priority) x Master_Adver_Interval) / 256. Version 2 (RFC 3768, and
/// keepalived's VRRP_TIMER_SKEW): (256 - Priority) / 256 seconds, whatever the interval.
/// Both: Master_Down_Interval = 3 x Master_Adver_Interval + Skew_Time.
/// </summary>
public static class VrrpTiming
{
    const long Centisecond = 10_000;
    const long Second = 1_000_000;

    public static long Interval(ushort centis) => centis * Centisecond;

    public static long Skew(byte version, byte priority, ushort masterCentis) =>
        (256 - priority) * (version == 2 ? Second : Interval(masterCentis)) / 256;

    public static long MasterDown(byte version, byte priority, ushort masterCentis) =>
        3 * Interval(masterCentis) + Skew(version, priority, masterCentis);
}
