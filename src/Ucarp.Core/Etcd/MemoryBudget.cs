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
///
/// What is given back is garbage until the collector runs, and the workstation collector
/// runs late for large arrays and for trees promoted while they were read: members
/// answering 16 MiB again and again took the daemon to 70-150 MiB resident with no more
/// than 32 MiB live (issue 28). Each <see cref="CollectAfter"/> bytes given back, the
/// budget asks for a collection (<paramref name="collect"/>), on the thread that gave them
/// back (an etcd worker's), so that what is given back is gone, not only counted as gone.
/// </summary>
public sealed class MemoryBudget(long limit, Action? collect = null)
{
    /// <summary>
    /// The daemon's bound on its answers: the largest tree a document may keep
    /// (<see cref="Json.MaxKept"/>, 12 MiB) with the body of a sweep that keeps that much
    /// (about 3.2 MB for 13,000 keys), or the largest body (8 MiB, 12 MiB while its buffer
    /// doubles) with a small tree, and the ordinary answers beside it (an allowance each). Live answers, the garbage of one
    /// more round before the collection, and the rest of the daemon (about 7 MiB) then stay
    /// under the 64 MiB that issue 28 allows with every member hostile (measured: 31-44 MiB).
    /// The collection is the aggressive kind, as MemoryTrim's: a forced one compacts but
    /// keeps the emptied regions committed for the next allocations, and a holder of 1,000
    /// etcd groups then sat at 12.5-13.4 MiB resident; given back, 11.5-12.0.
    /// </summary>
    public static MemoryBudget Answers { get; } = new(20 << 20,
        static () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));

    /// <summary>
    /// Bytes given back between two collections. Ordinary answers (a renewal, a campaign,
    /// a watch event) are within their allowance and give back nothing; a sweep of a
    /// thousand keys gives back about 1.1 MB, and is collected every sweep: its tree
    /// outlives a gen0 collection while it is built, and eight sweeps' worth left to pile
    /// up in the old generation (8 MiB, as this was) took the etcd daemons of 1,000 groups
    /// from 15.5 to 19-22 MiB resident in two minutes; collected every second sweep, they
    /// stayed at 14.3-14.5 MiB (benchmarks.md, etcd at scale). Collected every second sweep
    /// since its keys' create revisions are read (1.25 MiB here), the holder sat at
    /// 14.4-15.5 MiB; every sweep, 11.3-11.7 (2026-12-05). A hostile
    /// round costs one collection per MiB it gives back, a few milliseconds for this heap
    /// (measured: 3-5 ms, at most 20).
    /// </summary>
    public const long CollectAfter = 1 << 20;

    /// <summary>
    /// What an answer holds without taking from the budget: a renewal, a campaign or a
    /// watch event (a few hundred bytes) is never refused because of a hostile member's
    /// 16 MiB elsewhere, and costs no more than its connection's own read buffer.
    /// </summary>
    public const int Allowance = 16 * 1024;

    long _used;
    long _given;     // given back since the last collection

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

    void Give(long bytes)
    {
        Interlocked.Add(ref _used, -bytes);
        long given = Interlocked.Add(ref _given, bytes);
        if (given >= CollectAfter && collect is not null && Interlocked.CompareExchange(ref _given, 0, given) == given)
        {
            Interlocked.Increment(ref _collections);
            collect();
        }
    }

    /// <summary>How many collections the budget asked for.</summary>
    public int Collections => Volatile.Read(ref _collections);

    int _collections;

    /// <summary>
    /// What one answer holds, read by one thread: taken as it grows, given back whole by
    /// <see cref="Dispose"/> (the next answer on the same connection starts again from nothing).
    /// </summary>
    public sealed class Hold(MemoryBudget budget) : IDisposable
    {
        long _held;

        /// <summary>The bytes held now, allowance included.</summary>
        public long Held => _held;

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
