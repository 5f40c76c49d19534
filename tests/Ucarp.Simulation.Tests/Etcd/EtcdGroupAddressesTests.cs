using Ucarp.Core.Cli;
using static Ucarp.Simulation.Tests.Cluster;
using static Ucarp.Simulation.Tests.Etcd.EtcdElectionTests;

namespace Ucarp.Simulation.Tests.Etcd;

/// <summary>In etcd mode the extra addresses follow the role as in CARP mode: each announced by whoever becomes the holder.</summary>
public class EtcdGroupAddressesTests
{
    static readonly IpAddress[] Extras = [new(192, 0, 2, 101), new(192, 0, 2, 102)];

    [Test]
    public void The_new_holder_announces_every_address_in_order()
    {
        EtcdSim sim = Sim(4, Node(1, advskew: 0) with { ExtraAddresses = Extras }, Node(2, advskew: 100) with { ExtraAddresses = Extras });
        StartAll(sim);
        sim.RunFor(10 * S);
        long killed = sim.Now;
        sim.Nodes[0].Kill();
        sim.RunFor(10 * S);
        long became = BecameMaster(sim, sim.Nodes[1], killed);
        var after = sim.Nodes[1].Events.Where(e => e.Time >= became).Select(e => e.What).ToList();
        // This simulator sends announcements at once (the daemon's queue holds them for the upscript).
        Assert.That(after.Where(w => w.StartsWith("announce", StringComparison.Ordinal)).Take(3).ToList(),
                    Is.EqualTo(new[] { "announce 192.0.2.100", "announce 192.0.2.101", "announce 192.0.2.102" }), sim.Dump());
        NeverTwoHolders(sim);
    }
}
