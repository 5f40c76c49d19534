using FsCheck;
using FsCheck.Fluent;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Tests.Cli;

namespace Ucarp.Core.Tests.Config;

/// <summary>
/// Round trips (a command line written into a file is the same group; any words, quoted
/// any way, come back as they were) and hostile input (any bytes, any mangling of a good
/// file: a result, never an exception, and a bounded report).
/// </summary>
public class ConfigProperties
{
    static readonly FsCheck.Config Runs = FsCheck.Config.QuickThrowOnFailure.WithMaxTest(2000);

    /// <summary>A shell's single quoting: every character kept, a quote written '\''.</summary>
    static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";

    [TestCase("-i eth0 -s 192.0.2.1 -v 7 -p pa ss -a 192.0.2.10 -u /up -d /down -P -n -b 3 -k 40 -r 5 -z -S -x x param --no-bowout --check pidof sshd --check-interval=0.5 --check-fall 3")]
    [TestCase("--interface=eth1 --srcip 2001:db8::1 --vhid=9 --pass=pw --addr=2001:db8::9 --upscript=/u --downscript=/d --peer=2001:db8::2 --peer 2001:db8::3 --peer 2001:db8::2")]
    [TestCase("-i eth0 -s 192.0.2.1 -v 1 -p pw -a 192.0.2.10 -u /u -d /d --etcd=https://127.0.0.1:2379,https://127.0.0.2 --etcd-prefix=/x/ --etcd-user=u --etcd-password-file=/p")]
    [TestCase("-ieth0 -s192.0.2.1 -v1 -ppw -a192.0.2.10 -u/u -d/d -PnzSM -m 239.1.1.1 -k 30 -b 2")]
    [TestCase("-i eth0 -s 192.0.2.1 -v 0x10 -o /tmp/ucarp-cli-golden/pass -a 10.0.0.1 -u /u -d /d --check-timeout 1 --check=true")]
    [TestCase("--interf eth0 --src 192.0.2.1 --vh 2 --pass pw --addr 192.0.2.10 --up /u --down /d --ignore --advs=4")]
    [TestCase("-i eth0 -s 192.0.2.1 -v 7 -a 192.0.2.10 -u /u -d /d --vrrp=3 --priority 200 --advert-int=0.5 --preempt-delay=2.5 --vrrp-checksum=rfc --peer 192.0.2.2")]
    [TestCase("-i eth0 -s fe80::1 -v 7 -a 2001:db8::10 -u /u -d /d --vrrp 3 --no-preempt --advert-int 3")]
    [TestCase("-i eth0 -s 192.0.2.1 -v 7 -a 192.0.2.10 -u /u -d /d --vrrp 2 -p pa ss --no-preempt --advert-int 3 --check=true --check-weight=20")]
    public void A_command_line_written_as_a_group_is_the_same_group(string line)
    {
        // The words as a test writes them: "pa ss", "x param" and "pidof sshd" are one word each.
        List<string> args = [.. line.Replace("pa ss", "pa\u0001ss").Replace("x param", "x\u0001param").Replace("pidof sshd", "pidof\u0001sshd")
                                    .Split(' ').Select(w => w.Replace('\u0001', ' '))];
        var host = new RecordingCliHost();
        CliOutcome outcome = CommandLine.Parse("ucarp", args, posixlyCorrect: false, host);
        Assert.That(outcome.ShouldExit, Is.False, string.Join("\n", host.Transcript));
        Assert.That(CommandLine.Validate(outcome.Configuration!, host, () => null), Is.Zero, string.Join("\n", host.Transcript));
        var fromCommandLine = new GroupOptions("cli", 0, outcome.Configuration!);

        ConfigReadResult read = ConfigReaderTests.Read("group g " + string.Join(" ", args.Select(Quote)) + "\n");
        Assert.That(read.Diagnostics, Is.Empty);
        Assert.That(read.Groups.Single().Describe(), Is.EqualTo(fromCommandLine.Describe()));
        Assert.That(ReloadDiff.Differences(read.Groups.Single(), fromCommandLine), Is.Empty);
    }

    /// <summary>One word written one of the ways a shell reads it back as itself.</summary>
    static string Spell(string word, int style) => style switch
    {
        0 => Quote(word),
        1 => "\"" + string.Concat(word.Select(c => c is '\\' or '"' or '$' or '`' ? "\\" + c : c.ToString())) + "\"",
        // A backslash before CR LF continues the line (files edited on Windows): CR is quoted.
        2 => word.Length == 0 ? "''" : string.Concat(word.Select(c => c is '\n' or '\r' ? $"'{c}'" : "\\" + c)),
        _ => word.Length == 0 || word.Any(c => " \t\r\n'\"\\#".Contains(c)) ? Quote(word) : word,
    };

    [Test]
    public void Any_words_quoted_any_way_come_back_as_they_were()
    {
        Gen<string> words = Gen.Elements("a", "b", " ", "\t", "\n", "\r", "'", "\"", "\\", "#", "$", "`", "=", "-", "\u00e9", "\u00ff")
                               .ArrayOf().Select(parts => string.Concat(parts));
        Gen<(string Word, int Style)[]> lines = Gen.Zip(words, Gen.Choose(0, 3)).ArrayOf();
        Prop.ForAll(lines.ToArbitrary(), line =>
        {
            // Words are joined by a space or a backslash-newline; a first word of "group" stands for
            // any line, a last word of "end" keeps a word of blanks spelled " \ " from ending it
            // (that spelling is refused: ConfigReaderTests.A_blank_after_the_last_backslash...).
            string text = string.Concat(line.Select((w, i) => (i % 3 == 2 ? " \\\n" : " ") + Spell(w.Word, w.Style)));
            var problems = new ConfigProblems();
            IReadOnlyList<ConfigLine> read = ConfigTokenizer.Tokenize("group" + text + " end\n# end\n", problems);
            string[] expected = ["group", .. line.Select(w => w.Word), "end"];
            return problems.All.Count == 0 && read.Count == 1 && read[0].Words.Select(w => w.Text).SequenceEqual(expected);
        }).Check(Runs);
    }

    static void Bounded(ConfigReadResult result, string text)
    {
        int lines = text.Count(c => c == '\n') + 1;
        Assert.That(result.Diagnostics.Count(d => d.IsError), Is.LessThanOrEqualTo(ConfigProblems.MaxErrors + 1));
        Assert.That(result.Diagnostics.All(d => d.Line >= 0 && d.Line <= lines), Is.True);
        Assert.That(result.Groups.All(g => g.Settings.Vhid != 0 && !g.Settings.VirtualAddress.IsZero && GroupOptions.IsValidName(g.Name)), Is.True);
    }

    [Test]
    public void Any_bytes_give_a_result_and_a_bounded_report()
    {
        // Half of the bytes are the ones the tokenizer and getopt treat specially.
        Gen<byte> special = Gen.Elements("'\"\\#\n\r\0 -=:".Select(c => (byte)c).ToArray());
        Gen<byte[]> bytes = Gen.OneOf(Gen.Choose(0, 255).Select(b => (byte)b), special).ArrayOf();
        Prop.ForAll(bytes.ToArbitrary(), file =>
        {
            ConfigReadResult result = ConfigReader.Read(file, new RecordingCliHost().ReadPassfile);
            Bounded(result, System.Text.Encoding.Latin1.GetString(file));
        }).Check(Runs);
    }

    const string Good = "# a good file\n"
        + "defaults -i eth0 -s 192.0.2.1 --pass='s3 cret' -u /up -d /down \\\n   --advbase 2\n"
        + "group web -v 1 -a 192.0.2.10 --check \"curl -f http://127.0.0.1/\"\n"
        + "group db -v 2 -a 192.0.2.11 -k 50 --peer 192.0.2.2\n"
        + "group etcd -v 2 -a 192.0.2.12 --etcd=http://127.0.0.1:2379 --etcd-prefix=/x\n";

    [Test]
    public void Any_mangling_of_a_good_file_gives_a_result_and_a_bounded_report()
    {
        Assert.That(ConfigReaderTests.Read(Good).Diagnostics, Is.Empty);
        Gen<char> hostile = Gen.Elements('\'', '"', '\\', '#', '\n', ' ', '-', '=', '\0', 'x', '1', ':', '\r');
        Gen<(int At, char C, bool Delete)[]> edits = Gen.Zip(Gen.Zip(Gen.Choose(0, Good.Length), hostile), Gen.Elements(true, false),
                                                             (e, delete) => (e.Item1, e.Item2, delete)).ArrayOf();
        Prop.ForAll(edits.ToArbitrary(), list =>
        {
            var text = new System.Text.StringBuilder(Good);
            foreach ((int at, char c, bool delete) in list)
            {
                int i = Math.Min(at, text.Length);
                if (delete && i < text.Length)
                {
                    text.Remove(i, 1);
                }
                else
                {
                    text.Insert(i, c);
                }
            }
            Bounded(ConfigReaderTests.Read(text.ToString()), text.ToString());
        }).Check(Runs);
    }
}
