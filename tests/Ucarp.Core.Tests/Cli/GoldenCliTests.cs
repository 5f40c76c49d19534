using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>
/// Every case in Golden/cli-cases.txt against what Debian's ucarp 1.5.2 printed for it
/// (Golden/cli-expected.txt, made by Golden/regenerate.sh): same stdout, stderr and exit
/// status, but for the version line and the deliberate differences listed below.
/// </summary>
public class GoldenCliTests
{
    const string Program = "/usr/sbin/ucarp";
    const string TheirVersionLine = "ucarp 1.5.2 - Jan  3 2023";

    public sealed record Case(string Line, int Exit, string[] Expected)
    {
        public override string ToString() => Line.Replace('\t', ' ');
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "cli-expected.txt");
        Case? current = null;
        var lines = new List<string>();
        foreach (string line in File.ReadAllLines(path))
        {
            if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    yield return Data(current with { Expected = [.. lines] });
                }
                current = new Case(line[4..], -1, []);
                lines.Clear();
            }
            else if (line.StartsWith("exit ", StringComparison.Ordinal))
            {
                current = current! with { Exit = int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture) };
            }
            else
            {
                lines.Add(line.Replace(TheirVersionLine, UsageText.VersionLine, StringComparison.Ordinal));
            }
        }
        if (current is not null)
        {
            yield return Data(current with { Expected = [.. lines] });
        }
    }

    static TestCaseData Data(Case c) => new TestCaseData(c).SetName("Golden: " + c);

    /// <summary>
    /// Where the clone deliberately differs, and what it prints instead. Each is in the
    /// README and the man page under "Differences from ucarp 1.5.2".
    /// </summary>
    static readonly Dictionary<string, (int Exit, string[] Lines)> Differences = new()
    {
        // -m is documented by ucarp's usage text but missing from its option string.
        ["-m\t1.2.3"] = (1, ["err: [ERROR] Invalid address: [1.2.3]"]),
        ["-m\t239.192.0.7\t-i\teth9"] = (1, ["err: [ERROR] You must supply a valid virtual host id"]),
        // With -B ucarp hides configuration errors from the terminal it has not yet left.
        ["-PnzSMDB\t-ieth9\t-v1\t-px\t-s192.0.2.1\t-a192.0.2.100\t-r0"] = (1,
        [
            "err: [WARNING] Warning: no script called when going up",
            "err: [WARNING] Warning: no script called when going down",
            "err: [ERROR] Dead ratio can't be zero",
        ]),
    };

    [TestCaseSource(nameof(Cases))]
    public void Matches_ucarp(Case c)
    {
        var host = new RecordingCliHost();
        string[] args = c.Line.Split('\t');
        CliOutcome outcome = CommandLine.Parse(Program, args, posixlyCorrect: false, host);
        int exit = outcome.ExitCode;
        if (!outcome.ShouldExit)
        {
            exit = CommandLine.Validate(outcome.Configuration!, host, () => "any");
        }

        int expectedExit = c.Exit;
        string[] expected = c.Expected;
        if (Differences.TryGetValue(c.Line, out var ours))
        {
            (expectedExit, expected) = ours;
        }
        expected = WithOwnOptions(expected);
        if (expectedExit == 2)
        {
            // ucarp got past validation and failed to open the interface: the core's
            // part ends at validation, so compare what came before.
            Assert.That(exit, Is.EqualTo(0), "validation should pass");
            expected = expected.TakeWhile(l => !l.Contains("hardware info", StringComparison.Ordinal)).ToArray();
        }
        else
        {
            Assert.That(exit, Is.EqualTo(expectedExit), "exit status");
        }
        Assert.That(host.Transcript, Is.EqualTo(expected));
    }

    /// <summary>
    /// The documented differences Ucarp.Net's own long options make: the usage lists them
    /// right after ucarp's last option line, and getopt's "ambiguous" message lists those
    /// that match the prefix after ucarp's. Everything else stays byte-identical.
    /// </summary>
    static string[] WithOwnOptions(string[] expected)
    {
        const string LastUcarpOption = "out: --xparam=<value> (-x): extra parameter to send to up/down scripts";
        int at = Array.IndexOf(expected, LastUcarpOption);
        if (at >= 0)
        {
            string[] own = UsageText.OwnOptions.TrimEnd('\n').Split('\n').Select(l => "out: " + l).ToArray();
            expected = [.. expected[..(at + 1)], .. own, .. expected[(at + 1)..]];
        }
        return expected.Select(WithOwnPossibilities).ToArray();
    }

    static string WithOwnPossibilities(string line)
    {
        var match = System.Text.RegularExpressions.Regex.Match(line, "option '--([^=']*)[^']*' is ambiguous; possibilities:");
        if (!match.Success)
        {
            return line;
        }
        string prefix = match.Groups[1].Value;
        IEnumerable<string> own = OptionTable.LongOptions.Where(o => o.Value >= '\u0100' && o.Name.StartsWith(prefix, StringComparison.Ordinal))
                                                  .Select(o => $" '--{o.Name}'");
        return line + string.Concat(own);
    }

    [Test]
    public void Golden_file_has_every_case()
    {
        string dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden");
        int cases = File.ReadAllLines(Path.Combine(dir, "cli-cases.txt")).Count(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.That(Cases().Count(), Is.EqualTo(cases));
    }
}
