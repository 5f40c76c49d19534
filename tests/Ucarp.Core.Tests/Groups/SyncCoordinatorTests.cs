using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Groups;

namespace Ucarp.Core.Tests.Groups;

/// <summary>
/// The sync-set rule at run time, over fake elections: who steps down, who is kept out,
/// who rejoins, and that nothing loops or costs anything when nothing changed.
/// </summary>
public class SyncCoordinatorTests
{
    const long Now = 1_000_000;

    sealed class Host
    {
        public readonly Dictionary<string, (FakeElection Election, ElectionGate Gate, string? Set)> Groups = [];
        public readonly SyncCoordinator Sync;
        public readonly List<string> Warnings = [];

        public Host(params (string Name, string? Set)[] groups)
        {
            Sync = new SyncCoordinator((group, line) => Warnings.Add($"[{group}] {line}"));
            foreach ((string name, string? set) in groups)
            {
                Add(name, set);
            }
            Sync.SetMembers(Members(), Now);
        }

        public ElectionGate Add(string name, string? set)
        {
            var election = new FakeElection();
            var gate = new ElectionGate(election);
            Groups[name] = (election, gate, set);
            return gate;
        }

        public List<(string, string?, ElectionGate)> Members() => Groups.Select(g => (g.Key, g.Value.Set, g.Value.Gate)).ToList();
        public FakeElection E(string name) => Groups[name].Election;
        public ElectionGate G(string name) => Groups[name].Gate;

        public void AllMaster()
        {
            foreach (var g in Groups.Values)
            {
                g.Election.State = CarpState.Master;
            }
            Sync.Observe(Now);
            foreach (var g in Groups.Values)
            {
                g.Election.Calls.Clear();
            }
        }
    }

    static Host FrontAndStore() => new(("web", "front"), ("api", "front"), ("tls", "front"), ("db", "store"), ("dns", null));

    [Test]
    public void A_failing_check_on_a_master_takes_its_masters_out_of_the_election_until_it_passes()
    {
        Host host = FrontAndStore();
        host.AllMaster();

        host.G("web").SetEligible(false, "check failed", Now);
        host.Sync.Observe(Now);

        Assert.That(host.E("web").State, Is.EqualTo(CarpState.Backup));
        foreach (string mate in new[] { "api", "tls" })
        {
            Assert.That(host.E(mate).State, Is.EqualTo(CarpState.Backup), mate);
            Assert.That(host.E(mate).Eligible, Is.False, mate);
            Assert.That(host.E(mate).Calls, Is.EqualTo(new[] { "out: sync set front: web is out of the election" }), mate);
            Assert.That(host.G(mate).EligibilityReason, Is.EqualTo("sync set front: web is out of the election"), mate);
        }
        // Another set and a group in no set are not touched.
        Assert.That(host.E("db").State, Is.EqualTo(CarpState.Master));
        Assert.That(host.E("dns").State, Is.EqualTo(CarpState.Master));
        Assert.That(host.E("db").Calls.Concat(host.E("dns").Calls), Is.Empty);

        // Still failing: nothing more happens, however often the loop turns.
        host.Sync.Observe(Now + 1);
        host.Sync.Observe(Now + 2);
        Assert.That(host.E("api").Calls, Has.Count.EqualTo(1));

        host.G("web").SetEligible(true, "check passed", Now + 3);
        host.Sync.Observe(Now + 3);
        foreach (string mate in new[] { "web", "api", "tls" })
        {
            Assert.That(host.E(mate).Eligible, Is.True, mate);
        }
        Assert.That(host.E("api").Calls.Last(), Is.EqualTo("in: sync set front: every member is in the election"));
    }

    [Test]
    public void Leaving_the_election_takes_the_mates_out_without_a_demotion_hold()
    {
        Host host = FrontAndStore();
        host.AllMaster();
        host.G("web").SetEligible(false, "check failed", Now);
        host.Sync.Observe(Now);
        host.Sync.Observe(Now + 1);
        // api and tls step down through their Sync gate, and rejoin as soon as web does:
        // no demotion (its 3 s hold) before or after, though they too left MASTER.
        Assert.That(host.Groups.Values.SelectMany(g => g.Election.Calls), Has.None.EqualTo("demote"));
    }

    [Test]
    public void Losing_the_election_demotes_the_masters_of_the_set_and_keeps_it_in_the_election()
    {
        Host host = FrontAndStore();
        host.AllMaster();
        host.E("tls").State = CarpState.Backup; // tls already BACKUP here: not demoted again

        host.E("web").State = CarpState.Backup; // a preferred peer's advert
        host.Sync.Observe(Now);

        Assert.That(host.E("api").Demotions, Is.EqualTo(1));
        Assert.That(host.E("api").State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.Warnings, Is.EqualTo(new[] { "[api] Sync set front: web left MASTER here, stepping down with it" }));
        Assert.That(host.E("tls").Calls, Is.Empty);
        Assert.That(host.E("db").State, Is.EqualTo(CarpState.Master));
        Assert.That(host.Groups.Values.All(g => g.Election.Eligible), Is.True, "losing is no reason to leave the election");

        // The demoted api left MASTER too, but by our hand: nothing cascades.
        host.Sync.Observe(Now + 1);
        Assert.That(host.E("web").Calls.Concat(host.E("api").Calls), Is.EqualTo(new[] { "demote" }));
    }

    [Test]
    public void Winning_is_not_leaving()
    {
        Host host = FrontAndStore();
        host.E("web").State = CarpState.Master;
        host.Sync.Observe(Now);
        Assert.That(host.Groups.Values.SelectMany(g => g.Election.Calls), Is.Empty);
    }

    [TestCase("control")]
    [TestCase("stopping")]
    [TestCase("link")]
    [TestCase("health, as a backup")]
    public void Every_way_out_of_the_election_takes_the_masters_of_the_set_out(string how)
    {
        Host host = FrontAndStore();
        host.AllMaster();
        if (how.StartsWith("health", StringComparison.Ordinal))
        {
            host.E("web").State = CarpState.Backup;
            host.Sync.Observe(Now);
            // web's loss demoted its mates; make them masters again, then web leaves as a BACKUP.
            host.E("api").State = CarpState.Master;
            host.Sync.Observe(Now);
        }
        switch (how)
        {
            case "control": host.G("web").Close(GateReason.Control, "demoted by ucarpctl", Now); break;
            case "stopping": host.G("web").MarkStopping(); break;
            case "link": host.E("web").LinkDown(Now); break;
            default: host.G("web").SetEligible(false, "check failed", Now); break;
        }
        host.Sync.Observe(Now + 1);

        Assert.That(host.E("api").State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.G("api").IsClosed(GateReason.Sync), Is.True);
        Assert.That(host.G("tls").IsClosed(GateReason.Sync), Is.True);
        Assert.That(host.E("db").State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void The_sync_gate_does_not_count_as_out_and_two_members_out_keep_each_other_out()
    {
        Host host = FrontAndStore();
        host.G("web").SetEligible(false, "check failed", Now);
        host.Sync.Observe(Now);
        // web is out on its own; its own Sync gate stays open (no other member is out).
        Assert.That(host.G("web").IsClosed(GateReason.Sync), Is.False);
        Assert.That(host.G("api").OwnInElection, Is.True, "closed by the set only: still in for the rule");

        host.G("api").Close(GateReason.Control, "demoted by ucarpctl", Now + 1);
        host.Sync.Observe(Now + 1);
        Assert.That(host.G("web").IsClosed(GateReason.Sync), Is.True);

        host.G("web").SetEligible(true, "check passed", Now + 2);
        host.Sync.Observe(Now + 2);
        Assert.That(host.E("web").Eligible, Is.False, "api is still out");
        Assert.That(host.G("web").EligibilityReason, Is.EqualTo("sync set front: api is out of the election"));
        Assert.That(host.G("tls").EligibilityReason, Is.EqualTo("sync set front: api is out of the election"), "re-worded: web is back");

        host.G("api").Open(GateReason.Control, "promoted by ucarpctl", Now + 3);
        host.Sync.Observe(Now + 3);
        Assert.That(host.Groups.Values.All(g => g.Election.Eligible), Is.True);
    }

    [Test]
    public void A_reload_that_removes_a_master_member_demotes_its_master_mates()
    {
        Host host = FrontAndStore();
        host.AllMaster();
        host.Groups.Remove("web");
        host.Sync.SetMembers(host.Members(), Now);
        Assert.That(host.E("api").Demotions, Is.EqualTo(1));
        Assert.That(host.E("tls").Demotions, Is.EqualTo(1));
        Assert.That(host.E("db").Calls.Concat(host.E("dns").Calls), Is.Empty);
    }

    [Test]
    public void A_reload_after_a_stopped_member_was_seen_demotes_no_one_and_opens_the_set()
    {
        Host host = FrontAndStore();
        host.AllMaster();
        host.G("web").MarkStopping();
        host.Sync.Observe(Now);
        Assert.That(host.G("api").IsClosed(GateReason.Sync), Is.True);

        // The changed group restarts as a new one.
        host.Groups.Remove("web");
        host.Add("web", "front");
        host.Sync.SetMembers(host.Members(), Now + 1);
        Assert.That(host.Groups.Values.SelectMany(g => g.Election.Calls), Has.None.EqualTo("demote"));
        Assert.That(host.Groups.Values.All(g => g.Election.Eligible), Is.True);
    }

    [Test]
    public void A_reload_reevaluates_membership()
    {
        Host host = FrontAndStore();
        host.G("db").SetEligible(false, "check failed", Now);
        host.Sync.Observe(Now);
        Assert.That(host.G("api").IsClosed(GateReason.Sync), Is.False);

        // The reload puts api into db's set and takes tls out of every set: api is now kept out by db.
        var gates = host.Groups.ToDictionary(g => g.Key, g => g.Value.Gate);
        host.Sync.SetMembers([("web", "front", gates["web"]), ("api", "store", gates["api"]), ("tls", null, gates["tls"]),
                              ("db", "store", gates["db"]), ("dns", null, gates["dns"])], Now + 1);
        Assert.That(host.G("api").IsClosed(GateReason.Sync), Is.True);
        Assert.That(host.G("api").EligibilityReason, Is.EqualTo("sync set store: db is out of the election"));

        // A group whose Sync gate is closed and that leaves every set is let in.
        host.Sync.SetMembers([("web", "front", gates["web"]), ("api", null, gates["api"]), ("db", "store", gates["db"])], Now + 2);
        Assert.That(host.G("api").IsClosed(GateReason.Sync), Is.False);
        Assert.That(host.E("api").Eligible, Is.True);
    }

    [Test]
    public void A_new_member_out_of_the_election_keeps_its_set_out()
    {
        Host host = FrontAndStore();
        host.AllMaster();
        ElectionGate added = host.Add("ntp", "front");
        added.Close(GateReason.Control, "demoted by ucarpctl", Now);
        host.Sync.SetMembers(host.Members(), Now);
        Assert.That(host.E("web").State, Is.EqualTo(CarpState.Backup));
        Assert.That(host.G("web").EligibilityReason, Is.EqualTo("sync set front: ntp is out of the election"));
    }

    [Test]
    public void Without_sets_observe_touches_nothing_and_allocates_nothing()
    {
        var host = new Host(Enumerable.Range(1, 255).Select(v => ($"g{v}", (string?)null)).ToArray());
        host.AllMaster();
        foreach (var g in host.Groups.Values.Take(10))
        {
            g.Gate.SetEligible(false, "check failed", Now);
            g.Election.Calls.Clear();
        }
        host.Sync.Observe(Now);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            host.Sync.Observe(Now + i);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(host.Groups.Values.SelectMany(g => g.Election.Calls), Is.Empty);
        Assert.That(host.Groups.Values.Count(g => g.Election.State == CarpState.Master), Is.EqualTo(245));
    }

    [Test]
    public void With_sets_an_unchanged_host_allocates_nothing()
    {
        var host = new Host(Enumerable.Range(1, 255).Select(v => ($"g{v}", (string?)$"set{v % 16}")).ToArray());
        host.AllMaster();
        host.G("g1").SetEligible(false, "check failed", Now);
        host.Sync.Observe(Now);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            host.Sync.Observe(Now + i);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(host.Groups.Count(g => g.Value.Election.State == CarpState.Master), Is.EqualTo(255 - 16));
    }

    [Test]
    public void Only_the_sets_a_change_was_heard_in_are_looked_at()
    {
        Host host = new(("web", "front"), ("api", "front"), ("db", "store"), ("log", "store"));
        host.AllMaster();
        // A change no one was told of (a polling rule would act on it; this one must not look).
        host.E("db").Silent = true;
        host.E("db").State = CarpState.Backup;
        host.E("db").Silent = false;
        host.G("web").Close(GateReason.Control, "demoted by ucarpctl", Now);
        host.Sync.Observe(Now);
        Assert.That(host.G("api").IsClosed(GateReason.Sync), Is.True, "front was told and looked at");
        Assert.That(host.E("log").State, Is.EqualTo(CarpState.Master), "store was not looked at");

        host.E("log").LinkIsDown = false;   // any word from store: now it is looked at
        host.Sync.Observe(Now + 1);
        Assert.That(host.E("log").State, Is.EqualTo(CarpState.Backup), "db left MASTER while in the election: its mate follows");
    }

    [Test]
    public void A_set_split_across_hosts_joins_its_leader_once_it_has_stayed_split_for_the_settle_time()
    {
        // The leader is the member with the lowest address, whatever the order or names given.
        var sync = new SyncCoordinator();
        FakeElection web = new(), api = new(), db = new();
        ElectionGate webGate = new(web), apiGate = new(api), dbGate = new(db);
        sync.SetMembers([("api", "front", apiGate, new IpAddress(192, 0, 2, 20)), ("web", "front", webGate, new IpAddress(192, 0, 2, 10)),
                         ("db", "front", dbGate, new IpAddress(192, 0, 2, 30))], Now);
        sync.Observe(Now);
        // api and db won here; web, the leader, is BACKUP and hears another host hold it.
        api.State = CarpState.Master;
        db.State = CarpState.Master;
        web.HeardMaster = new IpAddress(192, 0, 2, 2);
        sync.Observe(Now + 1);
        Assert.That(sync.NextDeadline, Is.EqualTo(Now + 1 + SyncCoordinator.Settle));
        sync.Observe(Now + SyncCoordinator.Settle);
        Assert.That((api.Demotions, db.Demotions), Is.EqualTo((0, 0)), "not before the settle time: a move may be under way");

        sync.Observe(Now + 1 + SyncCoordinator.Settle);
        Assert.That((api.Demotions, db.Demotions), Is.EqualTo((1, 1)), "they step down to join web on its host");
        Assert.That(sync.NextDeadline, Is.Null);
    }

    /// <summary>
    /// While another host holds the set's leader, the mates here let it campaign for them
    /// first (etcd); the leader never waits, and the mates stop waiting once the leader is free.
    /// </summary>
    [Test]
    public void The_mates_of_a_leader_held_elsewhere_let_its_host_campaign_first()
    {
        var sync = new SyncCoordinator();
        FakeElection web = new(), api = new();
        ElectionGate webGate = new(web), apiGate = new(api);
        sync.SetMembers([("api", "front", apiGate, new IpAddress(192, 0, 2, 20)), ("web", "front", webGate, new IpAddress(192, 0, 2, 10))], Now);
        sync.Observe(Now);
        Assert.That((web.Deferred, api.Deferred), Is.EqualTo(((bool?)false, (bool?)false)));

        web.HeardMaster = new IpAddress(192, 0, 2, 2);
        sync.Observe(Now + 1);
        Assert.That((web.Deferred, api.Deferred), Is.EqualTo(((bool?)false, (bool?)true)), "web, the leader, is held by another host");

        web.HeardMaster = null;
        sync.Observe(Now + 2);
        Assert.That(api.Deferred, Is.False, "the leader is free: every member campaigns as its advskew says");
    }

    [Test]
    public void No_join_where_the_leader_is_master_or_hears_no_one_or_the_split_heals_before_the_settle_time()
    {
        Host host = new(("web", "front"), ("api", "front"));
        host.E("api").State = CarpState.Master;
        host.Sync.Observe(Now);
        Assert.That(host.Sync.NextDeadline, Is.Null, "web hears no other host: it will take MASTER itself");

        host.E("web").HeardMaster = new IpAddress(192, 0, 2, 2);
        host.Sync.Observe(Now + 1);
        Assert.That(host.Sync.NextDeadline, Is.Not.Null);
        host.E("web").State = CarpState.Master;   // web won here after all: whole
        host.Sync.Observe(Now + 2);
        Assert.That(host.Sync.NextDeadline, Is.Null);
        host.Sync.Observe(Now + 2 + SyncCoordinator.Settle);
        Assert.That(host.E("api").Demotions, Is.Zero);
    }
}
