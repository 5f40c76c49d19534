namespace Ucarp.Integration.Tests;

/// <summary>
/// The daemon's assembly references no System.Linq (src/Directory.Build.targets): its
/// generic instantiations made the NativeAOT binary 1.6 MB larger. A LINQ call, or a
/// spread the compiler turns into Enumerable.ToArray ([.. someReadOnlyList]), would add it.
/// </summary>
public class NoLinqTests
{
    [Test]
    public void The_daemon_references_no_System_Linq()
    {
        Assert.That(typeof(Daemon.GroupSet).Assembly.GetReferencedAssemblies().Select(a => a.Name), Has.None.EqualTo("System.Linq"));
    }
}
