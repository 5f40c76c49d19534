namespace Ucarp.Core.Etcd;

/// <summary>
/// The memory that the etcd answers being read hold at once, across the process. Each
/// answer takes from it as its body arrives (<see cref="HttpResponseReader"/>) and as its
/// tree is built (<see cref="Json"/>), and gives all of it back when it is done with. A
/// request waits on its own thread, so the answers in flight are as many as the threads
/// reading them (32 key workers, the lease's, a watch per stream, each follow client's
/// too): without a bound on the sum, members answering 16 MiB each at once would take
/// hundreds of MiB. What would pass <see cref="Limit"/> fails as an unreadable answer
/// (<see cref="FormatException"/>), like any other nonsense: it is asked again.
/// </summary>
public sealed class MemoryBudget(long limit)
{
    /// <summary>
    /// The daemon's bound on its answers: room for the largest one a member can send (a
    /// 16 MiB body, 24 MiB while its buffer doubles, then the 12 MiB tree it may keep:
    /// <see cref="Json.MaxKept"/>) and for the ordinary ones beside it (a sweep of a
    /// thousand keys holds under 1 MiB in all). Answers then hold half of the 64 MiB that
    /// issue 28 allows the whole daemon with every member hostile (and an allowance each).
    /// </summary>
    public static MemoryBudget Answers { get; } = new(32 << 20);

    /// <summary>
    /// What an answer holds without taking from the budget: a renewal, a campaign or a
    /// watch event (a few hundred bytes) is never refused because of a hostile member's
    /// 16 MiB elsewhere, and costs no more than its connection's own read buffer.
    /// </summary>
    public const int Allowance = 16 * 1024;

    long _used;

    public long Limit { get; } = limit;

    /// <summary>The bytes taken now, beyond the answers' allowances.</summary>
    public long Used => Interlocked.Read(ref _used);

    void Take(long bytes)
    {
        if (Interlocked.Add(ref _used, bytes) > Limit)
        {
            Interlocked.Add(ref _used, -bytes);
            throw new FormatException($"the answers being read would hold more than {Limit} bytes");
        }
    }

    void Give(long bytes) => Interlocked.Add(ref _used, -bytes);

    /// <summary>
    /// What one answer holds, read by one thread: taken as it grows, given back whole by
    /// <see cref="Dispose"/> (the next answer on the same connection starts again from nothing).
    /// </summary>
    public sealed class Hold(MemoryBudget budget) : IDisposable
    {
        long _held;

        /// <summary>Holds <paramref name="bytes"/> more, or throws <see cref="FormatException"/> (holding nothing more) when the budget has not got them.</summary>
        public void Take(long bytes)
        {
            long over = Over(_held + bytes) - Over(_held);
            if (over > 0)
            {
                budget.Take(over);
            }
            _held += bytes;
        }

        /// <summary>Gives back <paramref name="bytes"/> of what is held (a buffer that a bigger one replaced).</summary>
        public void Give(long bytes)
        {
            long over = Over(_held) - Over(_held - bytes);
            _held -= bytes;
            budget.Give(over);
        }

        public void Dispose() => Give(_held);

        static long Over(long held) => Math.Max(0, held - Allowance);
    }
}
