using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// What one etcd group holds once it is settled, measured over a thousand groups on one
/// session: its election and follower, and its share of what the session keeps per key
/// (the router's entry, the mirror's last state of the key, told by a sweep that found
/// every key held by another node). The daemon runs a thousand and more on one lease
/// (issue "etcd at 1,000 groups": bounded memory per group), so a group's cost is a
/// budget, as a CARP group's is (GroupMemoryTests). Measured: 3221-3343 bytes, the test's
/// own recording host included.
/// </summary>
public class EtcdGroupMemoryTests
{
    const int Groups = 1000;
    const long BudgetBytes = 3584;

    [Test]
    public void An_etcd_group_costs_at_most_its_budget()
    {
        LeaseRig rig = null!;
        long perGroup = GroupMemory.PerGroup(Groups, () =>
        {
            rig = LeaseRig.StartGroups(new byte[Groups]);
            rig.Grant();
            var held = new EtcdKeyValue[Groups];
            for (int i = 0; i < Groups; i++)
            {
                held[i] = new EtcdKeyValue(LeaseRig.Key(i), LeaseRig.Other(), LeaseRig.OtherLease, 4);
            }
            rig.Sweep(5, held);
            return (rig, RigLog(rig));
        });
        Assert.That(rig.Groups.TrueForAll(g => g.Election.MasterAddress(rig.Now)?.ToString() == "192.0.2.2"), Is.True, "every group sees the other holder");
        Assert.That(perGroup, Is.LessThanOrEqualTo(BudgetBytes));
    }

    /// <summary>The rig's log, a line per group ("The address is held by ..."): the test's, not the groups'.</summary>
    static long RigLog(LeaseRig rig)
    {
        long bytes = 0;
        foreach (string line in rig.Log)
        {
            bytes += 24 + 2 * line.Length;
        }
        return bytes;
    }
}
