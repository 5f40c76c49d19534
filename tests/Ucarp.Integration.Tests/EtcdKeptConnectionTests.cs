using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// A node's requests to a real etcd share the connection kept from the last one (issue 31):
/// while it holds the address, its renewals (three a second on a 3 s TTL: one every TTL/9) and sweeps open
/// next to no TCP connections, over http and over https. The connections are counted as
/// the kernel counts them in the node's namespace (TCP ActiveOpens: every connect the
/// daemon makes, and nothing else runs there); the renewals as etcd counts them.
/// </summary>
[Order(4)]
public class EtcdKeptConnectionTests : NamespaceTest
{
    const int A = 4;
    static readonly TimeSpan Period = TimeSpan.FromSeconds(8);

    [TestCase(false)]
    [TestCase(true)]
    public void A_holders_requests_share_a_kept_connection(bool https)
    {
        EtcdSecurity security = https ? EtcdSecurity.Tls : EtcdSecurity.None;
        var (lan, etcd) = EtcdTests.Cluster(security);
        using (lan)
        {
            using UcarpProcess a = lan.Start(A, Binaries.Clone, [.. etcd.ClientOptions(), "-k", "0"]);
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, Describe(lan, a));
            // Past the start's burst (grant, sweep, campaign, watch) and the first renewals.
            Thread.Sleep(TimeSpan.FromSeconds(2));
            long opensBefore = ActiveOpens(lan, A);
            long renewalsBefore = Renewals(etcd);
            Assert.That(Wait.Throughout(() => lan.HoldsVip(A), Period), Is.True, "the lease is renewed throughout: " + Describe(lan, a));
            long opens = ActiveOpens(lan, A) - opensBefore;
            long renewals = Renewals(etcd) - renewalsBefore;
            TestContext.Out.WriteLine($"{security}: {opens} TCP connections opened in {Period.TotalSeconds} s, {(security == EtcdSecurity.None ? renewals.ToString(CultureInfo.InvariantCulture) : "(https: not counted)")} renewals");
            // One request a connection (before issue 31) made at least one a renewal: eight and more here.
            Assert.That(opens, Is.LessThanOrEqualTo(2), Describe(lan, a));
            if (security == EtcdSecurity.None)
            {
                // etcd's metrics are read over http only; over https, holding the address on a 3 s TTL throughout says the renewals went.
                Assert.That(renewals, Is.GreaterThanOrEqualTo(5));
            }
            Assert.That(a.Output, Does.Not.Contain("unreachable"), a.Output);
        }
    }

    static long Renewals(EtcdCluster etcd) => etcd.Security == EtcdSecurity.None ? etcd.Calls("LeaseKeepAlive") : 0;

    /// <summary>The TCP connections the node's namespace has opened (connect calls), from its /proc/net/snmp.</summary>
    static long ActiveOpens(TestLan lan, int node)
    {
        string[] lines = Shell.Run("ip", "netns", "exec", lan.Node(node), "cat", "/proc/net/snmp").Split('\n');
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i].StartsWith("Tcp: RtoAlgorithm", StringComparison.Ordinal))
            {
                string[] names = lines[i].Split(' '), values = lines[i + 1].Split(' ');
                return long.Parse(values[Array.IndexOf(names, "ActiveOpens")], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("no Tcp line in /proc/net/snmp");
    }
}
