using Ucarp.Core.Carp;
using static Ucarp.Simulation.Tests.Cluster;
using static Ucarp.Simulation.Tests.ManyGroups;

namespace Ucarp.Simulation.Tests;

/// <summary>Every vhid on two hosts of one daemon each: shared input dispatched by vhid, and a failover of all 255.</summary>
public class ManyGroupsTests
{
    [Test]
    public void Killing_the_master_host_hands_every_group_over_at_its_protocol_floor()
    {
        var lan = new VirtualLan(255) { MinDelay = 50, MaxDelay = 2_000 };
        var first = new SimHost(lan, 1);
        var second = new SimHost(lan, 2);
        for (int v = 1; v <= 255; v++)
        {
            byte vhid = (byte)v;
            byte advbase = (byte)(1 + v % 3);
            first.Group($"g{v}", null, Group(1, vhid, advbase: advbase));
            second.Group($"g{v}", null, Group(2, vhid, advskew: (byte)(v % 100), advbase: advbase));
        }
        first.Start();
        lan.At(S / 2, second.Start);
        lan.RunUntil(20 * S);
        Assert.That(first.Groups.All(g => g.IsMaster) && second.Groups.All(g => !g.IsMaster), lan.Dump());
        Assert.That(second.UnknownVhids, Is.Zero);

        long killedAt = lan.Now + 123_456;
        lan.At(killedAt, first.Kill);
        lan.RunFor(15 * S);

        foreach (SimGroup group in second.Groups)
        {
            long takeover = group.Roles.Single(r => r.Time > killedAt && r.Role == CarpState.Master).Time;
            long floor = Timing.MasterDown(group.Settings.AdvBase, group.Settings.DeadRatio, group.Settings.AdvSkew);
            // The floor counts from the last advert heard, which left before the kill.
            Assert.That(group.LastFrameAt, Is.LessThan(killedAt), group.Name);
            Assert.That(takeover - group.LastFrameAt!.Value, Is.InRange(floor, floor + 1_000), group.Name);
        }
        Assert.That(second.Groups.All(g => g.IsMaster));

        // The old master comes back: it hears every group's master and stays BACKUP.
        first.Start();
        lan.RunFor(15 * S);
        var wrong = Enumerable.Range(1, 255).Where(v => !lan.MastersOf($"g{v}").SequenceEqual([second])).ToList();
        Assert.That(wrong, Is.Empty, lan.Dump());
    }
}
