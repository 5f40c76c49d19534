using Ucarp.Core.Carp;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// Sub-second intervals (-b 0 -k K, 12 to 100 ms) with jitter and loss: a backup takes
/// over exactly when no advert reached it for deadratio x its own K/256 s, never sooner.
/// </summary>
public class FastFailoverTests
{
    const long Ms = 1000;

    // Master -k K, backup -k K+1 (it stays backup on hearing the master). Delays jitter by
    // up to half an interval, and a fifth of the adverts are lost: gaps of one and two
    // intervals are common (ucarp's single-interval rule takes over on each), three rare.
    [TestCase(3, 1)]
    [TestCase(8, 2)]
    [TestCase(26, 3)]
    public void A_backup_takes_over_only_after_deadratio_intervals_without_an_advert(int k, int seed)
    {
        VirtualLan lan = Lan(100 + seed, Node(1, advbase: 0, advskew: (byte)k), Node(2, advbase: 0, advskew: (byte)(k + 1)));
        long interval = Timing.Interval(0, (byte)k);
        long masterDown = 3 * (k + 1) * S / 256;   // written out, not asked of the code under test
        lan.Nodes[0].Start();
        lan.RunFor(2 * S);
        lan.Nodes[1].Start();
        lan.RunFor(2 * S);
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());
        SimNode backup = lan.Nodes[1];
        int transitionsBefore = Takeovers(backup);
        int arrivalsBefore = backup.Arrivals.Count;

        lan.MinDelay = 100;
        lan.MaxDelay = interval / 2;
        lan.Loss = 0.2;
        lan.RunFor(300 * S);
        lan.Loss = 0;
        lan.MinDelay = lan.MaxDelay = 100;
        lan.RunFor(S);

        // Every gap between two adverts reaching the backup longer than its master-down
        // interval is one takeover (it steps down again on the master's next advert);
        // every shorter gap, however much longer than one interval, is none.
        long[] gaps = backup.Arrivals.Skip(arrivalsBefore - 1).Zip(backup.Arrivals.Skip(arrivalsBefore), (a, b) => b - a).ToArray();
        Assert.That(gaps.Any(g => g == masterDown), Is.False, "a gap exactly at the deadline is a tie; pick another seed");
        int expected = gaps.Count(g => g > masterDown);
        TestContext.Out.WriteLine($"-k {k}: {gaps.Length} gaps, {gaps.Count(g => g > interval * 3 / 2)} over 1.5 intervals, " +
                                  $"{expected} over the {masterDown / 1000.0:F1} ms master-down");
        Assert.That(gaps.Count(g => g > interval * 3 / 2), Is.GreaterThan(gaps.Length / 10), "the run has gaps ucarp's rule takes over on");
        Assert.That(Takeovers(backup) - transitionsBefore, Is.EqualTo(expected), lan.Dump());
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());
    }

    [TestCase(3)]
    [TestCase(8)]
    [TestCase(26)]
    public void With_jitter_below_two_intervals_and_no_loss_nothing_flaps(int k)
    {
        VirtualLan lan = Lan(200 + k, Node(1, advbase: 0, advskew: (byte)k), Node(2, advbase: 0, advskew: (byte)k));
        long interval = Timing.Interval(0, (byte)k);
        lan.Nodes[0].Start();
        lan.RunFor(2 * S);
        lan.Nodes[1].Start();
        lan.RunFor(2 * S);
        // Delays from 0.1 ms to 1.9 intervals: adverts arrive up to 2.8 intervals apart.
        lan.MinDelay = 100;
        lan.MaxDelay = interval * 19 / 10;
        lan.RunFor(300 * S);
        long worst = lan.Nodes[1].Arrivals.Zip(lan.Nodes[1].Arrivals.Skip(1), (a, b) => b - a).Max();
        TestContext.Out.WriteLine($"-k {k}: worst gap {worst / 1000.0:F1} ms, interval {interval / 1000.0:F1} ms");
        Assert.That(worst, Is.GreaterThan(2 * interval), "the jitter reaches past two intervals");
        Assert.That(Takeovers(lan.Nodes[1]), Is.Zero, lan.Dump());
        Assert.That(lan.Masters.Single().Index, Is.EqualTo(0), lan.Dump());
    }

    [Test]
    public void At_26_a_killed_master_is_replaced_three_intervals_after_its_last_advert()
    {
        VirtualLan lan = Lan(300, Node(1, advbase: 0, advskew: 26), Node(2, advbase: 0, advskew: 26));
        lan.MinDelay = lan.MaxDelay = 250;
        lan.Nodes[0].Start();
        lan.RunFor(2 * S);
        lan.Nodes[1].Start();
        lan.RunFor(5 * S);
        lan.Nodes[0].Kill();
        long last = lan.Nodes[0].LastAdvertAt!.Value;
        lan.RunFor(2 * S);
        long takeover = lan.Nodes[1].Events.First(e => e.What == "garp").Time - last;
        Assert.That(takeover, Is.EqualTo(3 * 26 * S / 256 + 250), lan.Dump()); // 304.687 ms + the LAN's delay
        Assert.That(takeover, Is.LessThan(7 * Timing.Interval(0, 26) / 2), "within 3.5 intervals");
    }

    [Test]
    public void A_master_repeats_its_announcement_every_refresh_period_and_a_backup_never()
    {
        VirtualLan lan = Lan(400, Node(1, advbase: 0, advskew: 26, garpRefresh: S / 2), Node(2, advbase: 0, advskew: 26, garpRefresh: S / 2));
        lan.Nodes[0].Start();
        lan.RunFor(2 * S);
        lan.Nodes[1].Start();
        long from = lan.Now;
        lan.RunFor(10 * S);
        List<long> garps = lan.Nodes[0].Events.Where(e => e.What == "garp" && e.Time > from).Select(e => e.Time).ToList();
        Assert.That(garps, Has.Count.EqualTo(20), lan.Dump());
        Assert.That(garps.Zip(garps.Skip(1), (a, b) => b - a), Is.All.EqualTo(S / 2));
        Assert.That(lan.Nodes[1].Events.Count(e => e.What == "garp"), Is.Zero);
    }

    static int Takeovers(SimNode node) => node.Events.Count(e => e.What == "[WARNING] Switching to state: MASTER");
}
