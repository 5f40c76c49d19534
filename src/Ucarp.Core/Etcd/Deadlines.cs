namespace Ucarp.Core.Etcd;

/// <summary>Deadlines in µs, null for none: the session's parts each have a few, and the loop wants the earliest.</summary>
internal static class Deadlines
{
    public static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
