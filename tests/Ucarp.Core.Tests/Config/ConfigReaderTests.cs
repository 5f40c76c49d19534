using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Tests.Cli;

namespace Ucarp.Core.Tests.Config;

/// <summary>Config files and what the reader says of them: every problem, each with its line, in ucarp's words where ucarp has them.</summary>
public class ConfigReaderTests
{
    const string Base = "defaults -i eth0 -s 192.0.2.1 -p pw -u /up -d /down\n";

    internal static ConfigReadResult Read(string text) => ConfigReader.Read(text, new RecordingCliHost().ReadPassfile);

    static string Report(string text)
    {
        ConfigReadResult result = Read(text);
        return string.Join("\n", result.Diagnostics.Select(d => (d.IsError ? "" : "warning ") + d.Format("F")));
    }

    static string Names(string text) => string.Join(" ", Read(text).Groups.Select(g => g.Name));

    [TestCase(Base + "group web -v 1 -a 192.0.2.10\ngroup db -v 2 -a 192.0.2.11\n", "web db")]
    [TestCase("# two groups\n" + Base + "\n group web -v 1 -a 192.0.2.10 # the site\n", "web")]
    [TestCase("", "")]
    public void A_good_file_gives_its_groups_and_no_diagnostic(string text, string names)
    {
        Assert.That(Report(text), Is.Empty);
        Assert.That(Names(text), Is.EqualTo(names));
    }

    [TestCase("group a --bogus", "F:1: unrecognized option '--bogus'")]
    [TestCase("group a -q", "F:1: invalid option -- 'q'")]
    [TestCase("group a --pass", "F:1: option '--pass' requires an argument")]
    [TestCase("group a --preempt=yes", "F:1: option '--preempt' doesn't allow an argument")]
    [TestCase("group a --ch=1", "F:1: option '--ch=1' is ambiguous; possibilities: '--check' '--check-interval' '--check-timeout' '--check-fall' '--check-rise' '--check-weight' '--check-config'")]
    [TestCase("group a -v 300", "F:1: vhid must be between 1 and 255.")]
    [TestCase("group a -a 192.0.2.300", "F:1: Invalid address: [192.0.2.300]")]
    [TestCase("group a --check-fall=0", "F:1: --check-fall must be a whole number from 1 to 1000: [0]")]
    [TestCase("group a -o /nonexistent", "F:1: unable to open passfile /nonexistent for reading: No such file or directory")]
    [TestCase("group a -B", "F:1: -B applies to the whole daemon: give it on the command line")]
    [TestCase("group a -f local0", "F:1: -f applies to the whole daemon: give it on the command line")]
    [TestCase("group a -D", "F:1: -D applies to the whole daemon: give it on the command line")]
    [TestCase("group a --pidfile=/run/u.pid", "F:1: --pidfile applies to the whole daemon: give it on the command line")]
    [TestCase("group a --state-file /s", "F:1: --state-file applies to the whole daemon: give it on the command line")]
    [TestCase("group a --metrics-file=/m", "F:1: --metrics-file applies to the whole daemon: give it on the command line")]
    [TestCase("group a --help", "F:1: -h is not a group option")]
    [TestCase("group a -v 1 stray -a 192.0.2.10", "F:1: unexpected word [stray]: a group takes options only (quote a value that holds spaces)")]
    [TestCase("group a -v 1 -- -a 192.0.2.10", "F:1: unexpected word [-a]: a group takes options only (quote a value that holds spaces)\nF:1: unexpected word [192.0.2.10]: a group takes options only (quote a value that holds spaces)")]
    [TestCase("group", "F:1: group needs a name")]
    [TestCase("group -v 1 -a 192.0.2.10", "F:1: group name [-v] must be 1 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit\nF:1: unexpected word [1]: a group takes options only (quote a value that holds spaces)")]
    [TestCase("groups a", "F:1: expected \"group NAME OPTIONS...\" or \"defaults OPTIONS...\", not [groups]")]
    [TestCase("group a -v 1 -a 192.0.2.10 -k 10# note",
              "F:1: unexpected word [note]: '#' starts a comment only at the start of a word, not inside [10#] (put a space before it)")]
    [TestCase("group a -i 'eth0", "F:1: unterminated ' quote")]
    public void A_bad_word_is_reported_at_its_line(string line, string expected) =>
        Assert.That(Report(Base + "\n" + line), Is.EqualTo(expected.Replace("F:1:", "F:3:")));

    [TestCase("group a -a 192.0.2.10", "F:2: You must supply a valid virtual host id")]
    [TestCase("group a -v 1", "F:2: You must supply a virtual host address")]
    [TestCase("group a -v 1 -a 192.0.2.10 -b 0 -k 0", "F:2: You must supply an advertisement time base")]
    [TestCase("group a -v 1 -a 192.0.2.10 -r 0", "F:2: Dead ratio can't be zero")]
    [TestCase("group a -v 1 -a 2001:db8::10", "F:2: -s [192.0.2.1] and -a [2001:db8::10] are not of the same address family: one ucarp runs one family (start one per family)")]
    [TestCase("group a -v 1 -a 192.0.2.10 --check-rise=3", "F:2: --check-interval, --check-timeout, --check-fall and --check-rise need --check")]
    public void A_group_is_checked_as_its_command_line_would_be(string line, string expected) =>
        Assert.That(Report(Base + line), Is.EqualTo(expected));

    [TestCase("group a -s 192.0.2.1 -p pw -v 1 -a 192.0.2.10", "F:1: You must supply a network interface")]
    [TestCase("group a -i eth0 -s 192.0.2.1 -v 1 -a 192.0.2.10", "F:1: You must supply a password")]
    [TestCase("group a -i eth0 -p pw -v 1 -a 192.0.2.10", "F:1: You must supply a persistent source address")]
    public void No_default_is_guessed_for_what_ucarp_requires(string line, string expected) =>
        Assert.That(Report(line + " -u /u -d /d"), Is.EqualTo(expected));

    [Test]
    public void Ucarp_warnings_are_warnings_and_refuse_nothing()
    {
        string text = "group a -i eth0 -s 192.0.2.1 -p pw -v 1 -a 192.0.2.10";
        Assert.That(Report(text), Is.EqualTo("warning F:1: Warning: no script called when going up or down, for 1 group: a"));
        Assert.That(Read(text).HasErrors, Is.False);
        Assert.That(Names(text), Is.EqualTo("a"));
    }

    [Test]
    public void Each_bad_word_of_a_group_spanning_lines_is_reported_at_its_own_line()
    {
        string text = Base + "group a \\\n  -v 300 \\\n  -a nowhere \\\n  --bogus\n";
        Assert.That(Report(text), Is.EqualTo(
            "F:3: vhid must be between 1 and 255.\nF:4: Invalid address: [nowhere]\nF:5: unrecognized option '--bogus'"));
    }

    [Test]
    public void Every_problem_of_the_file_is_reported()
    {
        string text = Base
            + "group a -v 1 -a 192.0.2.10\n"
            + "group a -v 2 -a 192.0.2.11\n"
            + "group b -v 1 -a 192.0.2.12\n"
            + "group c -v 3 -a 192.0.2.10\n"
            + "group d -v 0x100 -a 192.0.2.13\n"
            + "group e -a 192.0.2.14\n"
            + "bogus\n"
            + "group ok -v 9 -a 192.0.2.19\n";
        Assert.That(Report(text), Is.EqualTo(
            "F:3: group [a] is already declared on line 2\n"
            + "F:4: vhid 1 on eth0 (224.0.0.18) is already used by group [a] on line 2\n"
            + "F:5: address 192.0.2.10 is already group [a]'s, on line 2\n"
            + "F:6: vhid must be between 1 and 255.\n"
            + "F:7: You must supply a valid virtual host id\n"
            + "F:8: expected \"group NAME OPTIONS...\" or \"defaults OPTIONS...\", not [bogus]"));
        Assert.That(Names(text), Is.EqualTo("a ok"));
    }

    [TestCase("group a -v 1 -a 192.0.2.10\ngroup b -v 1 -a 192.0.2.11 -i eth1", "a b")]
    [TestCase("group a -v 1 -a 192.0.2.10\ngroup b -v 1 -a 192.0.2.11 -m 239.0.0.1", "a b")]
    [TestCase("group a -v 1 -a 192.0.2.10 -m 239.0.0.1\ngroup b -v 1 -a 192.0.2.11 --mcastip=239.0.0.1", "")]
    [TestCase("group a -v 1 -a 192.0.2.10 --etcd=http://127.0.0.1:2379\ngroup b -v 1 -a 192.0.2.11 --etcd=http://127.0.0.1:2379", "a b")]
    [TestCase("group a -v 1 -a 192.0.2.10\ngroup b -v 1 -a 192.0.2.11 --etcd=http://127.0.0.1:2379", "a b")]
    [TestCase("group a -v 1 -a 192.0.2.10 --peer 192.0.2.2\ngroup b -v 1 -a 192.0.2.11", "a b")]
    [TestCase("group a -v 1 -a 192.0.2.10 --peer 192.0.2.2\ngroup b -v 1 -a 192.0.2.11 --peer 192.0.2.3", "")]
    [TestCase("group a -v 1 -a 2001:db8::10 -s 2001:db8::1\ngroup b -v 1 -a 192.0.2.11", "a b")]
    public void Vhids_repeat_only_where_adverts_are_told_apart(string groups, string refusedOtherwise)
    {
        ConfigReadResult result = Read(Base + groups);
        bool apart = refusedOtherwise.Length != 0;
        Assert.That(result.HasErrors, Is.EqualTo(!apart), Report(Base + groups));
        Assert.That(Names(Base + groups), Is.EqualTo(apart ? "a b" : "a"));
    }

    [Test]
    public void Later_defaults_override_earlier_ones_option_by_option()
    {
        string text = Base
            + "defaults -k 10 -b 2 --peer 192.0.2.2\n"
            + "group a -v 1 -a 192.0.2.10\n"
            + "defaults -k 20 --peer 192.0.2.3\n"
            + "group b -v 2 -a 192.0.2.11\n"
            + "group c -v 3 -a 192.0.2.12 -k 30 -b 3\n";
        IReadOnlyList<GroupOptions> groups = Read(text).Groups;
        Assert.That(Report(text), Is.Empty);
        Assert.That(groups.Select(g => (g.Name, g.Settings.AdvSkew, g.Settings.AdvBase, string.Join(",", g.Settings.Peers))),
                    Is.EqualTo(new[]
                    {
                        ("a", (byte)10, (byte)2, "192.0.2.2"),
                        ("b", (byte)20, (byte)2, "192.0.2.2,192.0.2.3"),
                        ("c", (byte)30, (byte)3, "192.0.2.2,192.0.2.3"),
                    }));
        Assert.That(groups.Select(g => g.Line), Is.EqualTo(new[] { 3, 5, 6 }));
    }

    [Test]
    public void A_bad_defaults_line_is_reported_once_and_its_groups_are_not_checked_again()
    {
        string text = "defaults -v 300 --bogus\n"
            + "group a -i eth0 -a 192.0.2.10\n"
            + "group b -i eth0 -a 192.0.2.11 -k 999x\n";
        Assert.That(Report(text), Is.EqualTo("F:1: unrecognized option '--bogus'\nF:1: vhid must be between 1 and 255."));
        Assert.That(Read(text).Groups, Is.Empty);
    }

    [Test]
    public void A_readable_passfile_is_a_warning_at_its_line_said_once()
    {
        var passfiles = new Dictionary<string, PassfileRead> { ["/etc/ucarp/pw"] = new(PassfileStatus.Line, "s3cret\n", ReadableByOthers: true) };
        string text = "defaults -i eth0 -s 192.0.2.1 -o /etc/ucarp/pw -u /up -d /down\n"
            + "group a -v 1 -a 192.0.2.10\ngroup b -v 2 -a 192.0.2.11\n";
        ConfigReadResult result = ConfigReader.Read(text, passfiles.GetValueOrDefault);
        Assert.That(result.Diagnostics.Select(d => d.Format("F")),
                    Is.EqualTo(new[] { "F:1: Password file [/etc/ucarp/pw] can be read by other users: make it mode 600" }));
        Assert.That(result.Groups.Select(g => g.Settings.Password), Is.EqualTo(new[] { "s3cret", "s3cret" }));
        Assert.That(result.HoldsPassword, Is.False);
    }

    [TestCase("group a -p x", true)]
    [TestCase("defaults --pass=x", true)]
    [TestCase("group a -o /etc/pw", false)]
    [TestCase("group a -P -n", false)]
    public void The_file_holds_a_password_when_it_gives_one(string line, bool holds) =>
        Assert.That(Read(line).HoldsPassword, Is.EqualTo(holds));

    [TestCase(0b110_000_000, true, false)]
    [TestCase(0b110_100_000, true, true)]
    [TestCase(0b110_000_100, true, true)]
    [TestCase(0b111_011_011, true, false)]
    [TestCase(0b110_100_100, false, false)]
    public void A_file_with_a_password_is_exposed_when_group_or_others_may_read_it(int mode, bool holdsPassword, bool exposed) =>
        Assert.That(ConfigPermissions.PasswordExposed((UnixFileMode)mode, holdsPassword), Is.EqualTo(exposed));

    [TestCase("a", true)]
    [TestCase("web-1.eu_west", true)]
    [TestCase("0vip", true)]
    [TestCase("abcdefghijklmnopqrstuvwxyz012345", true)]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456", false)]
    [TestCase("", false)]
    [TestCase("-a", false)]
    [TestCase(".hidden", false)]
    [TestCase("_x", false)]
    [TestCase("a b", false)]
    [TestCase("a/b", false)]
    [TestCase("a\"b", false)]
    [TestCase("caf\u00e9", false)]
    [TestCase("a{b}", false)]
    public void Group_names_are_safe_in_logs_labels_and_paths(string name, bool valid) =>
        Assert.That(GroupOptions.IsValidName(name), Is.EqualTo(valid));

    static string ManyGroups(int count)
    {
        var text = new System.Text.StringBuilder(Base);
        for (int i = 0; i < count; i++)
        {
            text.Append($"group g{i} -v {i % 255 + 1} -a 10.{i / 256}.{i % 256}.1 -s 10.255.0.1 -m 239.0.{i / 255}.1\n");
        }
        return text.ToString();
    }

    [Test]
    public void Too_many_groups_are_refused_at_the_first_one_over()
    {
        ConfigReadResult result = Read(ManyGroups(ConfigReader.MaxGroups + 1));
        Assert.That(result.Groups, Has.Count.EqualTo(ConfigReader.MaxGroups));
        Assert.That(result.Diagnostics.Select(d => d.Format("F")), Is.EqualTo(new[] { "F:4098: more than 4096 groups" }));
    }

    [Test]
    public void The_report_is_bounded()
    {
        var text = new System.Text.StringBuilder(Base);
        for (int i = 0; i < 1000; i++)
        {
            text.Append($"group g{i} -v 1 -a 192.0.2.10\n");
        }
        ConfigReadResult result = Read(text.ToString());
        Assert.That(result.Groups, Has.Count.EqualTo(1));
        Assert.That(result.Diagnostics, Has.Count.EqualTo(ConfigProblems.MaxErrors + 1));
        Assert.That(result.Diagnostics[^1].Format("F"), Is.EqualTo("F: too many problems, the rest of the file is not checked"));
    }

    [Test]
    public void Four_thousand_groups_are_read_quickly()
    {
        string text = ManyGroups(ConfigReader.MaxGroups);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        ConfigReadResult result = Read(text);
        watch.Stop();
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(result.Groups, Has.Count.EqualTo(ConfigReader.MaxGroups));
        Assert.That(watch.ElapsedMilliseconds, Is.LessThan(5000));
        TestContext.Out.WriteLine($"{ConfigReader.MaxGroups} groups read in {watch.ElapsedMilliseconds} ms");
    }

    [Test]
    public void The_bytes_are_read_as_the_command_line_reads_its_words()
    {
        byte[] file = [.. System.Text.Encoding.ASCII.GetBytes(Base + "group a -v 1 -a 192.0.2.10 -p '"), 0xe9, 0xff, (byte)'\''];
        Assert.That(ConfigReader.Read(file, _ => default).Groups.Single().Settings.Password, Is.EqualTo("\u00e9\u00ff"));
        Assert.That(ConfigReader.Read(new byte[ConfigTokenizer.MaxFileChars + 1], _ => default).Diagnostics.Single().Format("F"),
                    Is.EqualTo("F: the file is larger than 1048576 bytes"));
    }

    /// <summary>
    /// A password longer than CARP's 19 bytes: ucarp refuses it only when it starts (status 2);
    /// in a file it is the file's error, at the group's line, so --check-config reports it and
    /// the daemon never holds a group back for it. 19 bytes pass.
    /// </summary>
    [Test]
    public void A_password_over_19_bytes_is_the_files_error()
    {
        string text = "defaults -i eth0 -s 192.0.2.1 -u /up -d /down\n"
                      + "group ok -v 1 -a 192.0.2.10 -p 1234567890123456789\n"
                      + "group long -v 2 -a 192.0.2.11 -p 12345678901234567890\n";
        Assert.That(Report(text), Is.EqualTo("F:3: Password too long: CARP takes at most 19 bytes (ucarp refuses a longer one when it starts)"));
        Assert.That(Names(text), Is.EqualTo("ok"));
    }

    /// <summary>
    /// ucarp's two "no script" warnings are said once for every group they apply to, at the
    /// first one's line, with the names (eight, then a count): a thousand scriptless groups
    /// made two thousand lines. Groups with --manage-addresses or the script are not named.
    /// </summary>
    [Test]
    public void Scriptless_groups_are_warned_about_in_one_line_each_way()
    {
        string text = "defaults -i eth0 -s 192.0.2.1 -p pw\n"
                      + string.Concat(Enumerable.Range(1, 10).Select(v => $"group g{v} -v {v} -a 192.0.2.{10 + v}\n"))
                      + "group managed -v 20 -a 192.0.2.30 --manage-addresses\n"
                      + "group up -v 21 -a 192.0.2.31 -u /up\n";
        Assert.That(Report(text), Is.EqualTo(
            "warning F:2: Warning: no script called when going up, for 10 groups: g1 g2 g3 g4 g5 g6 g7 g8 and 2 more\n"
            + "warning F:2: Warning: no script called when going down, for 11 groups: g1 g2 g3 g4 g5 g6 g7 g8 and 3 more"));
        Assert.That(Read(text).Groups, Has.Count.EqualTo(12));
    }

    /// <summary>
    /// -k and -b values ucarp would silently wrap or misread (strtoul, then the low byte) are
    /// the file's errors, saying what ucarp would have read; numbers strtoul reads whole
    /// (decimal, 0x hex, 0 octal) up to 255 pass. A command line keeps ucarp's reading.
    /// </summary>
    [TestCase("-k 300", "-k [300] is not a number from 0 to 255: ucarp would read it as 44")]
    [TestCase("-b 300", "-b [300] is not a number from 0 to 255: ucarp would read it as 44")]
    [TestCase("-k -5", "-k [-5] is not a number from 0 to 255: ucarp would read it as 251")]
    [TestCase("-k 10abc", "-k [10abc] is not a number from 0 to 255: ucarp would read it as 10")]
    [TestCase("-b abc", "-b [abc] is not a number from 0 to 255: ucarp would read it as 0")]
    [TestCase("-k 09", "-k [09] is not a number from 0 to 255: ucarp would read it as 0")]
    [TestCase("-k 0x1ff", "-k [0x1ff] is not a number from 0 to 255: ucarp would read it as 255")]
    [TestCase("--advskew=256", "-k [256] is not a number from 0 to 255: ucarp would read it as 0")]
    [TestCase("-b '\u00a01'", "-b [\u00a01] is not a number from 0 to 255: ucarp would read it as 0")]
    [TestCase("-k 0x", "-k [0x] is not a number from 0 to 255: ucarp would read it as 0")]
    [TestCase("-k 0008", "-k [0008] is not a number from 0 to 255: ucarp would read it as 0")]
    [TestCase("--extra-addr=192.0.2.1", "-s [192.0.2.1] is also one of the group's addresses (-a, --extra-addr): a virtual address cannot be this host's own source address")]
    public void Bytes_ucarp_would_wrap_or_misread_are_refused_in_a_file(string option, string expected) =>
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 " + option), Is.EqualTo("F:2: " + expected));

    [TestCase("-k 255")]
    [TestCase("-k 0x10")]
    [TestCase("-k 010")]
    [TestCase("-b 2")]
    [TestCase("-k ' 7'")]
    [TestCase("-k +7")]
    [TestCase("-k 0")]
    [TestCase("-k 00")]
    [TestCase("-k 0X1f")]
    public void Bytes_strtoul_reads_whole_pass(string option) =>
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 " + option), Is.Empty);

    [Test]
    public void A_bad_byte_in_defaults_is_reported_once_at_its_line()
    {
        string text = "defaults -i eth0 -s 192.0.2.1 -p pw -u /up -d /down -k 300\ngroup a -v 1 -a 192.0.2.10\ngroup b -v 2 -a 192.0.2.11\n";
        Assert.That(Report(text), Is.EqualTo("F:1: -k [300] is not a number from 0 to 255: ucarp would read it as 44"));
    }

    [Test]
    public void The_virtual_address_cannot_be_the_source_address() =>
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.1"),
                    Is.EqualTo("F:2: -s [192.0.2.1] is also one of the group's addresses (-a, --extra-addr): a virtual address cannot be this host's own source address"));

    [Test]
    public void A_defaults_line_after_the_last_group_is_warned_about()
    {
        string text = Base + "group a -v 1 -a 192.0.2.10\ndefaults -k 10\n";
        Assert.That(Report(text), Is.EqualTo("warning F:3: this defaults line comes after the last group: it applies to no group"));
        Assert.That(Read(text).HasErrors, Is.False);
        Assert.That(Report(Base + "defaults -k 10\ngroup a -v 1 -a 192.0.2.10\n"), Is.Empty, "one before a group applies to it");
    }

    /// <summary>A -k on a continued line is reported at its own line, not the group's last.</summary>
    [Test]
    public void A_bad_byte_is_reported_at_its_own_line() =>
        Assert.That(Report(Base + "group a -k 300 \\\n  -v 1 -a 192.0.2.10\n"),
                    Is.EqualTo("F:2: -k [300] is not a number from 0 to 255: ucarp would read it as 44"));

    /// <summary>The merged "no script" warning sits at the first named group's line, not a refused one's.</summary>
    [Test]
    public void The_scriptless_warning_is_at_a_named_groups_line()
    {
        string text = "defaults -i eth0 -s 192.0.2.1 -p pw\ngroup bad -v 1 -a 192.0.2.1\ngroup good -v 2 -a 192.0.2.11\n";
        Assert.That(Report(text), Does.Contain("warning F:3: Warning: no script called when going up or down, for 1 group: good"));
    }

    /// <summary>What someone moving from keepalived or from an editor's habits meets first: one clear line each, not a cascade.</summary>
    [Test]
    public void A_blank_after_the_last_backslash_is_one_error_not_a_cascade()
    {
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 \\ \n  -k 10\n"),
                    Is.EqualTo("F:2: a blank after the line's last backslash: the line does not go on to the next (remove the blank)"));
        Assert.That(Read(Base + "group a -v 1 -a 192.0.2.10 \\ \n  -k 10\n").Groups.Single().Settings.AdvSkew, Is.EqualTo(10), "read as the continuation meant");
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 \\\n  -k 10\n"), Is.Empty, "without the blank: no problem");
    }

    [Test]
    public void A_keepalived_block_is_said_once_and_the_rest_of_the_file_is_read()
    {
        string keepalived = "vrrp_instance VI_1 {\n  state MASTER\n  virtual_ipaddress {\n    192.0.2.5\n  }\n}\n";
        Assert.That(Report(Base + keepalived + "group a -v 1 -a 192.0.2.10\n"),
                    Is.EqualTo("F:2: [vrrp_instance] looks like keepalived's configuration: this file takes one line per group, \"group NAME OPTIONS...\" (ucarp --from-keepalived=FILE converts a keepalived.conf)"));
        Assert.That(Names(Base + keepalived + "group a -v 1 -a 192.0.2.10\n"), Is.EqualTo("a"));
    }

    [Test]
    public void A_byte_order_mark_is_not_a_word()
    {
        byte[] text = [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.ASCII.GetBytes(Base + "group a -v 1 -a 192.0.2.10\n")];
        ConfigReadResult result = ConfigReader.Read(text, new RecordingCliHost().ReadPassfile);
        Assert.That((result.Diagnostics, result.Groups.Single().Name), Is.EqualTo((Array.Empty<ConfigDiagnostic>(), "a")));
    }
}
