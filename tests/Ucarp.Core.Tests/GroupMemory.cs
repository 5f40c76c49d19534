namespace Ucarp.Core.Tests;

/// <summary>
/// What a group costs, measured over many: the managed heap after a full collection, before
/// and after the groups are built (what <c>build</c> returns is kept alive until then), less
/// what the test's own recording holds, per group.
/// </summary>
static class GroupMemory
{
    public static long PerGroup(int groups, Func<(object Built, long NotTheGroups)> build)
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        (object built, long notTheGroups) = build();
        long perGroup = (GC.GetTotalMemory(forceFullCollection: true) - before - notTheGroups) / groups;
        GC.KeepAlive(built);
        TestContext.Out.WriteLine($"{perGroup} bytes per group");
        return perGroup;
    }
}
