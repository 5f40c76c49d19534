namespace Ucarp.Core.Election;

/// <summary>
/// A retry delay that doubles from the first up to the most and starts again from the
/// first after a success. The etcd elections' and session's retries all use
/// <see cref="Etcd"/>: 200 ms doubling to 5 s.
/// </summary>
public struct Backoff
{
    readonly long _first;
    long _next;

    public Backoff(long first, long most)
    {
        _first = _next = first;
        Most = most;
    }

    /// <summary>200 ms doubling to 5 s, in µs: campaigns, releases, grants, sweeps, watches.</summary>
    public static Backoff Etcd => new(200_000, 5_000_000);

    /// <summary>The longest delay: a run longer than this counts as a success.</summary>
    public long Most { get; }

    /// <summary>The delay before the next retry; the one after is twice as long, up to the most.</summary>
    public long Next()
    {
        long delay = _next;
        _next = Math.Min(Most, _next * 2);
        return delay;
    }

    /// <summary>It worked: the next failure waits the first delay again.</summary>
    public void Reset() => _next = _first;
}
