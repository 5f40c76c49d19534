using Ucarp.Core.Carp;
using Ucarp.Core.Groups;
using static Ucarp.Simulation.Tests.Cluster;
using static Ucarp.Simulation.Tests.ManyGroups;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// A reload of one daemon's file on a pair of hosts: web (vhid 1), dns (2), mail (3), each
/// host's groups alike (host 1 advskew 0, host 2 advskew 10), scripts of 300 ms, a LAN
/// delay of 100 µs. Host 1 holds everything once settled; then its file changes.
/// </summary>
public class ReloadTests
{
    const long Script = 300_000;
    const long Delay = 100;
    static readonly string[] Others = ["dns", "mail"];

    /// <summary>A host's file: web may have its own advskew or another name, mail may be left out.</summary>
    static List<(string, string?, CarpSettings)> File(int host, byte skew, byte? webSkew = null, string web = "web",
                                                      string? set = null, bool mail = true)
    {
        List<(string, string?, CarpSettings)> file = [(web, set, Group(host, 1, webSkew ?? skew)), ("dns", set, Group(host, 2, skew))];
        if (mail)
        {
            file.Add(("mail", set, Group(host, 3, skew)));
        }
        return file;
    }

    static VirtualLan Pair(out SimHost one, out SimHost two, string? set = null)
    {
        var lan = new VirtualLan(41) { MinDelay = Delay, MaxDelay = Delay };
        one = new SimHost(lan, 1) { ScriptDuration = Script };
        two = new SimHost(lan, 2) { ScriptDuration = Script };
        foreach ((SimHost host, byte skew) in new[] { (one, (byte)0), (two, (byte)10) })
        {
            foreach ((string name, string? s, CarpSettings settings) in File(host.Number, skew, set: set))
            {
                host.Group(name, s, settings);
            }
        }
        one.Start();
        lan.At(S, two.Start);
        lan.RunUntil(10 * S);
        foreach (string group in new[] { "web", "dns", "mail" })
        {
            Assert.That(lan.MastersOf(group), Is.EqualTo(new[] { one }), $"{group}\n{lan.Dump()}");
        }
        return lan;
    }

    [Test]
    public void A_changed_advskew_restarts_that_group_alone_and_leaves_the_others_timers_alone()
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two);
        var kept = Others.ToDictionary(n => n, n => one[n]);
        var deadlines = Others.ToDictionary(n => n, n => one[n].Machine.NextDeadline);
        SimGroup web = one["web"];
        long reloaded = lan.Now;
        one.Reload(File(1, 0, webSkew: 100));
        foreach (string name in Others)
        {
            Assert.That(one[name], Is.SameAs(kept[name]), name);
            Assert.That(one[name].Machine.NextDeadline, Is.EqualTo(deadlines[name]), $"{name}: its timer is where it was");
        }
        Assert.That(one.Leaving, Is.EqualTo(new[] { web }), "the changed group stops");
        lan.RunFor(10 * S);

        Assert.That(one["web"], Is.Not.SameAs(web));
        Assert.That(one["web"].Settings.AdvSkew, Is.EqualTo(100));
        foreach (string name in Others)
        {
            Assert.That(lan.MastersOf(name), Is.EqualTo(new[] { one }), name);
            foreach (SimHost host in new[] { one, two })
            {
                Assert.That(host[name].Roles.Where(r => r.Time >= reloaded), Is.Empty, $"host {host.Number} {name}: no role change\n{lan.Dump()}");
            }
            // The master's adverts keep their cadence through the reload: none added, none late, none missing at the end.
            List<long> adverts = one[name].Adverts.SkipWhile(t => t < reloaded - S).ToList();
            Assert.That(adverts.Zip(adverts.Skip(1), (a, b) => b - a), Has.All.EqualTo(Timing.Interval(1, 0)), name);
            Assert.That(adverts[0], Is.LessThan(reloaded), name);
            Assert.That(lan.Now - adverts[^1], Is.LessThan(Timing.Interval(1, 0)), name);
            Assert.That(two[name].Adverts.Where(t => t >= reloaded), Is.Empty, $"{name}: the backup stays silent");
        }
    }

    [Test]
    public void The_changed_groups_address_moves_with_never_two_masters_nor_two_holders()
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two);
        var watch = new ReloadWatch(lan);
        long reloaded = lan.Now;
        one.Reload(File(1, 0, webSkew: 100));
        lan.RunFor(10 * S);

        Assert.That(lan.MastersOf("web"), Is.EqualTo(new[] { two }), lan.Dump());
        // The downscript, then the bow-out: host 2 takes over one LAN delay after it.
        Assert.That(MasterSince(two, "web", reloaded) - reloaded, Is.EqualTo(Script + Delay), lan.Dump());
        // The new web starts once the old one is done, and stays BACKUP (100 > 10).
        Assert.That(one["web"].Roles.Select(r => r.Role), Is.EqualTo(new[] { CarpState.Backup }), lan.Dump());
        Assert.That(one["web"].Roles[0].Time - reloaded, Is.EqualTo(Script), lan.Dump());
        Assert.That(one.Leaving, Is.Empty);
        Assert.That(one.LeftBehind, Is.Empty);
        Assert.That(watch.TwoMasters, Is.Null, lan.Dump());
        Assert.That(watch.TwoHolders, Is.Null, lan.Dump());
        Assert.That(watch.Overlap, Is.Null, lan.Dump());
    }

    [Test]
    public void An_address_moving_to_a_renamed_group_waits_for_the_old_groups_downscript()
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two);
        var watch = new ReloadWatch(lan);
        long reloaded = lan.Now;
        one.Reload(File(1, 0, web: "www"));
        Assert.That(one.Waiting.Select(g => g.Name), Is.EqualTo(new[] { "www" }), "web's downscript still runs");
        lan.RunFor(10 * S);

        // A renamed group is one removed and one added: web bowed out, host 2 holds the address.
        Assert.That(lan.MastersOf("web"), Is.EqualTo(new[] { two }), lan.Dump());
        Assert.That(one["www"].Roles[0].Time - reloaded, Is.EqualTo(Script), "www starts once web's downscript ended\n" + lan.Dump());
        Assert.That(watch.Overlap, Is.Null, lan.Dump());
        Assert.That(watch.TwoMasters, Is.Null, lan.Dump());
        Assert.That(watch.TwoHolders, Is.Null, lan.Dump());
    }

    [Test]
    public void A_reload_that_removes_a_member_of_a_sync_set_moves_its_mates()
    {
        VirtualLan lan = Pair(out SimHost one, out SimHost two, set: "fw");
        var split = new SplitWatch(lan, "web", "dns");
        long reloaded = lan.Now;
        one.Reload(File(1, 0, set: "fw", mail: false));
        lan.RunFor(10 * S);

        // mail stopped on host 1: its mates there step down with it, and host 2 holds the set.
        foreach (string name in new[] { "web", "dns", "mail" })
        {
            Assert.That(lan.MastersOf(name), Is.EqualTo(new[] { two }), $"{name}\n{lan.Dump()}");
            Assert.That(MasterSince(two, name, reloaded) - reloaded, Is.LessThanOrEqualTo(Script + Delay), name);
        }
        Assert.That(split.Longest, Is.LessThanOrEqualTo(Script), lan.Dump());

        // What is left of the set on host 1 is a set of its own, in the election: it takes over when host 2 dies.
        Assert.That(one["web"].Gate.IsClosed(GateReason.Sync), Is.False, one["web"].Gate.EligibilityReason);
        two.Kill();
        lan.RunFor(10 * S);
        Assert.That(lan.MastersOf("web").Concat(lan.MastersOf("dns")), Is.EqualTo(new[] { one, one }), lan.Dump());
    }

    /// <summary>
    /// A member added on the host where the set is BACKUP, first in a rolling reload, times
    /// out alone and takes MASTER there, with no member ever leaving; when the other host
    /// adds it, the joining rule brings the set together on the host of its leader (x, the
    /// lower address). It failed before that rule.
    /// </summary>
    [Test]
    public void A_member_added_to_a_set_by_a_rolling_reload_joins_its_mates()
    {
        var lan = new VirtualLan(43) { MinDelay = Delay, MaxDelay = Delay };
        var one = new SimHost(lan, 1).Group("y", "fw", Group(1, 2, 10));
        var two = new SimHost(lan, 2).Group("y", "fw", Group(2, 2, 0));
        one.Start();
        two.Start();
        lan.RunFor(10 * S);
        Assert.That(lan.MastersOf("y"), Is.EqualTo(new[] { two }));
        one.Reload([("x", "fw", Group(1, 1, 10)), ("y", "fw", Group(1, 2, 10))]);
        lan.RunFor(10 * S);
        two.Reload([("x", "fw", Group(2, 1, 0)), ("y", "fw", Group(2, 2, 0))]);
        lan.RunFor(30 * S);
        Assert.That(lan.MastersOf("x"), Is.EqualTo(lan.MastersOf("y")), lan.Dump());
    }
}
