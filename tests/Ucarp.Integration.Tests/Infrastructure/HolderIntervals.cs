namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// When each node held the virtual address, from the scripts' stamps in
/// <see cref="TestLan.HeldLog"/>: from the upscript's start to the downscript's end, on
/// the realtime clock every namespace shares. Unlike sampling the interfaces, this cannot
/// miss a moment with two holders, however brief: two intervals of different nodes that
/// overlap are one.
/// </summary>
sealed class HolderIntervals
{
    public readonly record struct Interval(int Node, double From, double To);

    HolderIntervals(List<Interval> intervals) => All = intervals;

    public IReadOnlyList<Interval> All { get; }

    /// <summary>How many times a node took the address.</summary>
    public int Count(int node) => All.Count(i => i.Node == node);

    /// <summary>
    /// Reads the log. A node still holding has an interval open to +infinity, unless
    /// <paramref name="killedAt"/> gives when it was SIGKILLed (no downscript runs; the
    /// host counts as gone then).
    /// </summary>
    public static HolderIntervals Read(TestLan lan, IReadOnlyDictionary<int, double>? killedAt = null)
    {
        var open = new Dictionary<int, double>();
        var intervals = new List<Interval>();
        foreach ((long micros, string what, int node) in lan.HeldStamps())
        {
            double t = micros / 1e6;
            if (what == "up")
            {
                open.TryAdd(node, t);
            }
            else if (what == "down" && open.Remove(node, out double from))
            {
                intervals.Add(new Interval(node, from, t));
            }
        }
        foreach ((int node, double from) in open)
        {
            intervals.Add(new Interval(node, from, killedAt is not null && killedAt.TryGetValue(node, out double k) ? k : double.PositiveInfinity));
        }
        return new HolderIntervals([.. intervals.OrderBy(i => i.From)]);
    }

    /// <summary>Every pair of intervals of different nodes that overlap, described.</summary>
    public List<string> Overlaps()
    {
        var found = new List<string>();
        for (int i = 0; i < All.Count; i++)
        {
            for (int j = i + 1; j < All.Count; j++)
            {
                Interval a = All[i], b = All[j];
                if (a.Node != b.Node && b.From < a.To && a.From < b.To)
                {
                    found.Add($"node {a.Node} [{a.From:F3}, {a.To:F3}] and node {b.Node} [{b.From:F3}, {b.To:F3}]");
                }
            }
        }
        return found;
    }

    public static double Now => DateTime.UtcNow.Subtract(DateTime.UnixEpoch).TotalSeconds;

    public override string ToString() => string.Join("\n", All.Select(i => $"node {i.Node}: [{i.From:F3}, {i.To:F3}]"));
}
