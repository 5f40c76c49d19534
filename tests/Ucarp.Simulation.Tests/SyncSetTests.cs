using Ucarp.Core.Carp;
using Ucarp.Core.Groups;
using static Ucarp.Simulation.Tests.Cluster;
using static Ucarp.Simulation.Tests.ManyGroups;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// A firewall's sync set {inside, outside} (and a group "dns" in no set) on two hosts of
/// one daemon each: whatever takes one member off a host takes the set with it, and the
/// set never stays split for longer than an advert interval.
/// </summary>
public class SyncSetTests
{
    static readonly string[] Set = ["inside", "outside"];
    static readonly long Advert = Timing.Interval(1, 0);

    /// <summary>Host 1 (advskew 0) holds everything once settled; host 2 has advskew 10.</summary>
    static VirtualLan Pair(out SimHost one, out SimHost two, bool preempt = false,
                           byte insideSkew1 = 0, byte outsideSkew1 = 0, byte insideSkew2 = 10, byte outsideSkew2 = 10,
                           bool preempt2 = false)
    {
        var lan = new VirtualLan(18) { MinDelay = 100, MaxDelay = 2_000 };
        one = new SimHost(lan, 1)
            .Group("inside", "fw", Group(1, 1, insideSkew1, preempt))
            .Group("outside", "fw", Group(1, 2, outsideSkew1, preempt))
            .Group("dns", null, Group(1, 3, 0, preempt));
        two = new SimHost(lan, 2)
            .Group("inside", "fw", Group(2, 1, insideSkew2, preempt2))
            .Group("outside", "fw", Group(2, 2, outsideSkew2, preempt2))
            .Group("dns", null, Group(2, 3, 10, preempt2));
        one.Start();
        lan.At(S, two.Start);
        lan.RunUntil(10 * S);
        return lan;
    }

    static void AssertWhollyOn(VirtualLan lan, SimHost host, params string[] groups)
    {
        foreach (string group in groups)
        {
            Assert.That(lan.MastersOf(group), Is.EqualTo(new[] { host }), $"{group}\n{lan.Dump()}");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_failing_check_moves_the_whole_set_and_its_recovery_flaps_nothing(bool preempt)
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two, preempt);
        AssertWhollyOn(lan, one, "inside", "outside", "dns");
        var split = new SplitWatch(lan, Set);

        long failed = lan.Now;
        one.Act(() => one["inside"].Gate.SetEligible(false, "check failed", lan.Now));
        lan.RunFor(10 * S);

        AssertWhollyOn(lan, two, Set);
        AssertWhollyOn(lan, one, "dns");
        Assert.That(one["dns"].Roles.Where(r => r.Time >= failed), Is.Empty, "a group in no set is not touched");
        long floor = Advert + Timing.MasterDown(1, 3, 10);
        foreach (string member in Set)
        {
            Assert.That(MasterSince(two, member, failed) - failed, Is.LessThanOrEqualTo(floor), member);
        }
        Assert.That(split.Longest, Is.LessThanOrEqualTo(Advert), lan.Dump());
        Assert.That(one["outside"].Gate.EligibilityReason, Is.EqualTo("sync set fw: inside is out of the election"));

        int changes = lan.RoleChanges();
        long recovered = lan.Now;
        one.Act(() => one["inside"].Gate.SetEligible(true, "check passed", lan.Now));
        lan.RunFor(30 * S);
        if (preempt)
        {
            // Host 1 is preferred and preempts: the set moves back once, as a whole.
            AssertWhollyOn(lan, one, Set);
            Assert.That(lan.RoleChanges() - changes, Is.EqualTo(4), "each member: MASTER on 1, BACKUP on 2\n" + lan.Dump());
        }
        else
        {
            AssertWhollyOn(lan, two, Set);
            Assert.That(lan.RoleChanges(), Is.EqualTo(changes), lan.Dump());
        }
        Assert.That(split.Longest, Is.LessThanOrEqualTo(Advert), lan.Dump());
        Assert.That(recovered, Is.GreaterThan(0));
    }

    [Test]
    public void Ucarpctl_demote_of_one_member_moves_the_set_and_promote_moves_nothing()
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two);
        var split = new SplitWatch(lan, Set);
        long demoted = lan.Now;
        one.Act(() => one["outside"].Gate.Close(GateReason.Control, "demoted by ucarpctl", lan.Now));
        lan.RunFor(10 * S);
        AssertWhollyOn(lan, two, Set);
        foreach (string member in Set)
        {
            Assert.That(MasterSince(two, member, demoted) - demoted, Is.LessThanOrEqualTo(Advert + Timing.MasterDown(1, 3, 10)), member);
        }

        int changes = lan.RoleChanges();
        one.Act(() => one["outside"].Gate.Open(GateReason.Control, "promoted by ucarpctl", lan.Now));
        lan.RunFor(30 * S);
        AssertWhollyOn(lan, two, Set);
        Assert.That(lan.RoleChanges(), Is.EqualTo(changes), lan.Dump());
        Assert.That(split.Longest, Is.LessThanOrEqualTo(Advert), lan.Dump());
    }

    /// <summary>
    /// Host 1 (preferred, -P) takes the set back, which puts host 2's members in their 3 s
    /// hold; a second later host 1 is demoted again and bows out of both. Host 2 heard the
    /// bow-out of the member in its hold: it takes it when the hold ends, not a whole
    /// master-down (3.39 s) after the hold (found by `make demo`: 4.7 s in all). The
    /// member not in a hold is taken at once: for the rest of the hold the set is on one
    /// host and its other address on none.
    /// </summary>
    [Test]
    public void A_set_handed_back_during_the_peers_hold_is_taken_whole_when_the_hold_ends()
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two, preempt: true);
        one.Act(() => one["outside"].Gate.Close(GateReason.Control, "demoted by ucarpctl", lan.Now));
        lan.RunFor(10 * S);
        AssertWhollyOn(lan, two, Set);
        one.Act(() => one["outside"].Gate.Open(GateReason.Control, "promoted by ucarpctl", lan.Now));
        for (int i = 0; i < 200 && !Set.All(m => lan.MastersOf(m).SequenceEqual([one])); i++)
        {
            lan.RunFor(Advert / 20);
        }
        AssertWhollyOn(lan, one, Set);
        lan.RunFor(S);
        long demoted = lan.Now;
        one.Act(() => one["outside"].Gate.Close(GateReason.Control, "demoted by ucarpctl", lan.Now));
        lan.RunFor(10 * S);
        AssertWhollyOn(lan, two, Set);
        long[] taken = [.. Set.Select(m => MasterSince(two, m, demoted) - demoted)];
        TestContext.Out.WriteLine($"taken after {string.Join(" and ", taken.Select(t => t / 1000))} ms");
        // The hold has at most 2 s to go (it began when host 1 took the set back, a second before).
        Assert.That(taken, Has.All.LessThanOrEqualTo(2 * S + Advert), lan.Dump());
    }

    [Test]
    public void Sigusr2_on_one_member_moves_the_set()
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two);
        var split = new SplitWatch(lan, Set);
        one.Act(() => one["inside"].Gate.Demote(lan.Now));
        lan.RunFor(10 * S);
        AssertWhollyOn(lan, two, Set);
        AssertWhollyOn(lan, one, "dns");
        Assert.That(split.Longest, Is.LessThanOrEqualTo(Advert), lan.Dump());
    }

    [Test]
    public void A_member_that_loses_the_election_takes_its_mates_along()
    {
        // Host 2 prefers inside and preempts it; outside it would leave where it is.
        VirtualLan lan = Pair(out SimHost one, out SimHost two, insideSkew1: 100, insideSkew2: 0, outsideSkew2: 50, preempt2: true);
        var split = new SplitWatch(lan, Set);
        lan.RunFor(30 * S);
        AssertWhollyOn(lan, two, Set);
        long moved = MasterSince(two, "inside", 0);
        Assert.That(one["inside"].Roles.Any(r => r.Time < moved && r.Role == CarpState.Master), "host 1 held inside first");
        Assert.That(one["outside"].Roles.Any(r => r.Time < moved && r.Role == CarpState.Master), "host 1 held outside first");
        Assert.That(MasterSince(two, "outside", 0) - moved, Is.LessThanOrEqualTo(Advert), lan.Dump());
        Assert.That(split.Longest, Is.LessThanOrEqualTo(Advert), lan.Dump());
    }

    [Test]
    public void Conflicting_preferences_swap_no_faster_than_the_demotion_hold()
    {
        // Each host preempts for one member: the set cannot settle, but it moves whole and at most once per hold.
        VirtualLan lan = Pair(out SimHost one, out SimHost two, preempt: true, insideSkew1: 0, outsideSkew1: 100,
                              insideSkew2: 100, outsideSkew2: 0, preempt2: true);
        var split = new SplitWatch(lan, Set);
        long from = lan.Now;
        lan.RunFor(60 * S);
        foreach (SimHost host in new[] { one, two })
        {
            foreach (string member in Set)
            {
                var wins = host[member].Roles.Where(r => r.Time >= from && r.Role == CarpState.Master).Select(r => r.Time).ToList();
                var gaps = wins.Zip(wins.Skip(1), (a, b) => b - a).ToList();
                Assert.That(gaps, Has.All.GreaterThanOrEqualTo(3 * S), $"host {host.Number} {member}\n{lan.Dump()}");
                Assert.That(wins, Has.Count.GreaterThanOrEqualTo(5), "it does keep swapping: the test watches something");
                TestContext.Out.WriteLine($"host {host.Number} {member}: {wins.Count} wins, gaps {string.Join(" ", gaps.Select(g => g / 1000))} ms");
            }
        }
        Assert.That(split.Longest, Is.LessThanOrEqualTo(Advert), lan.Dump());
    }
}
