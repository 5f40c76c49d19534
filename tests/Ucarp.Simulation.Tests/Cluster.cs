using Ucarp.Core.Carp;
using Ucarp.Core.Cli;

namespace Ucarp.Simulation.Tests;

/// <summary>Builds clusters of nodes sharing one VIP, addressed 192.0.2.1, .2, ... (RFC 5737).</summary>
static class Cluster
{
    public const long S = Timing.Second;
    public static readonly IpAddress Vip = new(192, 0, 2, 100);

    public static CarpSettings Node(int number, byte advskew = 0, bool preempt = false, byte advbase = 1,
                                    uint deadRatio = 3, string password = "secret") => new()
    {
        Interface = "eth0",
        Vhid = 1,
        AdvBase = advbase,
        AdvSkew = advskew,
        DeadRatio = deadRatio,
        Preempt = preempt,
        Source = new IpAddress(192, 0, 2, (byte)number),
        VirtualAddress = Vip,
        VirtualAddressText = Vip.ToString(),
        Password = System.Text.Encoding.ASCII.GetBytes(password),
        Mac = [2, 0, 0, 0, 0, (byte)number],
        UpScript = "/etc/vip-up.sh",
        DownScript = "/etc/vip-down.sh",
    };

    public static VirtualLan Lan(int seed, params CarpSettings[] nodes)
    {
        var lan = new VirtualLan(seed);
        foreach (CarpSettings settings in nodes)
        {
            lan.Add(settings);
        }
        return lan;
    }

    public static void StartAll(this VirtualLan lan)
    {
        foreach (SimNode node in lan.Nodes)
        {
            node.Start();
        }
    }
}
