using System.Collections.Concurrent;
using System.Globalization;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// The LANs each running test has made and not yet removed. Tests run concurrently, so a
/// LAN a test forgot to dispose, or one it never reached the end of its `using` for, is
/// removed by that test's own teardown (<see cref="NamespaceTest"/>) rather than left for
/// the next test, and <c>tests/leak-check.sh</c> finds anything that escapes even that.
/// </summary>
static class LiveResources
{
    static readonly ConcurrentDictionary<IDisposable, string> Live = new();

    static string CurrentTest => TestContext.CurrentContext.Test.ID ?? "";

    public static void Add(IDisposable resource) => Live[resource] = CurrentTest;

    public static void Remove(IDisposable resource) => Live.TryRemove(resource, out _);

    /// <summary>Disposes what the current test left behind; returns how many there were.</summary>
    public static int DisposeLeftovers()
    {
        string test = CurrentTest;
        var left = Live.Where(kv => kv.Value == test).Select(kv => kv.Key).ToList();
        foreach (IDisposable resource in left)
        {
            resource.Dispose();
        }
        return left.Count;
    }

    /// <summary>
    /// Namespaces named after a test process (<see cref="TestLan.NamePrefix"/> then its pid)
    /// that is no longer running: what a killed or crashed earlier run left. A live run's
    /// namespaces, this one's included, are never touched.
    /// </summary>
    public static void RemoveStaleNamespaces()
    {
        string list = Shell.RunAllowingFailure("ip", ["netns", "list"], out int code);
        if (code != 0)
        {
            return;
        }
        foreach (string line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string ns = line.Split(' ')[0];
            if (OwnerPid(ns) is int pid && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                TestLan.DeleteNamespace(ns);
            }
        }
    }

    /// <summary>"ucarpnet-t1234-7-n1" -> 1234; null for a name that is not ours.</summary>
    static int? OwnerPid(string ns)
    {
        if (!ns.StartsWith(TestLan.NamePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        string rest = ns[TestLan.NamePrefix.Length..];
        int dash = rest.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }
}
