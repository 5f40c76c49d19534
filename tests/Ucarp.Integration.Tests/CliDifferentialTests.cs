using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Differential fuzzing of the command line against Debian's ucarp 1.5.2: generated
/// argument vectors (options long, short and abbreviated, values at and around their
/// limits, numbers in every base strtoul reads, addresses inet_pton takes or not, missing
/// and repeated arguments) run through both binaries in a namespace holding only "lo",
/// so every vector ends before an interface is opened. Exit status and every line must
/// match, after setting aside the documented differences (the version line, Ucarp.Net's
/// own long options in the usage text). UCARP_DIFF_VECTORS and UCARP_DIFF_SEED set the
/// run (`make fuzz` runs many more).
/// </summary>
public class CliDifferentialTests : NamespaceTest
{
    static readonly string[] Flags = ["-P", "-n", "-D", "-z", "-S", "-M", "-h", "--preempt", "--neutral", "--debug", "--shutdown",
                                      "--ignoreifstate", "--nomcast", "--help", "--pre", "--neu", "--ign", "--nom", "--h", "-PnzS"];
    static readonly string[] WithValue =
    [
        "-i", "-s", "-v", "-p", "-a", "-b", "-k", "-x", "-u", "-d", "-r", "-f", "-o",
        "--interface", "--srcip", "--vhid", "--pass", "--addr", "--advbase", "--advskew", "--xparam", "--upscript",
        "--downscript", "--deadratio", "--facility", "--passfile", "--mcastip", "--mcast", "--int", "--src", "--vh",
        "--adv", "--advb", "--advs", "--dead", "--fac", "--passf", "--pa", "--d", "--up",
    ];
    static readonly string[] Numbers =
    [
        "0", "1", "2", "42", "255", "256", "257", "-1", "0x0", "0x2a", "0XfF", "0x100", "010", "0377", "08", "4294967295",
        "4294967296", "18446744073709551615", "18446744073709551616", "99999999999999999999", " 7", "7 ", "+3", "-0",
        "1e3", "12abc", "abc", "", "0x", "-", "1.5",
    ];
    static readonly string[] Addresses =
    [
        "192.0.2.1", "192.0.2.100", "198.51.100.7", "0.0.0.0", "255.255.255.255", "224.0.0.18", "239.1.2.3", "192.0.2.256",
        "1.2.3", "1.2.3.4.5", "01.2.3.4", "0x7f.0.0.1", "", "192.0.2.1 ", "localhost", "-1.0.0.0",
        // IPv6 addresses are a documented difference (ucarp refuses them; Ipv6OptionsTests cover ours),
        // except text that is neither family's.
        ":::", "2001:db8::1%eth0", "[2001:db8::1]", "1:2:3:4:5:6:7:8:9",
    ];
    static readonly string[] Words = ["eth9", "any", "daemon", "local7", "LOCAL0", "none", "nosuch", "/bin/true", "x", "",
                                      "a-very-long-interface-name", "secret", "12345678901234567890"];

    static string Value(Random r, string option)
    {
        string name = option.TrimStart('-');
        return name switch
        {
            "s" or "srcip" or "src" or "a" or "addr" or "mcastip" or "mcast" => Pick(r, Addresses),
            "v" or "vhid" or "vh" or "b" or "advbase" or "adv" or "advb" or "k" or "advskew" or "advs" or "r" or "deadratio" or "dead" => Pick(r, Numbers),
            "o" or "passfile" or "passf" => Pick(r, ["PASSFILE", "/nonexistent/pass", "EMPTYFILE", "/dev/null", ""]),
            _ => r.Next(4) == 0 ? Pick(r, Numbers) : Pick(r, Words),
        };
    }

    static string Pick(Random r, string[] from) => from[r.Next(from.Length)];

    /// <summary>One vector: mostly well-formed lines near the valid ones, with some noise.</summary>
    static List<string> Vector(Random r)
    {
        var args = new List<string>();
        // A plausible base most of the time, so that validation, not only parsing, is exercised.
        if (r.Next(3) != 0)
        {
            args.AddRange(["-i", "eth9", "-s", "192.0.2.1", "-v", "1", "-p", "secret", "-a", "192.0.2.100"]);
            if (r.Next(2) == 0)
            {
                args.AddRange(["-u", "/bin/true", "-d", "/bin/true"]);
            }
            // Drop one of them now and then: a required option missing.
            if (r.Next(4) == 0)
            {
                int at = r.Next(5) * 2;
                args.RemoveRange(at, 2);
            }
        }
        int extra = r.Next(1, 5);
        for (int i = 0; i < extra; i++)
        {
            switch (r.Next(8))
            {
                case 0:
                    args.Add(Pick(r, Flags));
                    break;
                case 1:
                    args.Add(Pick(r, ["--bogus", "-Q", "--", "-", "--=x", "operand", "--help=1", "--preempt=yes", "-v"]));
                    break;
                default:
                    string option = Pick(r, WithValue);
                    string value = Value(r, option);
                    if (option.StartsWith("--", StringComparison.Ordinal))
                    {
                        if (r.Next(2) == 0) { args.Add(option + "=" + value); } else { args.AddRange([option, value]); }
                    }
                    else
                    {
                        if (r.Next(3) == 0 && value.Length > 0) { args.Add(option + value); } else { args.AddRange([option, value]); }
                    }
                    break;
            }
        }
        // -B and -m are documented differences (usage and errors shown on the terminal; -m accepted): not generated.
        return args;
    }

    [Test]
    public void Generated_command_lines_behave_as_ucarp()
    {
        Binaries.RequireDebian();
        int vectors = int.TryParse(Environment.GetEnvironmentVariable("UCARP_DIFF_VECTORS"), out int n) ? n : 300;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("UCARP_DIFF_SEED"), out int s) ? s : 20261124;
        using var lan = new TestLan(0);
        string ns = lan.Bridge;
        lan.Ip("-n", ns, "link", "del", "br0"); // now nothing but "lo": no interface to fall back on
        string passfile = Path.Combine(lan.Directory, "pass"), empty = Path.Combine(lan.Directory, "empty");
        File.WriteAllText(passfile, "secret\n");
        File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(empty, "");

        var random = new Random(seed);
        var differences = new List<string>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < vectors; i++)
        {
            string[] args = Vector(random).Select(a => a == "PASSFILE" ? passfile : a == "EMPTYFILE" ? empty : a).ToArray();
            var theirs = Run(ns, Binaries.Debian, args);
            var ours = Run(ns, Binaries.Clone, args);
            if (theirs.Exit != ours.Exit || !theirs.Lines.SequenceEqual(ours.Lines))
            {
                differences.Add($"[{string.Join("] [", args)}]\n  ucarp ({theirs.Exit}):\n    {string.Join("\n    ", theirs.Lines)}\n" +
                                $"  ours ({ours.Exit}):\n    {string.Join("\n    ", ours.Lines)}");
            }
        }
        TestContext.Out.WriteLine($"{vectors} vectors (seed {seed}) in {clock.Elapsed.TotalSeconds:F1} s: {differences.Count} differed");
        Assert.That(differences, Is.Empty, string.Join("\n", differences.Take(5)));
    }

    /// <summary>Exit status and lines, stdout's then stderr's, normalised.</summary>
    static (int Exit, List<string> Lines) Run(string ns, string binary, string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "netns", "exec", ns, binary }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }
        using Process p = Process.Start(info)!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(3000))
        {
            p.Kill();
            p.WaitForExit();
            return (-1, ["(still running after 3 s)"]);
        }
        var lines = new List<string>();
        lines.AddRange(Normalise(stdout.Result, "out: ", binary));
        lines.AddRange(Normalise(stderr.Result, "err: ", binary));
        return (p.ExitCode, OwnOptions.Strip(lines));
    }

    static IEnumerable<string> Normalise(string text, string stream, string binary) =>
        text.Split('\n').Where(l => l.Length > 0 && !l.Contains("ucarp 1.5.2", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, "^[0-9T:.-]+: ", ""))
            .Select(l => stream + l.Replace(binary, "PROGRAM", StringComparison.Ordinal));
}
