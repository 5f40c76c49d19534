namespace Ucarp.Core.Config;

/// <summary>A group whose settings differ between two reads: restarted alone. Options names what differs.</summary>
public sealed record GroupChange(GroupOptions Old, GroupOptions New, IReadOnlyList<string> Options);

/// <summary>
/// What a reload does. Groups are matched by name, so a renamed group is one removed and
/// one added. Unchanged, changed and added are in the new file's order, removed in the
/// old one's. A vhid or address can move from a removed or changed group to another one,
/// so the caller stops removed and changed groups before it starts changed and added ones.
/// </summary>
public sealed record ReloadPlan(IReadOnlyList<GroupOptions> Unchanged, IReadOnlyList<GroupChange> Changed,
                                IReadOnlyList<GroupOptions> Added, IReadOnlyList<GroupOptions> Removed);

public static class ReloadDiff
{
    public static ReloadPlan Compute(IReadOnlyList<GroupOptions> before, IReadOnlyList<GroupOptions> after)
    {
        var old = new Dictionary<string, GroupOptions>(StringComparer.Ordinal);
        foreach (GroupOptions g in before)
        {
            old[g.Name] = g;
        }
        var unchanged = new List<GroupOptions>();
        var changed = new List<GroupChange>();
        var added = new List<GroupOptions>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (GroupOptions g in after)
        {
            if (!old.TryGetValue(g.Name, out GroupOptions? was))
            {
                added.Add(g);
                continue;
            }
            kept.Add(g.Name);
            IReadOnlyList<string> differences = Differences(was, g);
            if (differences.Count == 0)
            {
                unchanged.Add(g);
            }
            else
            {
                changed.Add(new GroupChange(was, g, differences));
            }
        }
        var removed = new List<GroupOptions>();
        foreach (GroupOptions g in before)
        {
            if (!kept.Contains(g.Name))
            {
                removed.Add(g);
            }
        }
        return new ReloadPlan(unchanged, changed, added, removed);
    }

    /// <summary>The settings that differ, by option name; the line a group is declared on is not one.</summary>
    public static IReadOnlyList<string> Differences(GroupOptions a, GroupOptions b)
    {
        IReadOnlyList<(string Option, string Value)> x = a.Describe();
        IReadOnlyList<(string Option, string Value)> y = b.Describe();
        var differences = new List<string>();
        for (int i = 0; i < x.Count; i++)
        {
            if (!string.Equals(x[i].Value, y[i].Value, StringComparison.Ordinal))
            {
                differences.Add(x[i].Option);
            }
        }
        return differences;
    }
}
