using System.Diagnostics;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The election on a real etcd: Debian's etcd-server 3.4, three members on nodes 1-3 of
/// a namespace LAN, Ucarp.Net on nodes 4 and 5 sharing 192.0.2.100. While a scenario
/// runs, the holders of the address are sampled continuously: never two.
/// </summary>
public class EtcdTests : NamespaceTest
{
    const int A = 4, B = 5;
    static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    static void RequireEtcd()
    {
        if (!File.Exists(EtcdCluster.Etcd) || !File.Exists(EtcdCluster.Etcdctl))
        {
            Assert.Ignore("etcd-server and etcd-client are not installed (tests/install-deps.sh installs them)");
        }
    }

    static UcarpProcess Node(TestLan lan, EtcdCluster etcd, int i, params string[] extra) =>
        lan.Start(i, Binaries.Clone, [.. etcd.ClientOptions(), .. extra]);

    /// <summary>
    /// Node 4 (advskew 0) holds the address, then node 5 (advskew 100) has seen it do so.
    /// The LAN stops both when it is disposed.
    /// </summary>
    static (UcarpProcess Holder, UcarpProcess Backup) HolderAndBackup(TestLan lan, EtcdCluster etcd, params string[] holderOptions)
    {
        UcarpProcess a = Node(lan, etcd, A, ["-k", "0", .. holderOptions]);
        Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, Describe(lan, a));
        UcarpProcess b = Node(lan, etcd, B, "-k", "100");
        Assert.That(Wait.Until(() => b.Saw("The address is held by 192.0.2.4"), Long), Is.True, Describe(lan, a, b));
        return (a, b);
    }

    /// <summary>Samples the holders every few milliseconds on a thread of its own, recording any moment with two.</summary>
    sealed class HolderSampler : IDisposable
    {
        readonly TestLan _lan;
        readonly Thread _thread;
        volatile bool _stop;

        public HolderSampler(TestLan lan)
        {
            _lan = lan;
            _thread = new Thread(Run) { IsBackground = true };
            _thread.Start();
        }

        public int Samples { get; private set; }
        public List<string> Doubles { get; } = [];

        void Run()
        {
            while (!_stop)
            {
                bool a = _lan.HoldsVip(A), b = _lan.HoldsVip(B);
                Samples++;
                if (a && b)
                {
                    Doubles.Add(DateTime.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }

    static (TestLan, EtcdCluster) Cluster(EtcdSecurity security = EtcdSecurity.None)
    {
        RequireEtcd();
        var lan = new TestLan(5);
        try
        {
            return (lan, new EtcdCluster(lan, security));
        }
        catch
        {
            lan.Dispose();
            throw;
        }
    }

    [Test]
    public void The_lower_advskew_holds_and_etcdctl_says_who()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        using (var sampler = new HolderSampler(lan))
        {
            using UcarpProcess b = Node(lan, etcd, B, "-k", "100");
            using UcarpProcess a = Node(lan, etcd, A, "-k", "0");
            Assert.That(Wait.Until(() => lan.VipHolders().Count == 1, Long), Is.True, Describe(lan, a, b));
            Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([A]) || lan.VipHolders().SequenceEqual([B]), TimeSpan.FromSeconds(2)), Is.True);
            string get = etcd.Ctl("get", "--prefix", "/ucarp");
            int holder = lan.VipHolders().Single();
            Assert.That(get, Does.Contain("/ucarp/192.0.2.100"));
            Assert.That(get, Does.Contain($"\"holder\":\"{TestLan.Address(holder)}\""), get);
            // Started together, the lower advskew campaigns first; started one after the other, the first holds.
            Assert.That(sampler.Doubles, Is.Empty);
        }
    }

    [Test]
    public void A_killed_holder_is_replaced_within_ttl_and_a_half()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        using (var sampler = new HolderSampler(lan))
        {
            var (a, b) = HolderAndBackup(lan, etcd);
            var clock = Stopwatch.StartNew();
            a.Signal("KILL");
            // SIGKILL leaves the address on node 4's interface (no downscript), as with CARP:
            // what counts is when node 5 takes it.
            Assert.That(Wait.Until(() => b.Saw("Switching to state: MASTER"), TimeSpan.FromSeconds(10)), Is.True, Describe(lan, a, b));
            double seconds = clock.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"etcd takeover after SIGKILL: {seconds:F2} s (TTL 3 s)");
            Assert.That(seconds, Is.LessThan(Ttl.TotalSeconds + 1.5), Describe(lan, a, b));
            Assert.That(Wait.Until(() => lan.HoldsVip(B), Short), Is.True);
        }
    }

    [Test]
    public void A_holder_cut_off_from_etcd_releases_first_and_never_with_the_other()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        using (var sampler = new HolderSampler(lan))
        {
            var (a, b) = HolderAndBackup(lan, etcd);
            // Node 4 loses etcd (its packets to the members go nowhere) but keeps the LAN.
            for (int m = 1; m <= EtcdCluster.Members; m++)
            {
                lan.Ip("-n", lan.Node(A), "route", "add", "blackhole", TestLan.Address(m) + "/32");
            }
            Assert.That(Wait.Until(() => lan.HoldsVip(B), TimeSpan.FromSeconds(10)), Is.True, Describe(lan, a, b));
            Assert.That(a.Saw("etcd lease not renewed for"), Is.True, Describe(lan, a, b));
            Assert.That(sampler.Samples, Is.GreaterThan(100));
            Assert.That(sampler.Doubles, Is.Empty, "both held the address at " + string.Join(", ", sampler.Doubles));
            Assert.That(lan.HoldsVip(A), Is.False);
        }
    }

    [Test]
    public void Killing_the_etcd_leader_and_a_member_moves_nothing()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            var (a, b) = HolderAndBackup(lan, etcd);
            int leader = etcd.Leader();
            Assert.That(leader, Is.InRange(1, 3));
            etcd.Kill(leader);
            Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([A]), TimeSpan.FromSeconds(6)), Is.True, Describe(lan, a, b));
            etcd.Start(leader);
            Assert.That(Wait.Until(etcd.Healthy, TimeSpan.FromSeconds(15)), Is.True);
            int other = leader % 3 + 1;
            etcd.Kill(other);
            Assert.That(Wait.Throughout(() => lan.VipHolders().SequenceEqual([A]), TimeSpan.FromSeconds(6)), Is.True, Describe(lan, a, b));
            Assert.That(a.Count("Switching to state: MASTER"), Is.EqualTo(1), Describe(lan, a, b));
            Assert.That(b.Saw("Switching to state: MASTER"), Is.False, Describe(lan, a, b));
        }
    }

    [TestCase("TERM")]
    [TestCase("USR2")]
    public void A_planned_stop_hands_over_within_a_second(string signal)
    {
        var (lan, etcd) = Cluster();
        using (lan)
        using (var sampler = new HolderSampler(lan))
        {
            var (a, b) = HolderAndBackup(lan, etcd, "-z");
            var clock = Stopwatch.StartNew();
            a.Signal(signal);
            Assert.That(Wait.Until(() => lan.HoldsVip(B), Long), Is.True, Describe(lan, a, b));
            double ms = clock.Elapsed.TotalMilliseconds;
            TestContext.Out.WriteLine($"etcd handover on SIG{signal}: {ms:F0} ms");
            Assert.That(ms, Is.LessThan(1000), Describe(lan, a, b));
            Assert.That(sampler.Doubles, Is.Empty);
            if (signal == "TERM")
            {
                Assert.That(a.WaitForExit(Short), Is.True);
                Assert.That(a.ExitCode, Is.Zero);
            }
        }
    }

    [Test]
    public void With_P_the_preferred_node_takes_the_address_back()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        using (var sampler = new HolderSampler(lan))
        {
            using UcarpProcess b = Node(lan, etcd, B, "-k", "100");
            Assert.That(Wait.Until(() => lan.HoldsVip(B), Long), Is.True, Describe(lan, b));
            using UcarpProcess a = Node(lan, etcd, A, "-k", "0", "-P");
            Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([A]), TimeSpan.FromSeconds(8)), Is.True, Describe(lan, a, b));
            Assert.That(b.Saw("asks for the address (-P): handing it over"), Is.True, Describe(lan, a, b));
            Assert.That(sampler.Doubles, Is.Empty);
        }
    }

    [Test]
    public void Tls_with_client_certificates_works_and_a_foreign_authority_is_refused()
    {
        var (lan, etcd) = Cluster(EtcdSecurity.Tls);
        using (lan)
        {
            using UcarpProcess a = Node(lan, etcd, A, "-k", "0");
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, Describe(lan, a));
            Assert.That(etcd.Ctl("get", "--prefix", "/ucarp"), Does.Contain("\"holder\":\"192.0.2.4\""));

            using UcarpProcess wrongCa = lan.Start(B, Binaries.Clone, "--etcd=" + etcd.Endpoints, "--etcd-cacert=" + etcd.Pki!.OtherCa,
                                                   "--etcd-cert=" + etcd.Pki.ClientCert, "--etcd-key=" + etcd.Pki.ClientKey);
            Assert.That(wrongCa.WaitForExit(Long), Is.True, wrongCa.Output);
            Assert.That(wrongCa.ExitCode, Is.EqualTo(2));
            Assert.That(wrongCa.Output, Does.Contain("[ERROR] TLS with etcd at [https://192.0.2.1:2379] failed"));

            using UcarpProcess noCert = lan.Start(B, Binaries.Clone, "--etcd=" + etcd.Endpoints, "--etcd-cacert=" + etcd.Pki.Ca);
            Assert.That(noCert.WaitForExit(Long), Is.True, noCert.Output);
            Assert.That(noCert.ExitCode, Is.EqualTo(2), noCert.Output);
        }
    }

    [Test]
    public void Wrong_credentials_are_a_setup_error_and_right_ones_work()
    {
        var (lan, etcd) = Cluster(EtcdSecurity.Password);
        using (lan)
        {
            using UcarpProcess wrong = lan.Start(B, Binaries.Clone, etcd.ClientOptions(etcd.PasswordFile("not-it")));
            Assert.That(wrong.WaitForExit(Long), Is.True, wrong.Output);
            Assert.That(wrong.ExitCode, Is.EqualTo(2));
            Assert.That(wrong.Output, Does.Contain("[ERROR] etcd refused the credentials of user [ucarp]"));

            using UcarpProcess a = Node(lan, etcd, A, "-k", "0");
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, Describe(lan, a));
            Assert.That(a.Output, Does.Not.Contain("secret-pw"));
        }
    }

    [Test]
    public void Etcd_unreachable_at_start_waits_as_backup_and_says_so_once()
    {
        RequireEtcd();
        using var lan = new TestLan(5);
        using UcarpProcess a = lan.Start(A, Binaries.Clone, "--etcd=http://192.0.2.1:2379,http://192.0.2.2:2379", "-k", "0");
        Assert.That(Wait.Until(() => a.Saw("etcd unreachable"), Long), Is.True, a.Output);
        Assert.That(Wait.Throughout(() => !lan.HoldsVip(A), TimeSpan.FromSeconds(4)), Is.True, a.Output);
        Assert.That(a.Count("etcd unreachable"), Is.EqualTo(1), a.Output);
        var etcd = new EtcdCluster(lan);
        Assert.That(Wait.Until(() => lan.HoldsVip(A), TimeSpan.FromSeconds(15)), Is.True, a.Output);
        Assert.That(a.Count("etcd reachable again"), Is.EqualTo(1), a.Output);
        _ = etcd;
    }
}
