using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>--no-bowout and the --check options: values, defaults, and clear errors with status 1.</summary>
public class HandoverOptionsTests
{
    static readonly string[] Required = ["-i", "eth0", "-s", "192.0.2.1", "-v", "1", "-p", "pw", "-a", "192.0.2.100"];

    static (int Exit, Configuration? Config, List<string> Transcript) Run(params string[] args) => CliRun.Run(Required, args);

    [Test]
    public void Without_the_options_nothing_changes()
    {
        var (exit, c, _) = Run();
        Assert.That(exit, Is.Zero);
        Assert.That(c!.NoBowOut, Is.False);
        Assert.That(c.Check, Is.Null);
    }

    [Test]
    public void Defaults_are_two_seconds_timeout_the_interval_fall_two_rise_two()
    {
        var (exit, c, _) = Run("--check=true");
        Assert.That(exit, Is.Zero);
        Assert.That((c!.Check, c.CheckInterval, c.CheckTimeout, c.CheckFall, c.CheckRise),
                    Is.EqualTo(("true", 2_000_000L, (long?)null, 2, 2)));
    }

    [Test]
    public void Values_are_taken_and_seconds_may_have_a_fraction()
    {
        var (exit, c, _) = Run("--no-bowout", "--check", "pidof sshd", "--check-interval=0.5", "--check-timeout", "0.25",
                               "--check-fall=3", "--check-rise=5");
        Assert.That(exit, Is.Zero);
        Assert.That((c!.NoBowOut, c.Check, c.CheckInterval, c.CheckTimeout, c.CheckFall, c.CheckRise),
                    Is.EqualTo((true, "pidof sshd", 500_000L, (long?)250_000, 3, 5)));
    }

    [TestCase("--check-interval=0", "--check-interval must be a number of seconds from 0.01 to 86400: [0]")]
    [TestCase("--check-interval=abc", "--check-interval must be a number of seconds from 0.01 to 86400: [abc]")]
    [TestCase("--check-timeout=-1", "--check-timeout must be a number of seconds from 0.01 to 86400: [-1]")]
    [TestCase("--check-timeout=86401", "--check-timeout must be a number of seconds from 0.01 to 86400: [86401]")]
    [TestCase("--check-timeout=1000000000000000000000000009", "--check-timeout must be a number of seconds from 0.01 to 86400: [1000000000000000000000000009]")]
    [TestCase("--check-interval=99999999999999999999999999999999", "--check-interval must be a number of seconds from 0.01 to 86400: [99999999999999999999999999999999]")]
    [TestCase("--check-fall=0", "--check-fall must be a whole number from 1 to 1000: [0]")]
    [TestCase("--check-rise=2.5", "--check-rise must be a whole number from 1 to 1000: [2.5]")]
    [TestCase("--check=  ", "--check needs a command")]
    public void Bad_values_are_refused_with_status_1(string option, string message)
    {
        var (exit, _, transcript) = Run("--check=true", option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] " + message));
    }

    [Test]
    public void Check_timing_without_a_check_is_refused()
    {
        var (exit, _, transcript) = Run("--check-fall=3");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] --check-interval, --check-timeout, --check-fall and --check-rise need --check"));
    }

    [TestCase("--check-weight=1", 1)]
    [TestCase("--check-weight=50", 50)]
    [TestCase("--check-weight=255", 255)]
    public void A_check_weight_is_taken(string option, int weight)
    {
        var (exit, c, _) = Run("--check=true", option);
        Assert.That(exit, Is.Zero);
        Assert.That(c!.CheckWeight, Is.EqualTo(weight));
        Assert.That(Run("--check=true").Config!.CheckWeight, Is.Zero, "none by default: a failing check leaves the election");
    }

    [TestCase("--check-weight=0")]
    [TestCase("--check-weight=256")]
    [TestCase("--check-weight=abc")]
    [TestCase("--check-weight=-5")]
    [TestCase("--check-weight=0x10")]
    [TestCase("--check-weight=")]
    public void A_bad_check_weight_is_refused_with_status_1(string option)
    {
        var (exit, _, transcript) = Run("--check=true", option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain($"err: [ERROR] --check-weight must be a whole number from 1 to 255: [{option[15..]}]"));
    }

    [Test]
    public void A_check_weight_without_a_check_is_refused()
    {
        var (exit, _, transcript) = Run("--check-weight=50");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] --check-weight needs --check: the weight is added to advskew while the check fails"));
    }

    [Test]
    public void Monitoring_files_are_taken_as_given_and_an_empty_name_is_refused()
    {
        var (exit, c, _) = Run("--state-file=/run/ucarp/a.json", "--metrics-file", "m.prom", "--pidfile=/run/ucarp/a.pid");
        Assert.That(exit, Is.Zero);
        Assert.That((c!.StateFile, c.MetricsFile, c.PidFile), Is.EqualTo(("/run/ucarp/a.json", "m.prom", "/run/ucarp/a.pid")));
        var (bad, _, transcript) = Run("--pidfile=");
        Assert.That(bad, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] --pidfile needs a file name"));
    }

    [Test]
    public void Peers_are_kept_in_order_without_repeats()
    {
        var (exit, c, _) = Run("--peer=198.51.100.2", "--peer", "203.0.113.9", "--peer=198.51.100.2");
        Assert.That(exit, Is.Zero);
        Assert.That(c!.Peers.Select(p => p.ToString()), Is.EqualTo(new[] { "198.51.100.2", "203.0.113.9" }));
    }

    [TestCase("--peer=host.example", "--peer needs an IPv4 or IPv6 address: [host.example]")]
    [TestCase("--peer=224.0.0.18", "--peer [224.0.0.18] is not a unicast address")]
    [TestCase("--peer=255.255.255.255", "--peer [255.255.255.255] is not a unicast address")]
    [TestCase("--peer=0.0.0.0", "--peer [0.0.0.0] is not a unicast address")]
    [TestCase("--peer=127.0.0.1", "--peer [127.0.0.1] is not a unicast address")]
    [TestCase("--peer=192.0.2.1", "--peer [192.0.2.1] is this host's own address (-s)")]
    public void Bad_peers_are_refused_with_status_1(string option, string message)
    {
        var (exit, _, transcript) = Run(option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] " + message));
    }

    [TestCase("-M")]
    [TestCase("--mcast=239.1.1.1")]
    [TestCase("-m224.0.0.18")]
    public void Peers_do_not_go_with_multicast_or_broadcast_options(string option)
    {
        var (exit, _, transcript) = Run("--peer=198.51.100.2", option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] --peer cannot be used with -M/--nomcast or -m/--mcast: peers are sent to by unicast"));
    }
}
