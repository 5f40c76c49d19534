namespace Ucarp.Simulation.Tests;

/// <summary>
/// A minute of random faults on a LAN of <see cref="SimNode"/>s: loss, partitions, kills,
/// restarts, demotions, and with <paramref name="stops"/> -z stops too; then calm, every
/// node up. One injector for the CARP and VRRP invariant runs.
/// </summary>
static class NodeFaults
{
    const long S = Cluster.S;

    public static void Inject(VirtualLan lan, Random random, bool stops = false)
    {
        foreach (SimNode node in lan.Nodes)
        {
            lan.At(random.NextInt64(0, 3 * S), node.Start);
        }
        for (int step = 0; step < 30; step++)
        {
            lan.RunFor(random.NextInt64(S / 10, 4 * S));
            SimNode node = lan.Nodes[random.Next(lan.Nodes.Count)];
            // Without stops the draws are CARP's seeded runs' as they always were.
            switch (random.Next(stops ? 7 : 6))
            {
                case 0: lan.Loss = random.NextDouble() * 0.6; break;
                case 1: node.Partition = random.Next(2); break;
                case 2: if (node.Alive) node.Kill(); else node.Start(); break;
                case 3: if (node.Alive) node.Demote(); break;
                case 4: if (!node.Alive) node.Start(); break;
                case 6: if (node.Alive) node.Stop(); else node.Start(); break;
                default: lan.Loss = 0; break;
            }
        }
        // Faults stop: the LAN heals and every node is up.
        lan.Loss = 0;
        foreach (SimNode node in lan.Nodes)
        {
            node.Partition = 0;
            if (!node.Alive)
            {
                node.Start();
            }
        }
        if (stops)
        {
            // A node stopped just before is gone once its downscript and bow-out are: it
            // comes back after them.
            lan.RunFor(S);
            foreach (SimNode node in lan.Nodes.Where(n => !n.Alive))
            {
                node.Start();
            }
        }
    }
}
