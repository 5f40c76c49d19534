using Ucarp.Core.Carp;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Loop;

namespace Ucarp.Daemon;

/// <summary>
/// Once the groups have settled after a start, a reload or a held group's start (past
/// their master-down interval, their first role change and its address changes), one
/// collection that compacts the heap and gives its free regions back, and malloc_trim:
/// reading the file and making thousands of groups ready leaves garbage several times the
/// size of what stays, and a daemon that then allocates nothing per advert would never
/// collect again, keeping it resident for good (4,080 groups: 16 KiB resident per group
/// for 4 KiB live). The collection stops every thread once, for a few milliseconds at most
/// for such a heap; nothing else runs it. Then the executable's and libraries' clean pages
/// go back once more (<see cref="ImagePages"/>, as after start-up): settling ran code the
/// steady loop never does (campaigns, address changes, the first sweeps), and a holder of
/// 1,000 etcd groups kept 0.7 MiB more of it resident. A source of --config daemons only (DaemonLoop):
/// a plain command line's one group leaves nothing worth it, and runs as ucarp's does.
/// </summary>
internal sealed class MemoryTrim(GroupSet groups) : ILoopSource
{
    /// <summary>After the longest master-down interval (3 advert intervals), this much more.</summary>
    static readonly long Margin = 5 * Timing.Second;

    int _generation = -1;
    long? _at;

    public void AddTo(PollSet set, long now) => Watch(now);

    public long? NextDeadline(long now) => _at;

    public void Dispatch(PollSet set, long now)
    {
        if (_at is long at && now >= at && !groups.Stopping)
        {
            _at = null;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Libc.MallocTrim(0);
            ImagePages.DropUnused();
        }
    }

    /// <summary>The set of groups changed: the trim is due once the new ones have settled.</summary>
    void Watch(long now)
    {
        if (groups.Generation == _generation)
        {
            return;
        }
        _generation = groups.Generation;
        long longest = 0;
        for (int i = 0; i < groups.Count; i++)
        {
            longest = Math.Max(longest, Core.Groups.StartPhase.AdvertInterval(groups[i].Config));
        }
        _at = now + 3 * longest + Margin;
    }
}
