using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Health;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;
using static Ucarp.Core.Tests.Carp.CarpMachineTests;

namespace Ucarp.Core.Tests.Carp;

/// <summary>--check-weight on the CARP machine: the advskew it advertises and compares with, and what it says.</summary>
public class CheckWeightTests
{
    const long S = Timing.Second;
    static readonly IpAddress Peer = new(192, 0, 2, 2);

    /// <summary>The effects, adverts shortened to their advskew.</summary>
    static IEnumerable<string> Said(RecordingCarpHost host) =>
        host.Take().Select(e => e.StartsWith("advert", StringComparison.Ordinal) ? string.Join(' ', e.Split(' ')[..2]) : e);

    static IEnumerable<string> AdvertSkews(RecordingCarpHost host) =>
        host.Take().Where(e => e.StartsWith("advert", StringComparison.Ordinal)).Select(e => e.Split(' ')[1]);

    [TestCase(10, 50, 60)]
    [TestCase(200, 54, 254)]
    [TestCase(200, 255, 254)]
    [TestCase(254, 10, 254)]
    [TestCase(255, 10, 255)] // -k 255 is kept, never lowered by the cap
    [TestCase(0, 0, 0)]
    public void The_advskew_in_use_is_k_plus_the_weight_capped_at_254(int k, int weight, int inUse)
    {
        Assert.That(new SkewInUse((byte)k, (byte)weight, "check failing").Value, Is.EqualTo(inUse));
    }

    [Test]
    public void A_failing_check_advertises_advskew_plus_the_weight_and_after_rise_its_own_again()
    {
        var host = new RecordingCarpHost();
        var m = new CarpMachine(Settings(advskew: 10), host, new CountingRandom());
        var policy = new HealthPolicy(fall: 2, rise: 2, weight: 50);
        policy.Begin(m, 0);
        m.Start(0);
        Assert.That(m.Eligible, Is.True, "a weight never takes the node out of the election");
        // Degraded from the start: the master-down interval is that of -k 60.
        Assert.That(m.ProtocolDeadline, Is.EqualTo(Timing.MasterDown(1, 3, 60)));
        long now = RunUntil(m, Timing.MasterDown(1, 3, 60));
        Assert.That(m.State, Is.EqualTo(CarpState.Master));
        Assert.That(Said(host), Does.Contain("advert skew=60"));

        // The first pass lifts the weight at once, with an advert that says so.
        policy.Apply(policy.Report(true), m, now);
        Assert.That(AdvertSkews(host), Is.EqualTo(new[] { "skew=10" }));
        now = RunUntil(m, now + 3 * S);
        Assert.That(AdvertSkews(host), Is.All.EqualTo("skew=10"));

        policy.Apply(policy.Report(false), m, now);
        Assert.That(host.Take(), Has.None.StartWith("advert"), "one failure is not --check-fall");
        policy.Apply(policy.Report(false), m, now);
        Assert.That(Said(host), Is.EqualTo(new[] { "[WARNING] Using advskew 10+50: check failing", "advert skew=60" }));
        Assert.That(m.State, Is.EqualTo(CarpState.Master), "alone, a degraded node keeps the address");
        now = RunUntil(m, now + 10 * S);
        Assert.That(AdvertSkews(host), Is.All.EqualTo("skew=60"));

        policy.Apply(policy.Report(true), m, now);
        Assert.That(host.Take(), Has.None.StartWith("advert"), "one pass is not --check-rise");
        policy.Apply(policy.Report(true), m, now);
        Assert.That(Said(host), Is.EqualTo(new[] { "[WARNING] Using advskew 10: check passing", "advert skew=10" }));
    }

    [Test]
    public void The_weight_is_capped_at_254_on_the_wire()
    {
        var (m, host) = Master(Settings(advskew: 240));
        m.SetCheckWeight(100, Messages.CheckFailing, 10 * S);
        Assert.That(AdvertSkews(host), Is.EqualTo(new[] { "skew=254" }));
        m.ReportStatus();
        Assert.That(host.Take(), Is.EqualTo(new[] { "[INFO] MASTER on eth0 id 7 (advskew 240+14: check failing)" }));
    }

    [Test]
    public void A_P_backup_compares_the_masters_advskew_with_its_own_in_use()
    {
        var (m, host) = Start(Settings(advskew: 10, preempt: true));
        m.SetCheckWeight(50, Messages.CheckFailing, 0);
        m.OnFrame(PeerAdvert(Peer, 1, 30), S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup), "degraded (60), it does not preempt a master at 30");
        m.SetCheckWeight(0, Messages.CheckPassing, 2 * S);
        m.OnFrame(PeerAdvert(Peer, 1, 30), 2 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master), "healthy (10), it does");
        Assert.That(host.Take(), Does.Contain("[WARNING] Putting MASTER down - preemption"));
    }

    [Test]
    public void A_degraded_master_steps_down_for_a_master_now_preferred()
    {
        var (m, host) = Master(Settings(advskew: 10));
        m.OnFrame(PeerAdvert(Peer, 1, 30), 5 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Master), "at 10 it is preferred to 30");
        m.SetCheckWeight(50, Messages.CheckFailing, 6 * S);
        m.OnFrame(PeerAdvert(Peer, 1, 30), 6 * S);
        Assert.That(m.State, Is.EqualTo(CarpState.Backup), "at 60 it is not");
    }

    [Test]
    public void A_backups_master_down_deadline_moves_by_the_change()
    {
        var (m, _) = Start(Settings(advskew: 0));
        Assert.That(m.ProtocolDeadline, Is.EqualTo(3 * S));
        m.SetCheckWeight(128, Messages.CheckFailing, S);
        Assert.That(m.ProtocolDeadline, Is.EqualTo(3 * S + S / 2));
        m.SetCheckWeight(0, Messages.CheckPassing, 2 * S);
        Assert.That(m.ProtocolDeadline, Is.EqualTo(3 * S));
    }

    [Test]
    public void SIGUSR1_shows_the_advskew_in_use_only_with_a_weight()
    {
        var (m, host) = Start(Settings(advskew: 10));
        host.Take();
        m.ReportStatus();
        Assert.That(host.Take(), Is.EqualTo(new[] { "[INFO] BACKUP on eth0 id 7" }), "ucarp's line, byte for byte");
        m.SetCheckWeight(50, Messages.CheckNotPassedYet, 0);
        host.Take();
        m.ReportStatus();
        Assert.That(host.Take(), Is.EqualTo(new[] { "[INFO] BACKUP on eth0 id 7 (advskew 10+50: check not passed yet)" }));
        m.SetCheckWeight(0, Messages.CheckPassing, 0);
        host.Take();
        m.ReportStatus();
        Assert.That(host.Take(), Is.EqualTo(new[] { "[INFO] BACKUP on eth0 id 7 (advskew 10: check passing)" }));
    }
}
