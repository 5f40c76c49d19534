using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// A keepalived vrrp_sync_group on one host beside a sync set of our --config daemon on the
/// other: two VRRP groups (VRIDs 42 and 43), each side's pair moving as one whichever side
/// breaks. Ours at priority 100 on node 1, keepalived at 200 with nopreempt on node 2 (so it
/// stays backup behind ours until ours lets go). One of our members' --check failing takes
/// both of ours away (our set bows out, priority 0) and keepalived takes both; one of
/// keepalived's track_scripts failing takes both of its instances to FAULT (its sync group)
/// and ours takes both back.
/// </summary>
public class VrrpSyncGroupTests : NamespaceTest
{
    const int Ours = 1, Theirs = 2;
    static readonly string[] Vips = ["192.0.2.100", "192.0.2.101"];
    /// <summary>A window that shows a backup stays backup: past keepalived's master-down interval at priority 200 (3.22 s).</summary>
    static readonly TimeSpan PastKeepalivedMasterDown = TimeSpan.FromSeconds(4.3);

    static List<string> Held(TestLan lan, int node)
    {
        List<string> shown = lan.AddressesOf(node).Current(ipv6: false);
        return [.. Vips.Where(v => shown.Contains(v + "/32"))];
    }

    [Test]
    public void A_keepalived_sync_group_and_our_sync_set_each_move_their_pair_as_one()
    {
        Keepalived.Require();
        using var lan = new TestLan(2);
        // One file per side: the namespaces share the filesystem.
        string oursBroken = Path.Combine(lan.Directory, "ours-broken"), theirsBroken = Path.Combine(lan.Directory, "theirs-broken");
        string config = Path.Combine(lan.Directory, "sync.conf");
        File.WriteAllText(config,
            $"defaults -i eth0 -s {TestLan.Address(Ours)} --vrrp=3 --priority=100 --advert-int=1 --manage-addresses --sync=fw\n"
            + $"group inside -v 42 -a {Vips[0]} --check 'test ! -e {oursBroken}' --check-interval=0.2\n"
            + $"group outside -v 43 -a {Vips[1]}\n");
        using UcarpProcess ours = lan.StartRaw(Ours, Binaries.Clone, "--config=" + config, "--control=" + Path.Combine(lan.Directory, "ours.sock"));
        Assert.That(Wait.Until(() => Held(lan, Ours).Count == 2, Long), Is.True, ours.Output);

        KeepalivedInstance Instance(int vrid, string vip) =>
            new(200) { Name = "VI_" + vrid.ToString(CultureInfo.InvariantCulture), Vrid = vrid, Vips = [vip + "/32"], NoPreempt = true };
        using var theirs = new Keepalived(lan, Theirs, [Instance(42, Vips[0]) with { FaultWhile = theirsBroken }, Instance(43, Vips[1])], syncGroup: true);
        string Show() => $"--- ours:\n{ours.Output}\n{theirs.Describe()}";
        Assert.That(Wait.Until(() => theirs.RoleOf("VI_42") == "BACKUP" && theirs.RoleOf("VI_43") == "BACKUP", Long), Is.True, Show());
        Assert.That(Wait.Throughout(() => Held(lan, Ours).Count == 2 && Held(lan, Theirs).Count == 0, PastKeepalivedMasterDown), Is.True,
                    "keepalived (nopreempt) hears both of ours and stays backup\n" + Show());

        // Our inside check fails: inside leaves the election, outside bows out with it.
        int passed = ours.Count("health check passed");
        File.WriteAllText(oursBroken, "");
        Assert.That(Wait.Until(() => Held(lan, Theirs).Count == 2 && Held(lan, Ours).Count == 0, Long), Is.True, "keepalived takes both\n" + Show());
        Assert.That(Wait.Until(() => theirs.RoleOf("VI_42") == "MASTER" && theirs.RoleOf("VI_43") == "MASTER", Short), Is.True, Show());
        Assert.That(ours.Saw("[outside] Resigning: advertising priority 0"), Is.True, "outside bowed out with inside\n" + Show());
        Assert.That(theirs.Count("Backup received priority 0 advertisement"), Is.EqualTo(2), "both of ours bowed out\n" + Show());

        // Back in the election at 100, ours stays backup behind keepalived's 200.
        File.Delete(oursBroken);
        Assert.That(Wait.Until(() => ours.Count("health check passed") > passed, Short), Is.True, Show());

        // keepalived's VI_42 faults: its sync group takes VI_43 with it, and ours takes both.
        File.WriteAllText(theirsBroken, "");
        Assert.That(Wait.Until(() => Held(lan, Ours).Count == 2 && Held(lan, Theirs).Count == 0, Long), Is.True, "ours takes both\n" + Show());
        Assert.That(Wait.Until(() => theirs.RoleOf("VI_42") == "FAULT" && theirs.RoleOf("VI_43") == "FAULT", Short), Is.True, Show());
        Assert.That(Wait.Throughout(() => Held(lan, Ours).Count == 2 && Held(lan, Theirs).Count == 0, TimeSpan.FromSeconds(1.5)), Is.True,
                    "the pair stays together on ours\n" + Show());
        Assert.That(ours.HasExited, Is.False);
    }
}
