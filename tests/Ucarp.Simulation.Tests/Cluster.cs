using Ucarp.Core.Carp;
using Ucarp.Core.Cli;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// Builds clusters of nodes sharing one VIP, addressed 192.0.2.1, .2, ... (RFC 5737), or
/// for IPv6 2001:db8::1, ::2, ... (RFC 3849) sharing 2001:db8::100.
/// </summary>
static class Cluster
{
    public const long S = Timing.Second;
    public static readonly IpAddress Vip = new(192, 0, 2, 100);
    public static readonly IpAddress Vip6 = Address6(0x100);

    static IpAddress Address6(int last)
    {
        byte[] bytes = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)(last >> 8), (byte)last];
        return new IpAddress(bytes);
    }

    public static CarpSettings Node(int number, byte advskew = 0, bool preempt = false, byte advbase = 1,
                                    uint deadRatio = 3, string password = "secret", bool ipv6 = false, long? garpRefresh = null) => new()
    {
        Interface = "eth0",
        Vhid = 1,
        AdvBase = advbase,
        AdvSkew = advskew,
        DeadRatio = deadRatio,
        Preempt = preempt,
        Source = ipv6 ? Address6(number) : new IpAddress(192, 0, 2, (byte)number),
        Group = ipv6 ? FamilyCheck.DefaultMulticast6 : Configuration.DefaultMulticast,
        VirtualAddress = ipv6 ? Vip6 : Vip,
        VirtualAddressText = (ipv6 ? Vip6 : Vip).ToString(),
        Password = System.Text.Encoding.ASCII.GetBytes(password),
        Mac = [2, 0, 0, 0, 0, (byte)number],
        UpScript = "/etc/vip-up.sh",
        DownScript = "/etc/vip-down.sh",
        GarpRefresh = garpRefresh,
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
