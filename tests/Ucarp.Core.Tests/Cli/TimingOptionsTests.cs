using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>--garp-refresh and --realtime: values, defaults, and clear errors with status 1.</summary>
public class TimingOptionsTests
{
    static readonly string[] Required = ["-i", "eth0", "-s", "192.0.2.1", "-v", "1", "-p", "pw", "-a", "192.0.2.100"];

    static (int Exit, Configuration? Config, List<string> Transcript) Run(params string[] args) => CliRun.Run(Required, args);

    [Test]
    public void Both_are_off_by_default()
    {
        var (exit, c, _) = Run("-b", "0", "-k", "26");
        Assert.That(exit, Is.Zero);
        Assert.That((c!.GarpRefresh, c.RealtimePriority), Is.EqualTo(((long?)null, (int?)null)));
    }

    [TestCase("--garp-refresh=60", 60_000_000L)]
    [TestCase("--garp-refresh=0.5", 500_000L)]
    [TestCase("--garp-refresh=0.01", 10_000L)]
    [TestCase("--garp-r=86400", 86_400_000_000L)]
    public void Garp_refresh_takes_seconds_with_a_fraction(string option, long micros)
    {
        var (exit, c, _) = Run(option);
        Assert.That(exit, Is.Zero);
        Assert.That(c!.GarpRefresh, Is.EqualTo(micros));
    }

    [TestCase("1", 1)]
    [TestCase("99", 99)]
    public void Realtime_takes_a_priority(string arg, int priority)
    {
        var (exit, c, _) = Run("--realtime", arg);
        Assert.That(exit, Is.Zero);
        Assert.That(c!.RealtimePriority, Is.EqualTo(priority));
    }

    [TestCase("--garp-refresh=0", "--garp-refresh must be a number of seconds from 0.01 to 86400: [0]")]
    [TestCase("--garp-refresh=-5", "--garp-refresh must be a number of seconds from 0.01 to 86400: [-5]")]
    [TestCase("--garp-refresh=1e3", "--garp-refresh must be a number of seconds from 0.01 to 86400: [1e3]")]
    [TestCase("--garp-refresh=86400.5", "--garp-refresh must be a number of seconds from 0.01 to 86400: [86400.5]")]
    [TestCase("--garp-refresh=", "--garp-refresh must be a number of seconds from 0.01 to 86400: []")]
    [TestCase("--realtime=0", "--realtime must be a whole number from 1 to 99: [0]")]
    [TestCase("--realtime=100", "--realtime must be a whole number from 1 to 99: [100]")]
    [TestCase("--realtime=+5", "--realtime must be a whole number from 1 to 99: [+5]")]
    [TestCase("--realtime=fifo", "--realtime must be a whole number from 1 to 99: [fifo]")]
    public void Bad_values_are_refused_with_status_1(string option, string message)
    {
        var (exit, _, transcript) = Run(option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] " + message));
    }

    [Test]
    public void Advbase_and_advskew_both_zero_is_still_refused_as_ucarp_does()
    {
        var (exit, _, transcript) = Run("-b", "0", "-k", "0");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] You must supply an advertisement time base"));
    }
}
