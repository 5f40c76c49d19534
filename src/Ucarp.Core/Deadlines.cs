namespace Ucarp.Core;

/// <summary>Deadlines in µs, null for none: elections, followers, the etcd session's parts and the loop's sources each have a few, and whoever waits wants the earliest.</summary>
public static class Deadlines
{
    public static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
