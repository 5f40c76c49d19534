using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using static Ucarp.Core.Tests.Etcd.EtcdRig;
using static Ucarp.Core.Tests.Etcd.LeaseRig;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// How the session numbers the groups' requests and finds the group again from an answer,
/// and how campaigns asked for within 2 ms of each other go in one transaction whose
/// answer is handed back to each group as the answer to its own campaign.
/// </summary>
public class EtcdBatchTests
{
    /// <summary>Groups with these advskews, the lease granted and every key found free: each campaigns advskew ms later.</summary>
    static LeaseRig Free(params byte[] advskews)
    {
        LeaseRig rig = LeaseRig.StartGroups(advskews);
        rig.Grant();
        rig.Sweep(5);
        return rig;
    }

    [Test]
    public void Every_request_gets_its_own_id()
    {
        LeaseRig rig = LeaseRig.Held();
        rig.RunTo(1 * S);
        rig.Do((e, now) => e.Demote(now));
        rig.RunTo(7 * S);

        int[] ids = [.. rig.Sent.Select(s => s.Request.Id)];
        Assert.That(ids, Has.Length.GreaterThan(10));
        Assert.That(ids, Is.Unique);
    }

    [Test]
    public void An_answer_is_taken_only_by_the_id_of_the_request_it_answers()
    {
        LeaseRig rig = LeaseRig.Ready();
        rig.RunTo(Flush);
        EtcdRequest campaign = rig.Last(EtcdOp.Campaign);
        int sweep = rig.Last(EtcdOp.Sweep).Id;

        rig.Reply(new EtcdReply(campaign.Id + 100, EtcdOp.Campaign, true, Succeeded: true));
        rig.Reply(new EtcdReply(sweep, EtcdOp.Campaign, true, Succeeded: true));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup), "no request of ours has those ids (the sweep's was answered)");

        rig.Reply(new EtcdReply(campaign.Id, EtcdOp.Campaign, true, Succeeded: true));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void Campaigns_asked_for_within_2_ms_go_in_one_transaction()
    {
        LeaseRig rig = Free(0, 1, 1);

        rig.RunTo(10 * Ms);

        SentRequest batch = rig.Of(EtcdOp.Campaign).Single();
        Assert.That(batch.At, Is.EqualTo(Flush), "2 ms after the first");
        Assert.That(batch.Request.Lease, Is.EqualTo(Lease));
        Assert.That(batch.Request.Batch!.Select(r => (r.Op, r.Lease, r.Key, r.Value)), Is.EqualTo(new[]
        {
            (EtcdOp.Campaign, Lease, Key(0), Ours(0, group: 0)),
            (EtcdOp.Campaign, Lease, Key(1), Ours(1, group: 1)),
            (EtcdOp.Campaign, Lease, Key(2), Ours(1, group: 2)),
        }));
    }

    [Test]
    public void A_campaign_asked_for_after_the_window_goes_on_its_own()
    {
        LeaseRig rig = Free(0, 3);

        rig.RunTo(10 * Ms);

        SentRequest[] sent = [.. rig.Of(EtcdOp.Campaign)];
        Assert.That(sent.Select(s => (s.At, s.Request.Key, s.Request.Batch)), Is.EqualTo(new[]
        {
            (Flush, Key(0), (IReadOnlyList<EtcdRequest>?)null),
            (3 * Ms + Flush, Key(1), null),
        }));
    }

    [Test]
    public void A_transaction_won_makes_every_group_in_it_master()
    {
        LeaseRig rig = Free(0, 1);
        rig.RunTo(Flush);

        rig.Won();

        Assert.That(rig.Groups.Select(g => g.Election.State), Is.All.EqualTo(CarpState.Master));
        Assert.That(rig.Groups.Select(g => g.Scripts.Last()), Is.All.EqualTo("up"));
    }

    [Test]
    public void A_transaction_lost_tells_each_group_who_holds_its_own_key()
    {
        LeaseRig rig = Free(0, 1);
        rig.RunTo(Flush);
        EtcdRequest batch = rig.Last(EtcdOp.Campaign);

        // Group 1's key was taken meanwhile; the failure branch read it.
        rig.Reply(new EtcdReply(batch.Id, EtcdOp.Campaign, true, Revision: 9, Kvs: [new EtcdKeyValue(Key(1), Other(7), OtherLease, 0)]));

        Assert.That(rig.Groups.Select(g => g.Election.State), Is.All.EqualTo(CarpState.Backup));
        Assert.That(rig.Groups[1].Log, Does.Contain(Messages.EtcdHeldBy("192.0.2.2", 7, "n2")));
        Assert.That(rig.Groups[0].Log, Does.Not.Contain(Messages.EtcdHeldBy("192.0.2.2", 7, "n2")));
    }

    [Test]
    public void A_key_still_free_after_a_lost_transaction_is_campaigned_for_again()
    {
        LeaseRig rig = Free(0, 1);
        rig.Renewing();
        rig.RunTo(Flush);
        EtcdRequest batch = rig.Last(EtcdOp.Campaign);

        // Group 1's key was taken meanwhile; group 0's is still absent (the failure branch read nothing of it).
        rig.Reply(new EtcdReply(batch.Id, EtcdOp.Campaign, true, Revision: 9, Kvs: [new EtcdKeyValue(Key(1), Other(7), OtherLease, 0)]));
        rig.RunTo(1 * S);

        Assert.That(rig.Groups[0].Log.Where(l => l.Contains("not a holder record", StringComparison.Ordinal)), Is.Empty,
                    "an absent key is free, not written by hand");
        EtcdRequest again = rig.Last(EtcdOp.Campaign);
        Assert.That((again.Key, again.Batch), Is.EqualTo((Key(0), (IReadOnlyList<EtcdRequest>?)null)), "group 0 campaigns again for its free key");
        rig.Reply(new EtcdReply(again.Id, EtcdOp.Campaign, true, Succeeded: true, Revision: 10));
        Assert.That(rig.Groups[0].Election.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void A_transaction_that_fails_is_sent_again_key_by_key_at_once()
    {
        LeaseRig rig = Free(0, 1);
        rig.RunTo(Flush);
        EtcdRequest batch = rig.Last(EtcdOp.Campaign);

        rig.Failed(EtcdOp.Campaign);

        // One key etcd will not write must not keep the others from theirs.
        SentRequest[] again = [.. rig.Of(EtcdOp.Campaign).Skip(1)];
        Assert.That(again.Select(s => (s.At, s.Request)), Is.EqualTo(batch.Batch!.Select(r => (Flush, r))));
        rig.Reply(new EtcdReply(again[1].Request.Id, EtcdOp.Campaign, true, Succeeded: true));
        Assert.That(rig.Groups.Select(g => g.Election.State), Is.EqualTo(new[] { CarpState.Backup, CarpState.Master }));
    }

    [Test]
    public void Take_backs_and_campaigns_go_in_transactions_of_their_own_kind()
    {
        LeaseRig rig = LeaseRig.StartGroups(0, 0);
        rig.Grant();

        rig.Sweep(5, new EtcdKeyValue(Key(1), Ours(0, group: 1), OldLease, 4));
        rig.RunTo(10 * Ms);

        Assert.That(rig.Of(EtcdOp.Campaign).Single().Request.Key, Is.EqualTo(Key(0)));
        Assert.That(rig.Of(EtcdOp.TakeBack).Single().Request.Key, Is.EqualTo(Key(1)));
    }
}
