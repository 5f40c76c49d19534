using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Keepalived;

namespace Ucarp.Core.Tests.Keepalived;

/// <summary>
/// Whole files (Inputs/, written for these tests in keepalived's language): gateway.conf
/// converts to exactly its golden output and diagnostics; every input's output checks out
/// with the reader --check-config uses; no input, cut or garbled, makes the converter throw.
/// </summary>
public class KeepalivedGoldenTests
{
    static string Input(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Keepalived", "Inputs", name);

    static KeepalivedConversion ConvertInput(string name) =>
        KeepalivedConverter.Convert(Input(name), name, new DiskFiles(), KeepalivedFakes.Host);

    public static readonly string[] Inputs = ["gateway.conf", "everything.conf", "ipv6.conf", "main.conf"];

    /// <summary>KEEPALIVED_GOLDEN=write rewrites the golden files in the source tree from what the converter prints now: read the diff.</summary>
    static void Rewrite(string name, string text)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ucarp.Net.sln")))
            {
                File.WriteAllText(Path.Combine(dir.FullName, "tests", "Ucarp.Core.Tests", "Keepalived", "Inputs", name), text);
                return;
            }
        }
    }

    [Test]
    public void Gateway_conf_converts_to_its_golden_output()
    {
        KeepalivedConversion c = ConvertInput("gateway.conf");
        if (Environment.GetEnvironmentVariable("KEEPALIVED_GOLDEN") == "write")
        {
            Rewrite("gateway.conf.out", c.Text);
            Rewrite("gateway.conf.err", KeepalivedFakes.Stderr(c) + "\n");
        }
        Assert.Multiple(() =>
        {
            Assert.That(c.Text, Is.EqualTo(File.ReadAllText(Input("gateway.conf.out"))));
            Assert.That(KeepalivedFakes.Stderr(c) + "\n", Is.EqualTo(File.ReadAllText(Input("gateway.conf.err"))));
            Assert.That(c.ExitStatus, Is.EqualTo(KeepalivedConversion.PartlyConverted));
        });
    }

    [Test]
    public void The_readme_shows_gateway_conf_and_its_conversion_as_printed()
    {
        string? readme = null;
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null && readme is null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "README");
            readme = File.Exists(Path.Combine(dir.FullName, "Ucarp.Net.sln")) ? File.ReadAllText(path) : null;
        }
        static string Indented(string text) => string.Concat(text.TrimEnd('\n').Split('\n').Select(l => l.Length == 0 ? "\n" : "    " + l + "\n"));
        KeepalivedConversion c = ConvertInput("gateway.conf");
        Assert.Multiple(() =>
        {
            Assert.That(readme, Does.Contain(Indented(File.ReadAllText(Input("gateway.conf")))), "the input");
            Assert.That(readme, Does.Contain(Indented(KeepalivedFakes.Stderr(c))), "its stderr");
            Assert.That(readme, Does.Contain(Indented(c.Text)), "its output");
        });
    }

    [TestCaseSource(nameof(Inputs))]
    public void Every_input_s_output_checks_out(string name)
    {
        KeepalivedConversion c = ConvertInput(name);
        Assert.That(c.ExitStatus, Is.Not.EqualTo(KeepalivedConversion.NotRead), KeepalivedFakes.Stderr(c));
        Assert.That(c.Groups, Is.GreaterThan(0));
        ConfigReadResult read = ConfigReader.Read(Encoding.Latin1.GetBytes(c.Text), _ => new PassfileRead(PassfileStatus.OpenFailed, "none"));
        Assert.That(read.Diagnostics.Where(d => d.IsError).Select(d => d.Format(name + ".out")), Is.Empty);
        Assert.That(read.Groups, Has.Count.EqualTo(c.Groups));
    }

    /// <summary>
    /// keepalived's own samples (doc/samples in its repository, GPL-2.0-or-later, not kept
    /// here): KEEPALIVED_SAMPLES=DIR converts each keepalived.conf.* in DIR and checks it.
    /// </summary>
    [Test]
    public void Keepalived_s_own_samples_convert_and_check_out_when_given()
    {
        string? dir = Environment.GetEnvironmentVariable("KEEPALIVED_SAMPLES");
        if (dir is null || !Directory.Exists(dir))
        {
            Assert.Ignore("KEEPALIVED_SAMPLES=DIR (keepalived's doc/samples) is not set");
        }
        Assert.Multiple(() =>
        {
            foreach (string file in Directory.GetFiles(dir!, "keepalived.conf*").Order(StringComparer.Ordinal))
            {
                KeepalivedConversion c = KeepalivedConverter.Convert(file, Path.GetFileName(file), new DiskFiles(), KeepalivedFakes.Host);
                TestContext.Out.WriteLine($"{Path.GetFileName(file)}: status {c.ExitStatus}, {c.Groups} groups, {c.GroupsLeftOut} left out, {c.Diagnostics.Count} lines");
                ConfigReadResult read = ConfigReader.Read(c.Text, _ => new PassfileRead(PassfileStatus.OpenFailed, "none"));
                Assert.That(read.Diagnostics.Where(d => d.IsError).Select(d => d.Format(file)), Is.Empty);
            }
        });
    }

    [Test]
    public void Inputs_cut_anywhere_or_garbled_never_throw_and_their_output_checks_out()
    {
        var random = new Random(30);
        List<string> texts = [.. Inputs.Select(n => File.ReadAllText(Input(n), Encoding.Latin1))];
        const string Noise = "{}\"'\\#!@$~ \n\tinclude*?[]/";
        for (int i = 0; i < 400; i++)
        {
            var text = new StringBuilder(texts[i % texts.Count]);
            text.Length = random.Next(text.Length + 1);
            for (int k = random.Next(6); k > 0 && text.Length > 0; k--)
            {
                text[random.Next(text.Length)] = random.Next(3) == 0 ? (char)random.Next(256) : Noise[random.Next(Noise.Length)];
            }
            var files = new MemoryFiles().Add("/k/keepalived.conf", text.ToString()).Add("/k/scripts.conf", texts[0]);
            KeepalivedConversion c = KeepalivedConverter.Convert("/k/keepalived.conf", "k.conf", files, KeepalivedFakes.Host);
            Assert.That(c.ExitStatus, Is.InRange(0, 2));
            ConfigReadResult read = ConfigReader.Read(c.Text, _ => new PassfileRead(PassfileStatus.OpenFailed, "none"));
            Assert.That(read.Diagnostics.Where(d => d.IsError).Select(d => d.Format("seed 30, case " + i)), Is.Empty, text.ToString());
        }
    }
}
