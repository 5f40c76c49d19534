using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>What a running daemon has loaded: the C library and nothing else (no OpenSSL).</summary>
public class ResourceTests : NamespaceTest
{
    [Serial]
    [Test]
    public void A_running_master_maps_only_the_c_library()
    {
        using var lan = new TestLan(1);
        using UcarpProcess a = lan.Start(1, Binary("clone"));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        // A few adverts: HMACs computed, counters drawn.
        Assert.That(Wait.Throughout(() => !a.HasExited, TimeSpan.FromSeconds(2)), Is.True);
        string[] libraries = File.ReadAllLines($"/proc/{a.Pid}/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && f[5].Contains(".so", StringComparison.Ordinal))
            .Select(f => Path.GetFileName(f[5]))
            .Distinct().OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.That(libraries.Where(n => !n.StartsWith("libc.so", StringComparison.Ordinal) && !n.StartsWith("libm.so", StringComparison.Ordinal)
                                         && !n.StartsWith("ld-linux", StringComparison.Ordinal)),
                    Is.Empty, string.Join(", ", libraries));
    }
}
