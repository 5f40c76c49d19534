using Ucarp.Core.Groups;

namespace Ucarp.Core.Tests.Groups;

/// <summary>
/// The sync-set rule: a member leaving MASTER or the election here takes the others out
/// of MASTER here, and none becomes MASTER here while one of its set is out of the election.
/// </summary>
public class SyncSetsTests
{
    static readonly SyncMemberState Master = new(true, true);
    static readonly SyncMemberState Backup = new(false, true);
    static readonly SyncMemberState Out = new(false, false);
    static readonly SyncMemberState MasterStopping = new(true, false);

    static readonly SyncSets Sets = new([("web", "front"), ("api", "front"), ("tls", "front"), ("db", "store"), ("dns", null)]);

    static Func<string, SyncMemberState> States(params (string Group, SyncMemberState State)[] states)
    {
        Dictionary<string, SyncMemberState> map = states.ToDictionary(s => s.Group, s => s.State);
        return g => map.GetValueOrDefault(g, Backup);
    }

    [TestCase(true, true, false, true, "lost election: MASTER to BACKUP")]
    [TestCase(true, true, false, false, "check failed / carrier lost / demoted / stopped while MASTER")]
    [TestCase(false, true, false, false, "a BACKUP leaves the election")]
    [TestCase(true, true, true, false, "MASTER, stopping: out of the election before it leaves MASTER")]
    public void Leaving_master_or_the_election_is_leaving(bool wasMaster, bool wasIn, bool isMaster, bool isIn, string why) =>
        Assert.That(SyncSets.Leaves(new(wasMaster, wasIn), new(isMaster, isIn)), Is.True, why);

    [TestCase(false, true, true, true, "won the election")]
    [TestCase(false, false, false, true, "back in the election")]
    [TestCase(true, true, true, true, "still MASTER")]
    [TestCase(false, true, false, true, "still BACKUP")]
    [TestCase(false, false, false, false, "still out")]
    public void Other_moves_are_not_leaving(bool wasMaster, bool wasIn, bool isMaster, bool isIn, string why) =>
        Assert.That(SyncSets.Leaves(new(wasMaster, wasIn), new(isMaster, isIn)), Is.False, why);

    [Test]
    public void A_member_leaving_master_takes_the_masters_of_its_set_out_and_no_one_else()
    {
        Func<string, SyncMemberState> now = States(("web", Backup), ("api", Master), ("tls", Master), ("db", Master), ("dns", Master));
        Assert.That(Sets.MustBowOut("web", Master, Backup, now), Is.EqualTo(new[] { "api", "tls" }));
    }

    [Test]
    public void A_backup_leaving_the_election_takes_the_masters_of_its_set_out()
    {
        Func<string, SyncMemberState> now = States(("web", Out), ("api", Master), ("tls", Backup));
        Assert.That(Sets.MustBowOut("web", Backup, Out, now), Is.EqualTo(new[] { "api" }));
    }

    [Test]
    public void Nothing_bows_out_when_nothing_left()
    {
        Func<string, SyncMemberState> now = States(("web", Master), ("api", Master), ("tls", Master));
        Assert.That(Sets.MustBowOut("web", Backup, Master, now), Is.Empty);
        Assert.That(Sets.MustBowOut("web", Out, Backup, now), Is.Empty);
    }

    [Test]
    public void A_group_in_no_set_or_alone_in_its_set_takes_no_one_out()
    {
        Func<string, SyncMemberState> now = States(("web", Master), ("api", Master), ("tls", Master), ("db", Backup), ("dns", Out));
        Assert.That(Sets.MustBowOut("dns", Master, Out, now), Is.Empty);
        Assert.That(Sets.MustBowOut("db", Master, Backup, now), Is.Empty);
        Assert.That(Sets.MustBowOut("unknown", Master, Backup, now), Is.Empty);
    }

    [Test]
    public void No_member_becomes_master_while_one_of_its_set_is_out_of_the_election()
    {
        Assert.That(Sets.MayBecomeMaster("web", States()), Is.True);
        Assert.That(Sets.MayBecomeMaster("web", States(("tls", Out))), Is.False);
        Assert.That(Sets.MayBecomeMaster("web", States(("api", MasterStopping))), Is.False);
        Assert.That(Sets.MayBecomeMaster("web", States(("web", Out))), Is.False);
        // Another set's trouble is not this set's.
        Assert.That(Sets.MayBecomeMaster("web", States(("db", Out), ("dns", Out))), Is.True);
        Assert.That(Sets.MayBecomeMaster("dns", States(("web", Out))), Is.True);
        Assert.That(Sets.MayBecomeMaster("db", States(("web", Out))), Is.True);
    }

    [Test]
    public void A_lost_election_alone_does_not_keep_the_set_from_master()
    {
        // The member that lost is BACKUP but still in the election: if the peer never
        // takes the others, they may come back here (the rule gates on the election only).
        Assert.That(Sets.MayBecomeMaster("api", States(("web", Backup))), Is.True);
    }

    [Test]
    public void Mates_are_the_other_members_in_declaration_order()
    {
        Assert.That(Sets.Mates("api"), Is.EqualTo(new[] { "web", "tls" }));
        Assert.That(Sets.Mates("db"), Is.Empty);
        Assert.That(Sets.Mates("dns"), Is.Empty);
        var repeated = new SyncSets([("a", "s"), ("a", "t"), ("b", "s")]);
        Assert.That(repeated.Mates("b"), Is.EqualTo(new[] { "a" }));
    }
}
