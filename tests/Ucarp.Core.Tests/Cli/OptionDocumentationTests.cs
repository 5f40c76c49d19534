using System.Text.RegularExpressions;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;

namespace Ucarp.Core.Tests.Cli;

/// <summary>
/// Ucarp.Net's own options are each in the usage text and in ucarp(8)'s OPTIONS, and the
/// ucarp.conf(5) examples written beside them check out: an option added to the table
/// without its documentation fails here.
/// </summary>
public class OptionDocumentationTests
{
    static readonly IEnumerable<LongOption> Own = OptionTable.LongOptions.Where(o => o.Value >= '\u0100');

    /// <summary>The source tree's file (the tests run from bin/...; the tree holds Ucarp.Net.sln).</summary>
    static string Source(string path)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ucarp.Net.sln")))
            {
                return File.ReadAllText(Path.Combine(dir.FullName, path));
            }
        }
        throw new AssertionException("the source tree (Ucarp.Net.sln) is not above " + TestContext.CurrentContext.TestDirectory);
    }

    static string Roff(string name) => "\\-\\-" + name.Replace("-", "\\-", StringComparison.Ordinal);

    [Test]
    public void Every_own_option_has_a_usage_line()
    {
        string[] lines = UsageText.OwnOptions.TrimEnd('\n').Split('\n');
        Assert.Multiple(() =>
        {
            foreach (LongOption option in Own)
            {
                string start = "--" + option.Name + (option.HasArgument ? "=<" : ":");
                Assert.That(lines.Count(l => l.StartsWith(start, StringComparison.Ordinal)), Is.EqualTo(1), option.Name);
            }
            Assert.That(lines, Has.Length.EqualTo(Own.Count()), "one line per option, no line for an option that is not in the table");
        });
    }

    [Test]
    public void Every_own_option_is_an_item_of_the_man_pages_options()
    {
        string[] man = Source("man/ucarp.8").Split('\n');
        Assert.Multiple(() =>
        {
            foreach (LongOption option in Own)
            {
                // An item: a .TP line, then the option's name, not the start of a longer one.
                var name = new Regex(Regex.Escape(Roff(option.Name)) + @"(?![a-z\\])");
                bool item = Enumerable.Range(1, man.Length - 1).Any(i => man[i - 1] == ".TP" && name.IsMatch(man[i]));
                Assert.That(item, Is.True, option.Name);
            }
        });
    }

    [Test]
    public void The_man_page_has_vmac_and_from_keepalived_and_says_neither_is_not_available_yet()
    {
        string man = Source("man/ucarp.8");
        Assert.That(Own.Select(o => o.Name), Has.Some.EqualTo("vmac").And.Some.EqualTo("from-keepalived"));
        Assert.That(man, Does.Not.Contain("not available yet"));
        Assert.That(man, Does.Contain(".SH VIRTUAL MAC\n"));
        Assert.That(man, Does.Contain(".SS Converting a keepalived.conf\n"));
    }

    [Test]
    public void The_vrrp_example_of_ucarp_conf_5_checks_out()
    {
        string man = Source("man/ucarp.conf.5");
        int section = man.IndexOf(".SH VRRP GROUPS", StringComparison.Ordinal);
        Assert.That(section, Is.GreaterThan(0));
        int start = man.IndexOf(".nf\n", section, StringComparison.Ordinal) + 4;
        string example = man[start..man.IndexOf(".fi\n", start, StringComparison.Ordinal)].Replace("\\-", "-", StringComparison.Ordinal);
        ConfigReadResult read = ConfigReader.Read(example, path => path == "/etc/ucarp/pass"
            ? new PassfileRead(PassfileStatus.Line, "secret\n")
            : new PassfileRead(PassfileStatus.OpenFailed, "No such file or directory"));
        Assert.That(read.Diagnostics.Where(d => d.IsError).Select(d => d.Format("example")), Is.Empty);
        Assert.That(read.Groups.Select(g => (g.Name, g.Settings.Vrrp)), Is.EqualTo(new[] { ("gw", (byte)3), ("web", (byte)0) }));
    }
}
