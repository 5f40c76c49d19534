using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Base of every test that runs real daemons in network namespaces. Such tests spend their
/// time waiting on protocol timers, so they run concurrently, each in namespaces of its own
/// (run-all.sh sets how many at once); a test that measures timing, CPU or memory is marked
/// <see cref="SerialAttribute"/> and runs alone after them.
/// </summary>
[Category("Namespace")]
[Parallelizable(ParallelScope.All)]
public abstract class NamespaceTest
{
    protected static readonly TimeSpan Short = TimeSpan.FromSeconds(3);
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a test watches a fresh backup to show it hears its master: longer than the
    /// backup's master-down interval (3 s + 100/256 s with -k 100; Debian's ucarp may fire up
    /// to an advert interval late), so a backup deaf to the adverts would be MASTER by then.
    /// </summary>
    protected static readonly TimeSpan PastMasterDown = TimeSpan.FromSeconds(4.6);

    [SetUp]
    public void Require() => Binaries.RequireNamespaces();

    /// <summary>Whatever LAN the test did not remove (it threw before its `using`, say) goes now, not with the next test.</summary>
    [TearDown]
    public void RemoveLeftovers()
    {
        int left = LiveResources.DisposeLeftovers();
        if (left > 0)
        {
            TestContext.Out.WriteLine($"teardown removed {left} LAN(s) the test left");
        }
    }

    /// <summary>"clone" or "debian" to a binary path, skipping when Debian's is missing.</summary>
    protected static string Binary(string which)
    {
        if (which == "debian")
        {
            Binaries.RequireDebian();
            return Binaries.Debian;
        }
        return Binaries.Clone;
    }

    private protected static string Describe(TestLan lan, params UcarpProcess[] processes) =>
        string.Join("\n", processes.Select((p, i) => $"--- node {i + 1} ({p.Binary}):\n{p.Output}"))
        + "\n--- scripts:\n" + string.Join("\n", lan.ScriptCalls);
}
