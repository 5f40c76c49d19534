namespace Ucarp.Core.Tests;

/// <summary>How many bytes a step of a steady state allocates, for the allocation tests of the core and of the daemon.</summary>
static class AllocationCount
{
    /// <summary>
    /// Bytes this thread allocated per step, over <paramref name="steps"/> steps after
    /// <paramref name="warmup"/>; and how many steps ran in all (the step is given its
    /// index, from 0). Up to three rounds, the fewest bytes kept: an allocation per step
    /// shows in every round, whereas the runtime's own once-only work on this thread (a
    /// lazily made type, a method's tier-up) does not.
    /// </summary>
    public static (double Bytes, int Steps) PerStep(int warmup, int steps, Action<int> step)
    {
        int i = 0;
        for (; i < warmup; i++)
        {
            step(i);
        }
        double fewest = double.MaxValue;
        for (int round = 0; round < 3 && fewest > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int end = i + steps; i < end; i++)
            {
                step(i);
            }
            fewest = Math.Min(fewest, (double)(GC.GetAllocatedBytesForCurrentThread() - before) / steps);
        }
        return (fewest, i);
    }
}
