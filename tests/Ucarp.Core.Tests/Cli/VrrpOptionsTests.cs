using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>
/// --vrrp and its options: values, defaults, every rule a VRRP group's command line must
/// follow (one error line each, status 1), and a CARP command line checked as before.
/// </summary>
public class VrrpOptionsTests
{
    // No password: a VRRP group needs none.
    static readonly string[] V4 = ["-i", "eth0", "-s", "192.0.2.1", "-v", "1", "-a", "192.0.2.100", "-u", "/up", "-d", "/down"];
    static readonly string[] V6 = ["-i", "eth0", "-s", "fe80::1", "-v", "1", "-a", "2001:db8::100", "-u", "/up", "-d", "/down"];
    static readonly string[] Carp = ["-i", "eth0", "-s", "192.0.2.1", "-v", "1", "-p", "pw", "-a", "192.0.2.100", "-u", "/up", "-d", "/down"];

    static (int Exit, Configuration? Config, List<string> Transcript) Run(string[] required, params string[] args) => CliRun.Run(required, args);

    /// <summary>Refused with status 1 and exactly this one error line.</summary>
    static void Refused((int Exit, Configuration? Config, List<string> Transcript) run, string message)
    {
        Assert.That(run.Exit, Is.EqualTo(1), string.Join("\n", run.Transcript));
        Assert.That(run.Transcript.Where(l => l.StartsWith("err: [ERROR]", StringComparison.Ordinal)),
                    Is.EqualTo(new[] { "err: [ERROR] " + message }));
    }

    static void Accepted((int Exit, Configuration? Config, List<string> Transcript) run)
    {
        Assert.That(run.Exit, Is.Zero, string.Join("\n", run.Transcript));
        Assert.That(run.Transcript, Is.Empty);
    }

    [Test]
    public void A_carp_command_line_is_carp_with_the_vrrp_defaults_untouched()
    {
        var run = Run(Carp);
        Accepted(run);
        Configuration c = run.Config!;
        Assert.That((c.Vrrp, c.Priority, c.PriorityGiven, c.AdvertIntervalCentis, c.AdvertIntervalGiven),
                    Is.EqualTo(((byte)0, (byte)100, false, (ushort)100, false)));
        Assert.That((c.NoPreempt, c.PreemptDelay, c.PreemptDelayGiven, c.VrrpChecksumRfc, c.VrrpChecksumGiven),
                    Is.EqualTo((false, 0L, false, false, false)));
        Assert.That((c.AdvBaseGiven, c.AdvSkewGiven, c.DeadRatioGiven, c.PreemptGiven), Is.EqualTo((false, false, false, false)));
    }

    [Test]
    public void A_carp_group_still_needs_its_password_first()
    {
        // ucarp's order: the password before the source address, and before any option of ours.
        var run = Run(["-i", "eth0", "-v", "1", "-a", "192.0.2.100"], "--priority=50");
        Refused(run, "You must supply a password");
    }

    [Test]
    public void Advbase_advskew_deadratio_and_preempt_are_noted_as_given_even_at_their_defaults()
    {
        var run = Run(Carp, "-b", "1", "-k", "0", "-r", "3", "-P");
        Accepted(run);
        Configuration c = run.Config!;
        Assert.That((c.AdvBase, c.AdvSkew, c.DeadRatio), Is.EqualTo(((byte)1, (byte)0, 3u)), "the values are ucarp's defaults");
        Assert.That((c.AdvBaseGiven, c.AdvSkewGiven, c.DeadRatioGiven, c.PreemptGiven), Is.EqualTo((true, true, true, true)));
    }

    [Test]
    public void A_vrrp_group_needs_no_password_and_takes_the_rfc_defaults()
    {
        foreach (string version in new[] { "2", "3" })
        {
            var run = Run(V4, "--vrrp=" + version);
            Accepted(run);
            Configuration c = run.Config!;
            Assert.That((c.Vrrp, c.Priority, c.AdvertIntervalCentis, c.NoPreempt, c.PreemptDelay, c.VrrpChecksumRfc, c.Password),
                        Is.EqualTo(((byte)(version[0] - '0'), (byte)100, (ushort)100, false, 0L, false, (string?)null)));
        }
    }

    [Test]
    public void Values_are_taken_and_seconds_may_have_a_fraction()
    {
        var run = Run(V4, "--vrrp", "3", "--priority=254", "--advert-int=0.05", "--preempt-delay", "2.5", "--vrrp-checksum=rfc");
        Accepted(run);
        Configuration c = run.Config!;
        Assert.That((c.Priority, c.PriorityGiven, c.AdvertIntervalCentis, c.AdvertIntervalGiven, c.PreemptDelay, c.PreemptDelayGiven, c.VrrpChecksumRfc),
                    Is.EqualTo(((byte)254, true, (ushort)5, true, 2_500_000L, true, true)));
        Assert.That(Run(V4, "--vrrp=3", "--vrrp-checksum=pseudo").Config!.VrrpChecksumRfc, Is.False);
        Assert.That(Run(V4, "--vrrp=3", "--no-preempt").Config!.NoPreempt, Is.True);
        Assert.That(Run(V4, "--vrrp=3", "--preempt-delay=0").Config!.PreemptDelay, Is.Zero);
        Assert.That(Run(V4, "--vrrp=3", "--preempt-delay=1000").Config!.PreemptDelay, Is.EqualTo(1_000_000_000L));
    }

    [TestCase("3", "0.01", 1)]
    [TestCase("3", "0.29", 29)]
    [TestCase("3", "1", 100)]
    [TestCase("3", "40.95", 4095)]
    [TestCase("3", "2.50", 250)]
    [TestCase("2", "1", 100)]
    [TestCase("2", "1.00", 100)]
    [TestCase("2", "255", 25500)]
    public void An_advert_interval_in_range_for_the_version_is_taken(string version, string seconds, int centis)
    {
        var run = Run(V4, "--advert-int=" + seconds, "--vrrp=" + version);
        Accepted(run);
        Assert.That(run.Config!.AdvertIntervalCentis, Is.EqualTo(centis));
    }

    [TestCase("--vrrp=4", "--vrrp must be 2 or 3, the VRRP version: [4]")]
    [TestCase("--vrrp=", "--vrrp must be 2 or 3, the VRRP version: []")]
    [TestCase("--vrrp=02", "--vrrp must be 2 or 3, the VRRP version: [02]")]
    [TestCase("--vrrp=v3", "--vrrp must be 2 or 3, the VRRP version: [v3]")]
    [TestCase("--priority=0", "--priority must be a whole number from 1 to 255: [0]")]
    [TestCase("--priority=256", "--priority must be a whole number from 1 to 255: [256]")]
    [TestCase("--priority=0x10", "--priority must be a whole number from 1 to 255: [0x10]")]
    [TestCase("--priority=-5", "--priority must be a whole number from 1 to 255: [-5]")]
    [TestCase("--priority=", "--priority must be a whole number from 1 to 255: []")]
    [TestCase("--advert-int=0", "--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [0]")]
    [TestCase("--advert-int=0.001", "--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [0.001]")]
    [TestCase("--advert-int=0.015", "--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [0.015]")]
    [TestCase("--advert-int=255.01", "--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [255.01]")]
    [TestCase("--advert-int=-1", "--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [-1]")]
    [TestCase("--advert-int=1e2", "--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [1e2]")]
    [TestCase("--advert-int=99999999999999999999999999999999", "--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [99999999999999999999999999999999]")]
    [TestCase("--preempt-delay=-1", "--preempt-delay must be a number of seconds from 0 to 1000: [-1]")]
    [TestCase("--preempt-delay=1000.5", "--preempt-delay must be a number of seconds from 0 to 1000: [1000.5]")]
    [TestCase("--preempt-delay=abc", "--preempt-delay must be a number of seconds from 0 to 1000: [abc]")]
    [TestCase("--vrrp-checksum=RFC", "--vrrp-checksum must be pseudo or rfc: [RFC]")]
    [TestCase("--vrrp-checksum=none", "--vrrp-checksum must be pseudo or rfc: [none]")]
    public void Bad_values_are_refused_with_status_1(string option, string message) =>
        Refused(Run(V4, "--vrrp=3", option), message);

    [TestCase("--priority=50")]
    [TestCase("--advert-int=1")]
    [TestCase("--no-preempt")]
    [TestCase("--preempt-delay=0")]
    [TestCase("--vrrp-checksum=pseudo")]
    public void A_vrrp_option_without_vrrp_is_refused_by_name(string option)
    {
        string name = option.Split('=')[0];
        Refused(Run(Carp, option), name + " needs --vrrp=2 or --vrrp=3: it is an option of VRRP groups");
    }

    [TestCase("-b", "1", "-b/--advbase does not apply to a VRRP group: give --advert-int")]
    [TestCase("-b", "0", "-b/--advbase does not apply to a VRRP group: give --advert-int")]
    [TestCase("-k", "0", "-k/--advskew does not apply to a VRRP group: give --priority (1-255, the highest is master)")]
    [TestCase("--advskew", "100", "-k/--advskew does not apply to a VRRP group: give --priority (1-255, the highest is master)")]
    [TestCase("-r", "3", "-r/--deadratio does not apply to a VRRP group: its master is down after 3 advert intervals plus the skew time")]
    [TestCase("-r", "0", "-r/--deadratio does not apply to a VRRP group: its master is down after 3 advert intervals plus the skew time")]
    [TestCase("-P", null, "-P/--preempt does not apply to a VRRP group: a VRRP group preempts unless --no-preempt")]
    [TestCase("-M", null, "-M/--nomcast does not apply to a VRRP group: VRRP adverts go to the multicast group or to --peer")]
    [TestCase("--no-bowout", null, "--no-bowout does not apply to a VRRP group: a VRRP master that stops on purpose sends priority 0, as the protocol says")]
    [TestCase("--etcd", "http://127.0.0.1:2379", "--etcd does not apply to a VRRP group: VRRP adverts decide who is master")]
    [TestCase("--follow-key", "/db/leader", "--follow-key does not apply to a VRRP group: VRRP adverts decide who is master")]
    public void Carp_options_that_vrrp_replaces_are_refused_naming_what_vrrp_does(string option, string? value, string message)
    {
        string[] args = value is null ? [option] : [option, value];
        Refused(Run(V4, ["--vrrp=2", .. args]), message);
        Refused(Run(V4, [.. args, "--vrrp=3"]), message);
    }

    [Test]
    public void Version_3_has_no_password()
    {
        Refused(Run(V4, "--vrrp=3", "-p", "pw"), "VRRP version 3 has no authentication (RFC 5798): drop -p/-o");
        Refused(Run(V4, "--vrrp=3", "-o", "/tmp/ucarp-cli-golden/pass"), "VRRP version 3 has no authentication (RFC 5798): drop -p/-o");
        // ucarp's own reading: an empty password is none.
        Accepted(Run(V4, "--vrrp=3", "-p", ""));
    }

    [Test]
    public void Version_2_takes_a_password_of_at_most_8_bytes()
    {
        Assert.That(Run(V4, "--vrrp=2", "-p", "12345678").Config!.Password, Is.EqualTo("12345678"));
        Assert.That(Run(V4, "--vrrp=2", "-o", "/tmp/ucarp-cli-golden/pass").Config!.Password, Is.EqualTo("secret"));
        Refused(Run(V4, "--vrrp=2", "-p", "123456789"), "Password too long: VRRP version 2 takes at most 8 bytes (RFC 3768's simple text password)");
        // Latin-1: "é" is one byte, as ucarp's passwords are.
        Accepted(Run(V4, "--vrrp=2", "-p", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"));
    }

    [TestCase("3", "41", "--advert-int [41] is out of range for VRRP version 3: 0.01 to 40.95 seconds")]
    [TestCase("3", "40.96", "--advert-int [40.96] is out of range for VRRP version 3: 0.01 to 40.95 seconds")]
    [TestCase("3", "255", "--advert-int [255] is out of range for VRRP version 3: 0.01 to 40.95 seconds")]
    [TestCase("2", "0.5", "--advert-int [0.5] is out of range for VRRP version 2: a whole number of seconds from 1 to 255")]
    [TestCase("2", "1.5", "--advert-int [1.5] is out of range for VRRP version 2: a whole number of seconds from 1 to 255")]
    [TestCase("2", "0.01", "--advert-int [0.01] is out of range for VRRP version 2: a whole number of seconds from 1 to 255")]
    public void An_advert_interval_out_of_the_versions_range_is_refused_with_the_range(string version, string seconds, string message)
    {
        Refused(Run(V4, "--advert-int=" + seconds, "--vrrp=" + version), message);
        Refused(Run(V4, "--vrrp=" + version, "--advert-int=" + seconds), message);
    }

    [Test]
    public void Preempt_delay_needs_preemption_and_the_owner_always_preempts()
    {
        Refused(Run(V4, "--vrrp=3", "--no-preempt", "--preempt-delay=5"),
                "--preempt-delay cannot be used with --no-preempt: a group that never preempts has nothing to delay");
        Refused(Run(V4, "--vrrp=3", "--no-preempt", "--preempt-delay=0"),
                "--preempt-delay cannot be used with --no-preempt: a group that never preempts has nothing to delay");
        Refused(Run(V4, "--vrrp=3", "--no-preempt", "--priority=255"),
                "--no-preempt cannot be used with --priority=255: the address owner always preempts (RFC 5798)");
        Accepted(Run(V4, "--vrrp=3", "--no-preempt", "--priority=254"));
        Accepted(Run(V4, "--vrrp=3", "--preempt-delay=5", "--priority=255"));
    }

    [Test]
    public void A_check_weight_lowers_a_priority_but_never_the_owners()
    {
        Accepted(Run(V4, "--vrrp=3", "--check=true", "--check-weight=50", "--priority=200"));
        Refused(Run(V4, "--vrrp=3", "--check=true", "--check-weight=50", "--priority=255"),
                "--check-weight cannot be used with --priority=255: the address owner's priority stays 255 (RFC 5798)");
        Refused(Run(V4, "--vrrp=3", "--check-weight=50"),
                "--check-weight needs --check: the weight is taken from the priority while the check fails");
        Refused(Run(Carp, "--check-weight=50"), "--check-weight needs --check: the weight is added to advskew while the check fails");
    }

    [Test]
    public void The_checksum_option_is_for_version_3_over_ipv4()
    {
        const string Message = "--vrrp-checksum applies to VRRP version 3 over IPv4 only: version 2 and IPv6 have one checksum each";
        Refused(Run(V4, "--vrrp=2", "--vrrp-checksum=rfc"), Message);
        Refused(Run(V4, "--vrrp=2", "--vrrp-checksum=pseudo"), Message);
        Refused(Run(V6, "--vrrp=3", "--vrrp-checksum=rfc"), Message);
        Refused(Run(V6, "--vrrp=3", "--vrrp-checksum=pseudo"), Message);
        Accepted(Run(V4, "--vrrp=3", "--vrrp-checksum=rfc"));
    }

    [Test]
    public void Ipv6_is_version_3_from_a_link_local_source()
    {
        var run = Run(V6, "--vrrp=3");
        Accepted(run);
        Assert.That(run.Config!.MulticastAddress.ToString(), Is.EqualTo("ff02::12"), "VRRP's IPv6 group, as CARP's");
        Accepted(Run(V6.Select(w => w == "fe80::1" ? "febf:ffff::1" : w).ToArray(), "--vrrp=3"));
        Refused(Run(V6, "--vrrp=2"), "VRRP version 2 is IPv4 only (RFC 3768): -a [2001:db8::100] needs --vrrp=3");
        string[] global = V6.Select(w => w == "fe80::1" ? "2001:db8::1" : w).ToArray();
        Refused(Run(global, "--vrrp=3"),
                "-s [2001:db8::1] is not a link-local address (fe80::/10): VRRP over IPv6 is sent from the interface's link-local address (RFC 5798), unless to a --peer");
        Refused(Run(V6.Select(w => w == "fe80::1" ? "fec0::1" : w).ToArray(), "--vrrp=3"),
                "-s [fec0::1] is not a link-local address (fe80::/10): VRRP over IPv6 is sent from the interface's link-local address (RFC 5798), unless to a --peer");
        // To unicast peers keepalived sends from the address it is given (unicast_src_ip).
        Accepted(Run(global, "--vrrp=3", "--peer=2001:db8::2"));
        // A CARP group over IPv6 keeps its global source.
        Accepted(Run(global, "-p", "pw"));
    }

    static string[] Extra(int count, bool v6) =>
        [.. Enumerable.Range(0, count).Select(i => "--extra-addr=" + (v6 ? $"2001:db8::1:{i:x}" : $"198.51.{100 + i / 200}.{1 + i % 200}"))];

    [Test]
    public void An_advert_carries_at_most_255_ipv4_or_89_ipv6_addresses()
    {
        Accepted(Run(V4, ["--vrrp=2", .. Extra(254, false)]));
        Refused(Run(V4, ["--vrrp=2", .. Extra(255, false)]),
                "a VRRP group holds at most 255 addresses over IPv4 (its count field is one byte): 256 are given (-a and --extra-addr)");
        Accepted(Run(V6, ["--vrrp=3", .. Extra(88, true)]));
        Refused(Run(V6, ["--vrrp=3", .. Extra(89, true)]),
                "a VRRP group holds at most 89 addresses over IPv6 (an advert fits a 1500-byte Ethernet frame): 90 are given (-a and --extra-addr)");
        // CARP's adverts carry no address list: no such bound.
        Accepted(Run(Carp, Extra(300, false)));
    }

    [Test]
    public void Other_options_go_with_vrrp()
    {
        Accepted(Run(V4, "--vrrp=3", "--peer=192.0.2.2", "--extra-addr=192.0.2.101", "--manage-addresses",
                     "--garp-refresh=5", "--sync=fw", "-n", "-z", "-S", "-x", "x", "--check=true", "--check-weight=10"));
        Accepted(Run(V4, "--vrrp=2", "-m", "239.1.1.1"));
    }

    [Test]
    public void The_last_vrrp_wins_as_with_any_option()
    {
        Assert.That(Run(V4, "--vrrp=2", "--vrrp=3").Config!.Vrrp, Is.EqualTo(3));
        Refused(Run(V4, "--vrrp=2", "-p", "123456789", "--vrrp=3"), "VRRP version 3 has no authentication (RFC 5798): drop -p/-o");
    }
}
