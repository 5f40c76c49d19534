namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>The two programs under comparison, and the reasons a namespace test cannot run.</summary>
static class Binaries
{
    /// <summary>The clone, as built by `make` (the Makefile passes its path).</summary>
    public static string Clone => Environment.GetEnvironmentVariable("UCARP_BINARY")
        ?? Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../../build/ucarp"));

    /// <summary>ucarpctl, which `make` builds beside the clone.</summary>
    public static string Ctl => Path.Combine(Path.GetDirectoryName(Clone)!, "ucarpctl");

    public static void RequireCtl()
    {
        if (!File.Exists(Ctl))
        {
            Assert.Ignore($"ucarpctl is not built at {Ctl}: run `make` first");
        }
    }

    /// <summary>The repository's top directory (scripts, man page, Makefile).</summary>
    public static string Repository => Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../.."));

    /// <summary>
    /// Debian's ucarp 1.5.2, the reference: a copy of the package's /usr/sbin/ucarp made at
    /// the first use in a test process (checked against dpkg's md5sum, so never ours), so
    /// that the package test may put ours at /usr/sbin/ucarp while other tests run.
    /// A path that does not exist when Debian's ucarp is not installed as the package has it.
    /// </summary>
    public static string Debian => s_debian.Value;

    const string DebianInstalled = "/usr/sbin/ucarp";
    static readonly Lazy<string> s_debian = new(CopyDebian);

    static string CopyDebian()
    {
        string copy = Path.Combine(AppContext.BaseDirectory, "debian-ucarp", "ucarp");
        string? expected = File.Exists("/var/lib/dpkg/info/ucarp.md5sums")
            ? File.ReadLines("/var/lib/dpkg/info/ucarp.md5sums").Select(l => l.Split("  ", 2)).FirstOrDefault(f => f.Length == 2 && f[1] == "usr/sbin/ucarp")?[0]
            : null;
        static string Md5(string path) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(path)));
        if (expected is null || !File.Exists(DebianInstalled) || Md5(DebianInstalled) != expected)
        {
            return copy + ".missing";   // RequireDebian says so
        }
        if (!File.Exists(copy) || Md5(copy) != expected)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            string part = copy + ".part";
            File.Copy(DebianInstalled, part, overwrite: true);
            File.SetUnixFileMode(part, (UnixFileMode)0b111_101_101);
            File.Move(part, copy, overwrite: true);
        }
        return copy;
    }

    /// <summary>
    /// Held while a test changes what the host has at /usr/sbin/ucarp and
    /// /etc/network/if-*.d/ucarp (the package test installs ours over Debian's and puts it
    /// back) or uses them (IntegrationPlacesTests run Debian's hook with our binary bound there).
    /// </summary>
    public static readonly object HostUcarpFiles = new();

    public static void RequireNamespaces()
    {
        if (!Shell.IsRoot)
        {
            Assert.Ignore("namespace tests need root (network namespaces, raw sockets): run `make check` as root");
        }
        if (!File.Exists(Clone))
        {
            Assert.Ignore($"the clone is not built at {Clone}: run `make` first");
        }
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/bin/ip"))
        {
            Assert.Ignore("iproute2 is not installed (tests/install-deps.sh installs it)");
        }
    }

    public static void RequireDebian()
    {
        if (!File.Exists(Debian))
        {
            Assert.Ignore("Debian's ucarp is not installed as its package has it (tests/install-deps.sh installs it)");
        }
    }

    public static void RequireTcpdump()
    {
        if (!File.Exists("/usr/bin/tcpdump") && !File.Exists("/usr/sbin/tcpdump"))
        {
            Assert.Ignore("tcpdump is not installed (tests/install-deps.sh installs it)");
        }
    }

    /// <summary>tcpreplay, which sends the forged adverts.</summary>
    public static void RequireTcpreplay()
    {
        if (!File.Exists("/usr/bin/tcpreplay"))
        {
            Assert.Ignore("tcpreplay is not installed (tests/install-deps.sh installs it)");
        }
    }

    /// <summary>Debian's python3-prometheus-client, the independent reader of the metrics file.</summary>
    public static void RequirePrometheusParser()
    {
        Shell.RunAllowingFailure("/usr/bin/python3", ["-c", "import prometheus_client"], out int code);
        if (code != 0)
        {
            Assert.Ignore("python3-prometheus-client is not installed (tests/install-deps.sh installs it)");
        }
    }

    /// <summary>Wireshark's tshark, the independent dissector of the IPv6 frames.</summary>
    public static void RequireTshark()
    {
        if (!File.Exists("/usr/bin/tshark"))
        {
            Assert.Ignore("tshark is not installed (tests/install-deps.sh installs it)");
        }
    }
}
