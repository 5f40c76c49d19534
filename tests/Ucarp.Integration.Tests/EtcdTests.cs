using System.Diagnostics;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The election on a real etcd: Debian's etcd-server 3.4, three members on nodes 1-3 of
/// a namespace LAN, Ucarp.Net on nodes 4 and 5 sharing 192.0.2.100. Never two holders is
/// decided from the intervals in which each node held the address (the scripts stamp them
/// on the clock all namespaces share), which no brief overlap can slip between.
/// </summary>
// Long fixtures start first in the concurrent phase, so that they do not end it alone.
[Order(4)]
public class EtcdTests : NamespaceTest
{
    const int A = 4, B = 5;
    static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);

    internal static void RequireEtcd()
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

    /// <summary>Never two holders: no two nodes' intervals (upscript start to downscript end) overlap.</summary>
    static void NeverTwoHolders(TestLan lan, HolderIntervals intervals, params UcarpProcess[] processes) =>
        Assert.That(intervals.Overlaps(), Is.Empty, "two holders at once:\n" + intervals + "\n" + Describe(lan, processes));

    internal static (TestLan, EtcdCluster) Cluster(EtcdSecurity security = EtcdSecurity.None, bool etcdDefaults = false)
    {
        RequireEtcd();
        var lan = new TestLan(5);
        try
        {
            return (lan, new EtcdCluster(lan, security, etcdDefaults));
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
            HolderIntervals held = HolderIntervals.Read(lan);
            Assert.That(held.All, Has.Count.EqualTo(1), held.ToString());
        }
    }

    [Serial]
    [Test]
    public void A_killed_holder_is_replaced_within_ttl_and_a_half()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            var (a, b) = HolderAndBackup(lan, etcd);
            var clock = Stopwatch.StartNew();
            double killed = HolderIntervals.Now;
            a.Signal("KILL");
            // SIGKILL leaves the address on node 4's interface (no downscript), as with CARP:
            // what counts is when node 5 takes it.
            Assert.That(Wait.Until(() => b.Saw("Switching to state: MASTER"), TimeSpan.FromSeconds(10)), Is.True, Describe(lan, a, b));
            double seconds = clock.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"etcd takeover after SIGKILL: {seconds:F2} s (TTL 3 s)");
            Assert.That(seconds, Is.LessThan(Ttl.TotalSeconds + 1.5), Describe(lan, a, b));
            Assert.That(Wait.Until(() => lan.HoldsVip(B), Short), Is.True);
            NeverTwoHolders(lan, HolderIntervals.Read(lan, new Dictionary<int, double> { [A] = killed }), a, b);
        }
    }

    [Test]
    public void A_holder_cut_off_from_etcd_releases_first_and_never_with_the_other()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            string state = Path.Combine(lan.Directory, "a.json");
            var (a, b) = HolderAndBackup(lan, etcd, "--state-file=" + state);
            // The state file shows the session: reachable, its lease, a fresh renewal, no fence yet.
            System.Text.Json.JsonElement Etcd() => System.Text.Json.JsonDocument.Parse(File.ReadAllText(state)).RootElement.GetProperty("etcd");
            Assert.That(Wait.Until(() => Etcd() is { ValueKind: System.Text.Json.JsonValueKind.Object } e && e.GetProperty("reachable").GetBoolean()
                                         && e.GetProperty("lease").ValueKind == System.Text.Json.JsonValueKind.String, Short), Is.True, File.ReadAllText(state));
            Assert.That((Etcd().GetProperty("fences").GetInt32(), Etcd().GetProperty("renewal_age_seconds").GetDouble()), Is.EqualTo((0, 0.0)).Within(3.0));
            // Node 4 loses etcd (its packets to the members go nowhere) but keeps the LAN.
            for (int m = 1; m <= EtcdCluster.Members; m++)
            {
                lan.Ip("-n", lan.Node(A), "route", "add", "blackhole", TestLan.Address(m) + "/32");
            }
            Assert.That(Wait.Until(() => lan.HoldsVip(B), TimeSpan.FromSeconds(10)), Is.True, Describe(lan, a, b));
            Assert.That(a.WaitFor("etcd lease not renewed for", Short), Is.True, Describe(lan, a, b));
            Assert.That(lan.HoldsVip(A), Is.False);
            // Not a change of role: written at the next refresh (a second), not at once.
            Assert.That(Wait.Until(() => Etcd().GetProperty("fences").GetInt32() == 1 && !Etcd().GetProperty("reachable").GetBoolean(), Long), Is.True,
                        "the fence is counted, etcd said out of reach\n" + File.ReadAllText(state));
            HolderIntervals held = HolderIntervals.Read(lan);
            NeverTwoHolders(lan, held, a, b);
            Assert.That((held.Count(A), held.Count(B)), Is.EqualTo((1, 1)), held.ToString());
        }
    }

    /// <summary>
    /// etcd at its own defaults (1 s election timeout), nodes on the default TTL (5 s): the
    /// leader SIGKILLed, UCARP_LEADER_KILLS times (6 by default; a new one is elected up to
    /// about 2 s later), then another member: the holder rides every election out. Moves
    /// are counted from the intervals, which no brief move can slip between: node 4 took the
    /// address once and still holds it, node 5 never took it. Serial: the holder's fence is
    /// 3.3 s after its last answered renewal, and etcd members starved of CPU by other
    /// namespace tests on two cores can take longer than that to elect.
    /// </summary>
    [Serial]
    [Test]
    public void Killing_the_etcd_leader_and_a_member_at_etcds_defaults_moves_nothing()
    {
        int kills = int.TryParse(Environment.GetEnvironmentVariable("UCARP_LEADER_KILLS"), out int k) && k > 0 ? k : 6;
        var (lan, etcd) = Cluster(etcdDefaults: true);
        using (lan)
        {
            var (a, b) = HolderAndBackup(lan, etcd);
            var elections = new List<double>();
            for (int round = 0; round < kills; round++)
            {
                int leader = 0;
                Assert.That(Wait.Until(() => (leader = etcd.Leader()) != 0, Long), Is.True, "no etcd leader");
                var clock = System.Diagnostics.Stopwatch.StartNew();
                etcd.Kill(leader);
                Assert.That(Wait.Until(() => etcd.Leader() is int now && now != 0 && now != leader, Long), Is.True, "no new etcd leader");
                elections.Add(clock.Elapsed.TotalSeconds);
                // Past the point where the holder's fence would have fallen (3.3 s after its last
                // answered renewal, which was at most TTL/9, 0.56 s, before the kill) had no renewal been answered since.
                Thread.Sleep(TimeSpan.FromSeconds(Math.Max(0.5, 4.0 - clock.Elapsed.TotalSeconds)));
                etcd.Start(leader);
                Assert.That(Wait.Until(etcd.Healthy, TimeSpan.FromSeconds(15)), Is.True);
            }
            elections.Sort();
            TestContext.Out.WriteLine($"{kills} leader kills: a new leader seen after {elections[0]:F2} to {elections[^1]:F2} s (polled)");
            int other = etcd.Leader() % 3 + 1;
            etcd.Kill(other);
            Thread.Sleep(TimeSpan.FromSeconds(3));
            HolderIntervals held = HolderIntervals.Read(lan);
            Assert.That(held.Count(A), Is.EqualTo(1), held + "\n" + Describe(lan, a, b));
            Assert.That(held.All.Single().To, Is.EqualTo(double.PositiveInfinity), held + "\n" + Describe(lan, a, b));
            Assert.That(held.Count(B), Is.Zero, held + "\n" + Describe(lan, a, b));
            Assert.That(a.Saw("etcd lease not renewed"), Is.False, Describe(lan, a, b));
        }
    }

    /// <summary>
    /// The check itself, against a deliberately broken setup: two nodes on different key
    /// prefixes both hold the address. The intervals must say so.
    /// </summary>
    [Test]
    public void The_interval_check_sees_two_holders()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            using UcarpProcess a = Node(lan, etcd, A, "-k", "0");
            using UcarpProcess b = Node(lan, etcd, B, "-k", "0", "--etcd-prefix=/elsewhere");
            Assert.That(Wait.Until(() => lan.VipHolders().Count == 2, Long), Is.True, Describe(lan, a, b));
            Assert.That(HolderIntervals.Read(lan).Overlaps(), Has.Count.EqualTo(1), Describe(lan, a, b));
        }
    }

    /// <summary>
    /// `etcdctl put /ucarp/192.0.2.100 x`: no lease, no holder record. Nobody holds the
    /// address, the node says so once and waits (no campaign loop); `etcdctl del` frees it
    /// at once.
    /// </summary>
    [Serial]
    [Test]
    public void A_key_put_by_hand_holds_nobody_until_deleted()
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            etcd.Ctl("put", "/ucarp/" + TestLan.Vip, "x");
            using UcarpProcess a = Node(lan, etcd, A, "-k", "0");
            Assert.That(Wait.Until(() => a.Saw("not a holder record on a lease"), Long), Is.True, Describe(lan, a));
            Assert.That(Wait.Throughout(() => !lan.HoldsVip(A), TimeSpan.FromSeconds(4)), Is.True, Describe(lan, a));
            Assert.That(a.Count("not a holder record on a lease"), Is.EqualTo(1), Describe(lan, a));
            // Campaigns are transactions: a loop would start hundreds a second.
            long before = etcd.Calls("Txn");
            Thread.Sleep(TimeSpan.FromSeconds(4));
            long campaigns = etcd.Calls("Txn") - before;
            TestContext.Out.WriteLine($"transactions in 4 s with the key put by hand: {campaigns}");
            Assert.That(campaigns, Is.LessThanOrEqualTo(1), Describe(lan, a));
            var clock = Stopwatch.StartNew();
            etcd.Ctl("del", "/ucarp/" + TestLan.Vip);
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, Describe(lan, a));
            TestContext.Out.WriteLine($"held {clock.Elapsed.TotalMilliseconds:F0} ms after etcdctl del");
            Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(1.5), Describe(lan, a));
        }
    }

    /// <summary>
    /// Node 5 cut off from etcd for 8 s (blackhole routes to the members), long enough for
    /// its backoff to grow to 5 s and its lease to expire. A second after it is back, the
    /// holder stops with SIGTERM: node 5 takes over within milliseconds, not after its
    /// backoff and a new lease. With <paramref name="keyPutMeanwhile"/>, another key under
    /// the prefix is written while node 5 is cut off: its watch's member sends the event,
    /// has no acknowledgement (the routes drop node 5's packets, not the member's), and
    /// backs off its retransmissions, holding the holder's deletion back behind them; the
    /// watch's own start, answered just as the routes went in, did the same by chance
    /// (3286 ms in one full run). Node 5 must watch afresh once it is back.
    /// </summary>
    [Serial]
    [TestCase(false)]
    [TestCase(true)]
    public void A_backup_back_from_a_partition_takes_over_at_once(bool keyPutMeanwhile)
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            var (a, b) = HolderAndBackup(lan, etcd, "-z");
            for (int m = 1; m <= EtcdCluster.Members; m++)
            {
                lan.Ip("-n", lan.Node(B), "route", "add", "blackhole", TestLan.Address(m) + "/32");
            }
            Assert.That(Wait.Until(() => b.Saw("etcd unreachable"), Long), Is.True, Describe(lan, a, b));
            if (keyPutMeanwhile)
            {
                etcd.Ctl("put", "/ucarp/another-group", "x");
            }
            Thread.Sleep(TimeSpan.FromSeconds(8));
            for (int m = 1; m <= EtcdCluster.Members; m++)
            {
                lan.Ip("-n", lan.Node(B), "route", "del", "blackhole", TestLan.Address(m) + "/32");
            }
            Thread.Sleep(TimeSpan.FromSeconds(1));
            var clock = Stopwatch.StartNew();
            a.Signal("TERM");
            Assert.That(Wait.Until(() => lan.HoldsVip(B), Long), Is.True, Describe(lan, a, b));
            double ms = clock.Elapsed.TotalMilliseconds;
            TestContext.Out.WriteLine($"etcd handover 1 s after the backup's partition healed: {ms:F0} ms");
            Assert.That(b.WaitFor("etcd reachable again", Short), Is.True, Describe(lan, a, b));
            Assert.That(ms, Is.LessThan(1000), Describe(lan, a, b));
            NeverTwoHolders(lan, HolderIntervals.Read(lan), a, b);
        }
    }

    [Serial]
    [TestCase("TERM")]
    [TestCase("USR2")]
    public void A_planned_stop_hands_over_within_a_second(string signal)
    {
        var (lan, etcd) = Cluster();
        using (lan)
        {
            var (a, b) = HolderAndBackup(lan, etcd, "-z");
            var clock = Stopwatch.StartNew();
            a.Signal(signal);
            Assert.That(Wait.Until(() => lan.HoldsVip(B), Long), Is.True, Describe(lan, a, b));
            double ms = clock.Elapsed.TotalMilliseconds;
            TestContext.Out.WriteLine($"etcd handover on SIG{signal}: {ms:F0} ms");
            Assert.That(ms, Is.LessThan(1000), Describe(lan, a, b));
            NeverTwoHolders(lan, HolderIntervals.Read(lan), a, b);
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
        {
            using UcarpProcess b = Node(lan, etcd, B, "-k", "100");
            Assert.That(Wait.Until(() => lan.HoldsVip(B), Long), Is.True, Describe(lan, b));
            using UcarpProcess a = Node(lan, etcd, A, "-k", "0", "-P");
            Assert.That(Wait.Until(() => lan.VipHolders().SequenceEqual([A]), TimeSpan.FromSeconds(8)), Is.True, Describe(lan, a, b));
            Assert.That(b.WaitFor("asks for the address (-P): handing it over", Short), Is.True, Describe(lan, a, b));
            NeverTwoHolders(lan, HolderIntervals.Read(lan), a, b);
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

    /// <summary>
    /// Certificates rotated on disk are used after a reload, without a restart: the
    /// --etcd-cacert file of a --config daemon holding the address is replaced by a foreign
    /// authority, and after SIGHUP its next renewal refuses etcd's certificate (so it lets
    /// the address go, as it must); the right authority put back, and after SIGHUP it holds
    /// again. Before, the files were read once per session and a reload changed nothing.
    /// </summary>
    [Test]
    public void Certificates_rotated_on_disk_are_read_again_at_a_reload()
    {
        var (lan, etcd) = Cluster(EtcdSecurity.Tls);
        using (lan)
        {
            string ca = Path.Combine(lan.Directory, "rotated-ca.pem");
            File.Copy(etcd.Pki!.Ca, ca);
            string config = Path.Combine(lan.Directory, "tls.conf");
            File.WriteAllText(config, $"defaults -i eth0 -s {TestLan.Address(A)} -p test -u {lan.UpScript} -d {lan.DownScript}\n"
                                      + $"group vip -v 42 -a {TestLan.Vip} -k 0 --etcd={etcd.Endpoints} --etcd-cacert={ca} "
                                      + $"--etcd-cert={etcd.Pki.ClientCert} --etcd-key={etcd.Pki.ClientKey} --etcd-ttl=3\n");
            File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);   // it holds a password
            using UcarpProcess a = lan.StartRaw(A, Binaries.Clone, "--config=" + config, "--control=" + Path.Combine(lan.Directory, "tls.sock"));
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, Describe(lan, a));

            File.Copy(etcd.Pki.OtherCa, ca, overwrite: true);
            a.Signal("HUP");
            Assert.That(a.WaitFor("configuration reloaded", Long), Is.True, a.Output);
            Assert.That(a.WaitFor("certificate verify failed", Long), Is.True, "the foreign authority is used\n" + a.Output);
            Assert.That(Wait.Until(() => !lan.HoldsVip(A), Long), Is.True, "no renewal, so the address goes\n" + Describe(lan, a));

            File.Copy(etcd.Pki.Ca, ca, overwrite: true);
            a.Signal("HUP");
            Assert.That(Wait.Until(() => a.Count("configuration reloaded") == 2, Long), Is.True, a.Output);
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, "the right authority again\n" + Describe(lan, a));
            Assert.That(a.HasExited, Is.False, a.Output);
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
