using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The real binaries side by side on command lines that end before or during setup:
/// same exit status, same stdout and stderr (timestamps cut, version line aside).
/// </summary>
public class SetupTests : NamespaceTest
{
    static readonly string[][] Cases =
    [
        [],
        ["--help"],
        ["--pa=x"],
        ["-i", "eth0", "-v", "1", "-p", "12345678901234567890", "-s", "192.0.2.1", "-a", "192.0.2.100"],
        ["-i", "eth9", "-v", "1", "-p", "x", "-s", "192.0.2.1", "-a", "192.0.2.100", "-u", "/bin/true", "-d", "/bin/true"],
        ["-i", "abcdefghijklmnopq", "-v", "1", "-p", "x", "-s", "192.0.2.1", "-a", "192.0.2.100"],
        ["-i", "eth0", "-v", "1", "-p", "x", "-s", "192.0.2.9", "-a", "192.0.2.100", "-u", "/bin/true", "-d", "/bin/true"],
        ["-v", "1", "-p", "x", "-s", "192.0.2.1", "-a", "192.0.2.100", "-r", "0"],
        ["-i", "eth0", "-v", "1", "-o", "/nonexistent/pass"],
        ["-f", "nosuch", "-i", "eth0"],
        ["-i", "lo", "-v", "1", "-p", "x", "-s", "192.0.2.9", "-a", "192.0.2.100", "-u", "/bin/true", "-d", "/bin/true"],
    ];

    public static IEnumerable<TestCaseData> All() => Cases.Select(c => new TestCaseData((object)c).SetName("Same as ucarp: " + (c.Length == 0 ? "(no arguments)" : string.Join(' ', c))));

    [TestCaseSource(nameof(All))]
    public void Same_output_and_status_as_debian(string[] args)
    {
        Binaries.RequireDebian();
        using var lan = new TestLan(1);
        using UcarpProcess theirs = lan.StartRaw(1, Binaries.Debian, args);
        using UcarpProcess ours = lan.StartRaw(1, Binaries.Clone, args);
        Assert.That(theirs.WaitForExit(Long) && ours.WaitForExit(Long), Is.True, "both exit:\n" + theirs.Output + "\n---\n" + ours.Output);
        Assert.That(ours.ExitCode, Is.EqualTo(theirs.ExitCode), "exit status");
        Assert.That(Normalise(OwnOptions.Strip(ours.Lines)), Is.EqualTo(Normalise(theirs.Lines)));
    }

    /// <summary>
    /// Each stream in its own order, stdout's lines then stderr's (how the two interleave
    /// depends on buffering, not on the program), without the version line and MACs.
    /// </summary>
    static List<string> Normalise(IReadOnlyList<string> lines)
    {
        var cleaned = lines.Where(l => !l.Contains("ucarp 1.5.2", StringComparison.Ordinal))
             .Select(l => System.Text.RegularExpressions.Regex.Replace(l, "[0-9a-f]{2}(:[0-9a-f]{2}){5}", "MAC"))
             .Select(l => l.Replace(Binaries.Clone, "PROGRAM", StringComparison.Ordinal).Replace(Binaries.Debian, "PROGRAM", StringComparison.Ordinal))
             .ToList();
        return [.. cleaned.Where(l => l.StartsWith("out:", StringComparison.Ordinal)), .. cleaned.Where(l => !l.StartsWith("out:", StringComparison.Ordinal))];
    }
}
