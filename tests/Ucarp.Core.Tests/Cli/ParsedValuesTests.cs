using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>What the parsed configuration holds: values the golden transcripts cannot show.</summary>
public class ParsedValuesTests
{
    static Configuration Parse(params string[] args)
    {
        var host = new RecordingCliHost();
        CliOutcome outcome = CommandLine.Parse("ucarp", args, posixlyCorrect: false, host);
        Assert.That(outcome.ShouldExit, Is.False, string.Join("\n", host.Transcript));
        return outcome.Configuration!;
    }

    [Test]
    public void Defaults_are_ucarps()
    {
        Configuration c = Parse("-i", "eth0");
        Assert.Multiple(() =>
        {
            Assert.That(c.AdvBase, Is.EqualTo(1));
            Assert.That(c.AdvSkew, Is.EqualTo(0));
            Assert.That(c.DeadRatio, Is.EqualTo(3u));
            Assert.That(c.MulticastAddress.ToString(), Is.EqualTo("224.0.0.18"));
            Assert.That(c.SyslogFacility, Is.EqualTo(SyslogFacilities.Daemon));
            Assert.That(c.Preempt || c.Neutral || c.NoMulticast || c.Daemonize || c.ShutdownAtExit, Is.False);
        });
    }

    [TestCase("256", 0)]
    [TestCase("257", 1)]
    [TestCase("0x1ff", 255)]
    [TestCase("-1", 255)]
    [TestCase("3", 3)]
    public void Advbase_and_advskew_are_truncated_to_a_byte(string text, int expected)
    {
        Configuration c = Parse("-b", text, "-k", text);
        Assert.That(c.AdvBase, Is.EqualTo(expected));
        Assert.That(c.AdvSkew, Is.EqualTo(expected));
    }

    [TestCase("4294967297", 1u)]
    [TestCase("-1", uint.MaxValue)]
    [TestCase("010", 8u)]
    public void Deadratio_is_an_unsigned_int(string text, uint expected) => Assert.That(Parse("-r", text).DeadRatio, Is.EqualTo(expected));

    [Test]
    public void Last_occurrence_wins_and_operands_are_ignored()
    {
        Configuration c = Parse("-i", "eth0", "stray", "--interface=eth1", "-p", "a", "--pass", "b", "x");
        Assert.That(c.Interface, Is.EqualTo("eth1"));
        Assert.That(c.Password, Is.EqualTo("b"));
    }

    [Test]
    public void Posixly_correct_stops_at_the_first_operand()
    {
        var host = new RecordingCliHost();
        CliOutcome outcome = CommandLine.Parse("ucarp", ["-i", "eth0", "stray", "-i", "eth1"], posixlyCorrect: true, host);
        Assert.That(outcome.Configuration!.Interface, Is.EqualTo("eth0"));
    }

    [Test]
    public void An_option_argument_may_look_like_an_option()
    {
        Configuration c = Parse("-x", "-i", "--xparam", "--", "-u", "--help");
        Assert.That(c.XParam, Is.EqualTo("--"));
        Assert.That(c.UpScript, Is.EqualTo("--help"));
        Assert.That(c.Interface, Is.Null);
    }

    [Test]
    public void Clustered_flags_and_attached_arguments()
    {
        Configuration c = Parse("-PnzSMDBieth7", "-k5");
        Assert.Multiple(() =>
        {
            Assert.That(c.Preempt && c.Neutral && c.ShutdownAtExit && c.IgnoreInterfaceState, Is.True);
            Assert.That(c.NoMulticast && c.Debug && c.Daemonize, Is.True);
            Assert.That(c.Interface, Is.EqualTo("eth7"));
            Assert.That(c.AdvSkew, Is.EqualTo(5));
        });
    }

    [Test]
    public void Mcast_prefix_and_short_m_set_the_group()
    {
        Assert.That(Parse("--mcast=239.192.0.7").MulticastAddress.ToString(), Is.EqualTo("239.192.0.7"));
        Assert.That(Parse("-m", "239.1.2.3").MulticastAddress.ToString(), Is.EqualTo("239.1.2.3"));
    }

    [Test]
    public void The_virtual_address_keeps_its_text_for_the_scripts()
    {
        Configuration c = Parse("-a", "192.0.2.100");
        Assert.That(c.VirtualAddressText, Is.EqualTo("192.0.2.100"));
        Assert.That(c.VirtualAddress, Is.EqualTo(new IpAddress(192, 0, 2, 100)));
    }

    [TestCase("pw\r\n", "pw\r")]
    [TestCase("first\nsecond\n", "first")]
    [TestCase("no newline", "no newline")]
    [TestCase("nul\0after\n", "nul")]
    public void Passfile_takes_the_first_line_and_cuts_only_the_newline(string content, string password)
    {
        RecordingCliHost.Passfiles["/virtual/pass"] = new PassfileRead(PassfileStatus.Line, content);
        Assert.That(Parse("-o", "/virtual/pass").Password, Is.EqualTo(password));
    }

    [Test]
    public void A_passfile_others_can_read_is_warned_about_and_still_used()
    {
        RecordingCliHost.Passfiles["/virtual/open"] = new PassfileRead(PassfileStatus.Line, "pw\n", ReadableByOthers: true);
        var host = new RecordingCliHost();
        CliOutcome outcome = CommandLine.Parse("ucarp", ["-o", "/virtual/open"], posixlyCorrect: false, host);
        Assert.That(outcome.Configuration!.Password, Is.EqualTo("pw"));
        Assert.That(host.Stderr, Is.EqualTo(new[] { "[WARNING] Password file [/virtual/open] can be read by other users: make it mode 600" }));
    }

    [Test]
    public void Passfile_reads_at_most_511_bytes()
    {
        RecordingCliHost.Passfiles["/virtual/long"] = new PassfileRead(PassfileStatus.Line, new string('a', 600));
        Assert.That(Parse("-o", "/virtual/long").Password, Has.Length.EqualTo(511));
    }

    [TestCase("LOCAL0", 16 << 3)]
    [TestCase("auth", 4 << 3)]
    [TestCase("Security", 4 << 3)]
    [TestCase("kern", 0)]
    [TestCase("user", 1 << 3)]
    public void Facilities_are_found_case_insensitively(string name, int value) => Assert.That(Parse("-f", name).SyslogFacility, Is.EqualTo(value));

    [Test]
    public void Facility_none_turns_syslog_off_at_once()
    {
        var host = new RecordingCliHost();
        CommandLine.Parse("ucarp", ["-f", "NONE"], posixlyCorrect: false, host);
        Assert.That(host.SyslogDisabled, Is.True);
    }

    [Test]
    public void Usage_text_is_the_same_for_every_way_of_asking()
    {
        foreach (string[] args in new[] { Array.Empty<string>(), ["-h"], ["--help"], ["--he"], ["-Q"] })
        {
            var host = new RecordingCliHost();
            CliOutcome outcome = CommandLine.Parse("ucarp", args, posixlyCorrect: false, host);
            Assert.That(outcome.ExitCode, Is.EqualTo(0));
            Assert.That(string.Join("\n", host.Stdout) + "\n", Is.EqualTo(UsageText.Text));
        }
    }
}
