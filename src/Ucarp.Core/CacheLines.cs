using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Ucarp.Core;

/// <summary>
/// Asks the processor to bring an object's first cache lines in before they are read.
/// A daemon of thousands of groups reads each group once a second, long after its lines
/// left the cache, and every object on the way (the group, its election, the election's
/// reader and key) is a miss that waits for the one before it: about 150 ns each on this
/// project's test machine, a dozen of them per advert. Asked for a whole batch of groups
/// first, stage by stage (<see cref="Election.ElectionBase.Prefetch"/>), the misses of one
/// group overlap those of the others. Only a hint: nothing is read, nothing changes, and
/// an object the collector moved meanwhile costs a wasted fetch.
/// </summary>
public static class CacheLines
{
    public const int Size = 64;

    public static unsafe void Prefetch(object? o, int lines)
    {
        if (o is null || !Sse.IsSupported)
        {
            return;
        }
        // The reference is the object's address: its type pointer, then its fields.
        byte* at = (byte*)Unsafe.As<object, nint>(ref o);
        for (int i = 0; i < lines; i++)
        {
            Sse.Prefetch0(at + i * Size);
        }
    }
}
