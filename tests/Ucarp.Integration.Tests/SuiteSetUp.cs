using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>Once per run, before any test: what earlier, killed runs left is removed.</summary>
[SetUpFixture]
public class SuiteSetUp
{
    [OneTimeSetUp]
    public void RemoveWhatDeadRunsLeft()
    {
        if (!Shell.IsRoot)
        {
            return;
        }
        LiveResources.RemoveStaleNamespaces();
        // The first `ip netns add` makes /run/netns a shared mount; done once here, so that
        // tests starting together do not race to do it.
        string probe = $"{TestLan.NamePrefix}{Environment.ProcessId}-0-probe";
        Shell.RunAllowingFailure("ip", ["netns", "add", probe], out _);
        TestLan.DeleteNamespace(probe);
    }
}
