using Ucarp.Core.Cli;
using Ucarp.Core.Config;

namespace Ucarp.Core.Tests.Config;

/// <summary>
/// examples/ucarp.conf, the file ucarp.conf(5) and the packages show: it must check out,
/// declare what its comments say, and be the man page's example word for word.
/// </summary>
public class ShippedExampleTests
{
    // The csproj copies examples/ucarp.conf and man/ucarp.conf.5 beside the tests.
    static string Shipped(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Shipped", name);

    static readonly string Example = File.ReadAllText(Shipped("ucarp.conf"));

    // The example's one passfile: present, mode 600.
    static PassfileRead Passfile(string path) => path == "/etc/ucarp/pass"
        ? new PassfileRead(PassfileStatus.Line, "secret\n")
        : new PassfileRead(PassfileStatus.OpenFailed, "No such file or directory");

    [Test]
    public void The_example_checks_out_without_a_single_diagnostic()
    {
        ConfigReadResult result = ConfigReader.Read(System.Text.Encoding.Latin1.GetBytes(Example), Passfile);
        Assert.That(result.Diagnostics.Select(d => d.Format("examples/ucarp.conf")), Is.Empty);
        Assert.That(result.Groups.Select(g => g.Name), Is.EqualTo(new[] { "mail", "web-a", "web-b", "fw-outside", "fw-inside" }));
    }

    [Test]
    public void The_example_declares_what_its_comments_say()
    {
        Dictionary<string, Configuration> g = ConfigReader.Read(Example, Passfile).Groups.ToDictionary(x => x.Name, x => x.Settings);
        Assert.Multiple(() =>
        {
            Assert.That(g["mail"].ExtraAddresses.Select(a => a.ToString()), Is.EqualTo(new[] { "192.0.2.21", "192.0.2.22" }));
            Assert.That(g["mail"].ManageAddresses && g["mail"].UpScript is null, Is.True, "mail needs no script");
            Assert.That(g["web-a"].UpScript, Is.EqualTo("/usr/share/ucarp/vip-addr-up"), "the second defaults line adds up");
            Assert.That((g["web-a"].AdvSkew, g["web-b"].AdvSkew), Is.EqualTo(((byte)0, (byte)100)), "active-active");
            Assert.That(g.Values.All(c => c.Preempt && c.ShutdownAtExit && c.Password == "secret"), Is.True);
            Assert.That((g["fw-outside"].SyncSet, g["fw-inside"].SyncSet), Is.EqualTo(("firewall", "firewall")));
            Assert.That((g["fw-outside"].Interface, g["fw-inside"].Interface, g["web-a"].Interface), Is.EqualTo(("eth1", "eth2", "eth0")));
            Assert.That(g["fw-outside"].Check, Is.EqualTo("ping -c 1 -W 1 198.51.100.254"));
        });
    }

    [Test]
    public void The_man_page_shows_the_example_as_shipped()
    {
        // In roff a backslash is written \e and a minus \-; a line that starts with a
        // dot or a quote would be a request, so \& keeps it text.
        static string Roff(string line)
        {
            string escaped = line.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal);
            return escaped.StartsWith('.') || escaped.StartsWith('\'') ? "\\&" + escaped : escaped;
        }
        string roff = string.Join("\n", Example.TrimEnd('\n').Split('\n').Select(Roff));
        Assert.That(File.ReadAllText(Shipped("ucarp.conf.5")).Contains(".nf\n" + roff + "\n.fi\n", StringComparison.Ordinal), Is.True,
                    "man/ucarp.conf.5 should hold examples/ucarp.conf in a .nf block, roff-escaped");
    }
}
