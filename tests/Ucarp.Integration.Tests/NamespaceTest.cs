using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>Base of every test that runs real daemons in network namespaces.</summary>
[Category("Namespace")]
[NonParallelizable]
public abstract class NamespaceTest
{
    protected static readonly TimeSpan Short = TimeSpan.FromSeconds(3);
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [OneTimeSetUp]
    public void CleanStale()
    {
        if (Shell.IsRoot)
        {
            TestLan.RemoveStale();
        }
    }

    [SetUp]
    public void Require() => Binaries.RequireNamespaces();

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
