using Ucarp.Core.Cli;
using Ucarp.Core.Config;

namespace Ucarp.Core.Tests.Config;

/// <summary>
/// VRRP groups in a config file: their options in a group and in defaults, their errors
/// reported at their lines as --check-config shows them, and reloads that see a change.
/// </summary>
public class VrrpConfigTests
{
    const string Base = "defaults -i eth0 -s 192.0.2.1 -u /up -d /down\n";

    static string Report(string text) =>
        string.Join("\n", ConfigReaderTests.Read(text).Diagnostics.Select(d => (d.IsError ? "" : "warning ") + d.Format("F")));

    static Dictionary<string, Configuration> Groups(string text)
    {
        ConfigReadResult read = ConfigReaderTests.Read(text);
        Assert.That(read.Diagnostics.Select(d => d.Format("F")), Is.Empty);
        return read.Groups.ToDictionary(g => g.Name, g => g.Settings);
    }

    [Test]
    public void Vrrp_options_work_in_a_group_and_in_defaults()
    {
        Dictionary<string, Configuration> g = Groups(Base
            + "defaults --vrrp=3 --advert-int=0.5 --preempt-delay 10\n"
            + "group web -v 1 -a 192.0.2.10 --priority=200 --vrrp-checksum=rfc\n"
            + "group db -v 2 -a 192.0.2.11 --vrrp=2 -p secret --advert-int 2 --priority 50\n");
        Assert.That((g["web"].Vrrp, g["web"].Priority, g["web"].AdvertIntervalCentis, g["web"].PreemptDelay, g["web"].VrrpChecksumRfc, g["web"].Password),
                    Is.EqualTo(((byte)3, (byte)200, (ushort)50, 10_000_000L, true, (string?)null)));
        // A group's own value overrides the defaults', option by option.
        Assert.That((g["db"].Vrrp, g["db"].Priority, g["db"].AdvertIntervalCentis, g["db"].PreemptDelay, g["db"].Password),
                    Is.EqualTo(((byte)2, (byte)50, (ushort)200, 10_000_000L, "secret")));
    }

    [Test]
    public void A_vrrp_group_is_checked_as_its_command_line_would_be_at_its_line()
    {
        Assert.That(Report(Base + "defaults --vrrp=3\ngroup a -v 1 -a 192.0.2.10 --no-preempt --preempt-delay=5\n"),
                    Is.EqualTo("F:3: --preempt-delay cannot be used with --no-preempt: a group that never preempts has nothing to delay"));
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 -p pw --priority 50\n"),
                    Is.EqualTo("F:2: --priority needs --vrrp=2 or --vrrp=3: it is an option of VRRP groups"));
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 --vrrp=3 --advert-int=41\n"),
                    Is.EqualTo("F:2: --advert-int [41] is out of range for VRRP version 3: 0.01 to 40.95 seconds"));
        // A bad value is reported at the line of its word, as -k 300 is.
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 --vrrp=3 \\\n  --priority=300\n"),
                    Is.EqualTo("F:3: --priority must be a whole number from 1 to 255: [300]"));
        Assert.That(Report(Base + "group a -v 1 -a 192.0.2.10 --vrrp=3 -k 300\n"),
                    Is.EqualTo("F:2: -k [300] is not a number from 0 to 255: ucarp would read it as 44"));
    }

    [Test]
    public void Carp_defaults_a_vrrp_group_cannot_take_are_its_errors()
    {
        const string Defaults = "defaults -i eth0 -s 192.0.2.1 -p pw -k 10 -u /up -d /down\n";
        Assert.That(Report(Defaults + "group carp -v 1 -a 192.0.2.10\ngroup vrrp -v 2 -a 192.0.2.11 --vrrp=3\n"),
                    Is.EqualTo("F:3: -k/--advskew does not apply to a VRRP group: give --priority (1-255, the highest is master)"));
        Assert.That(Report(Defaults.Replace(" -k 10", "") + "group vrrp -v 2 -a 192.0.2.11 --vrrp=3\n"),
                    Is.EqualTo("F:2: VRRP version 3 has no authentication (RFC 5798): drop -p/-o"));
        // Version 2 takes the defaults' password (PASS), which CARP's 19-byte limit does not judge.
        Assert.That(Groups(Defaults.Replace(" -k 10", "") + "group vrrp -v 2 -a 192.0.2.11 --vrrp=2\n")["vrrp"].Password, Is.EqualTo("pw"));
        Assert.That(Report(Base + "group vrrp -v 2 -a 192.0.2.11 --vrrp=2 -p 123456789\n"),
                    Is.EqualTo("F:2: Password too long: VRRP version 2 takes at most 8 bytes (RFC 3768's simple text password)"));
    }

    [Test]
    public void A_vrrp_group_needs_no_password_in_a_file()
    {
        Dictionary<string, Configuration> g = Groups("group a -i eth0 -s 192.0.2.1 -v 1 -a 192.0.2.10 -u /u -d /d --vrrp=3\n"
                                                     + "group b -i eth0 -s 192.0.2.1 -v 2 -a 192.0.2.11 -u /u -d /d --vrrp=2\n");
        Assert.That((g["a"].Password, g["b"].Password), Is.EqualTo(((string?)null, (string?)null)));
        Assert.That(Report("group c -i eth0 -s 192.0.2.1 -v 3 -a 192.0.2.12 -u /u -d /d\n"), Is.EqualTo("F:1: You must supply a password"));
    }

    [TestCase("group a -v 1 -a 192.0.2.10\ngroup b -v 1 -a 192.0.2.11 -p '' --vrrp=3")]
    [TestCase("group a -v 1 -a 192.0.2.10 --vrrp=2\ngroup b -v 1 -a 192.0.2.11 --vrrp=3 -p ''")]
    public void A_vhid_speaks_carp_or_vrrp_on_a_link_not_both(string groups)
    {
        // CARP and VRRP share protocol 112 and 224.0.0.18: one vhid/VRID, one protocol on a link.
        Assert.That(Report(Base.Replace("-i eth0", "-i eth0 -p pw") + groups),
                    Is.EqualTo("F:3: vhid 1 on eth0 (224.0.0.18) is already used by group [a] on line 2"));
        Assert.That(Report(Base.Replace("-i eth0", "-i eth0 -p pw") + groups.Replace("-v 1 -a 192.0.2.11", "-v 2 -a 192.0.2.11")), Is.Empty);
    }

    static string Changes(string before, string after)
    {
        ReloadPlan plan = ReloadDiff.Compute(ConfigReaderTests.Read(before).Groups, ConfigReaderTests.Read(after).Groups);
        Assert.That(plan.Unchanged.Count + plan.Changed.Count, Is.EqualTo(1));
        return string.Join(" ", plan.Changed.SelectMany(c => c.Options));
    }

    [TestCase("--priority=150", "--priority")]
    [TestCase("--priority=100", "")]
    [TestCase("--advert-int=0.5", "--advert-int")]
    [TestCase("--no-preempt", "--no-preempt")]
    [TestCase("--preempt-delay=3", "--preempt-delay")]
    [TestCase("--vrrp-checksum=rfc", "--vrrp-checksum")]
    [TestCase("--vrrp-checksum=pseudo", "")]
    // A default written out is no change: the group keeps running (and its adverts, no bow-out).
    public void A_reload_sees_a_changed_vrrp_option(string option, string changed)
    {
        string before = Base + "group a -v 1 -a 192.0.2.10 --vrrp=3\n";
        Assert.That(Changes(before, before.Replace("--vrrp=3", "--vrrp=3 " + option)), Is.EqualTo(changed));
        Assert.That(Changes(before, before.Replace("--vrrp=3", "--vrrp=2")), Is.EqualTo("--vrrp"));
        Assert.That(Changes(before, before.Replace(" --vrrp=3", " -p pw")), Is.EqualTo("--pass --vrrp"));
        // Written another way, the same group keeps running.
        string written = before.Replace("--vrrp=3", "--vrrp 3 " + option.Replace("=", " "));
        Assert.That(Changes(before.Replace("--vrrp=3", "--vrrp=3 " + option), written), Is.Empty);
    }

    [TestCase("--vrrp=3", "--vrrp")]
    [TestCase("--priority=100", "--priority")]
    [TestCase("-k 0", "--advskew")]
    [TestCase("-b 1", "--advbase")]
    [TestCase("-r 3", "--deadratio")]
    public void A_group_option_beside_config_is_seen_even_at_its_default(string option, string named)
    {
        // ConfigMode refuses a group option on the command line beside --config, naming the first that differs.
        var host = new Cli.RecordingCliHost();
        Configuration c = CommandLine.Parse("ucarp", ["--config=/etc/ucarp.conf", .. option.Split(' ')], posixlyCorrect: false, host).Configuration!;
        IReadOnlyList<string> differences = GroupOptions.Given(c);
        Assert.That(differences.FirstOrDefault()?.Split(' ')[0], Is.EqualTo(named));
    }
}
