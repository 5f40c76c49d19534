using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using static Ucarp.Core.Tests.Etcd.EtcdRig;
using static Ucarp.Core.Tests.Etcd.LeaseRig;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// The lease election handing the address over between nodes without waiting for a lease
/// to expire: -P requests to a slower holder, and a restarted node taking its own key back.
/// </summary>
public class EtcdHandOverTests
{
    /// <summary>-P, advskew 10: started, the lease granted, and the key found held by another node with <paramref name="holderSkew"/>.</summary>
    static LeaseRig Preempting(int holderSkew)
    {
        LeaseRig rig = LeaseRig.Start(advskew: 10, preempt: true);
        rig.Grant();
        rig.Sweep(5, new EtcdKeyValue(Key(), Other(holderSkew), OtherLease, 4));
        return rig;
    }

    [TestCase(50, true)]
    [TestCase(10, false)]
    [TestCase(0, false)]
    public void With_p_a_backup_asks_only_a_slower_holder_to_hand_over(int holderSkew, bool asks)
    {
        LeaseRig rig = Preempting(holderSkew);
        rig.Renewing();
        rig.RunTo(10 * S);

        Assert.That(rig.Said(Messages.EtcdPreempting("192.0.2.2", holderSkew)), Is.EqualTo(asks ? 1 : 0));
        Assert.That(rig.Of(EtcdOp.PutPreempt).Count(), Is.EqualTo(asks ? 1 : 0), "asked once, not at every look");
        if (asks)
        {
            EtcdRequest request = rig.Last(EtcdOp.PutPreempt);
            Assert.That((request.Key, request.Lease, request.Value), Is.EqualTo((PreemptKey(), Lease, Ours(10))), "on our lease: gone with us");
        }
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty, "the key is held");
    }

    [Test]
    public void Without_p_a_backup_never_asks()
    {
        LeaseRig rig = LeaseRig.Start(advskew: 10);
        rig.Grant();
        rig.Sweep(5, new EtcdKeyValue(Key(), Other(50), OtherLease, 4));

        Assert.That(rig.Of(EtcdOp.PutPreempt), Is.Empty);
    }

    [Test]
    public void Leaving_the_election_withdraws_a_p_request()
    {
        LeaseRig rig = Preempting(50);
        Assert.That(rig.Of(EtcdOp.PutPreempt).Count(), Is.EqualTo(1));

        rig.Do((e, now) => e.SetEligible(false, "check failing", now));

        EtcdRequest withdrawn = rig.Last(EtcdOp.DeletePreempt);
        Assert.That(withdrawn.Key, Is.EqualTo(PreemptKey()));
    }

    [Test]
    public void The_p_requester_winning_the_key_deletes_its_request()
    {
        LeaseRig rig = Preempting(50);
        rig.Renewing();

        rig.Deleted(Key(), 6);  // the holder handed over
        rig.RunTo(rig.Now + 10 * Ms + Flush);
        rig.Won();

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Last(EtcdOp.DeletePreempt).Key, Is.EqualTo(PreemptKey()));
    }

    [Test]
    public void A_master_hands_over_to_a_faster_p_request_but_deletes_it_when_it_comes_back_unchanged()
    {
        LeaseRig rig = LeaseRig.Held(advskew: 10);
        string request = Other(0);

        rig.Put(PreemptKey(), request, OtherLease, 20);

        Assert.That(rig.Said(Messages.EtcdPreemptAsked("192.0.2.2", 0)), Is.EqualTo(1));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        SentRequest release = rig.Of(EtcdOp.Release).Single();
        Assert.That((release.Request.Key, release.ScriptsBefore), Is.EqualTo((Key(), 3)), "deleted after the downscript");

        // The requester never took the address: the key came back to us, the request still stands.
        rig.Answered(EtcdOp.Release);
        rig.Deleted(Key(), 21);
        rig.RunTo(rig.Now + 10 * Ms + Flush);
        rig.Won();

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master), "a stale request is not obeyed twice");
        Assert.That(rig.Said(Messages.EtcdPreemptStale("192.0.2.2", 0)), Is.EqualTo(1));
        Assert.That(rig.Last(EtcdOp.DeletePreempt).Key, Is.EqualTo(PreemptKey()));

        // The same node asking again writes the request anew (a new revision): obeyed.
        rig.Put(PreemptKey(), request, OtherLease, 30);
        Assert.That(rig.Said(Messages.EtcdPreemptAsked("192.0.2.2", 0)), Is.EqualTo(2));
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
    }

    [TestCase(10)]
    [TestCase(20)]
    public void A_master_ignores_a_p_request_that_is_not_faster(int candidateSkew)
    {
        LeaseRig rig = LeaseRig.Held(advskew: 10);

        rig.Put(PreemptKey(), Other(candidateSkew), OtherLease, 20);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Of(EtcdOp.Release), Is.Empty);
    }

    [Test]
    public void A_restart_takes_its_previous_runs_key_back_at_once_onto_the_new_lease()
    {
        LeaseRig rig = LeaseRig.Start(advskew: 100);
        string previous = Ours(0);  // the previous run's advskew does not matter, who it names does

        rig.Sweep(5, new EtcdKeyValue(Key(), previous, OldLease, 4));
        Assert.That(rig.Said(Messages.EtcdTakingBack(OldLease)), Is.EqualTo(1));
        rig.RunTo(50 * Ms);
        Assert.That(rig.Of(EtcdOp.TakeBack), Is.Empty, "no lease to move it to yet");
        rig.Grant();
        rig.RunTo(1 * S);

        // At once, not advskew (100 ms) later: nobody else may take the address meanwhile.
        Assert.That(rig.Times(EtcdOp.TakeBack), Is.EqualTo(new[] { 50 * Ms + Flush }));
        EtcdRequest takeBack = rig.Last(EtcdOp.TakeBack);
        Assert.That((takeBack.Key, takeBack.Lease, takeBack.Value, takeBack.OldLease, takeBack.OldValue),
                    Is.EqualTo((Key(), Lease, Ours(100), OldLease, previous)));
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty);

        rig.Won();
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
    }

    // Another host, address, interface or vhid in the record: not our previous run's key.
    [TestCase("192.0.2.1", "n9", "eth0", 1)]
    [TestCase("192.0.2.9", "n1", "eth0", 1)]
    [TestCase("192.0.2.1", "n1", "eth1", 1)]
    [TestCase("192.0.2.1", "n1", "eth0", 9)]
    public void A_key_that_names_someone_else_is_not_taken_back(string holder, string host, string iface, int vhid)
    {
        LeaseRig rig = LeaseRig.Start();
        rig.Grant();

        rig.Sweep(5, new EtcdKeyValue(Key(), new HolderRecord(holder, 0, host, iface, vhid).ToJson(), OldLease, 4));
        rig.RunTo(1 * S);

        Assert.That(rig.Said(Messages.EtcdHeldBy(holder, 0, host)), Is.EqualTo(1));
        Assert.That(rig.Of(EtcdOp.TakeBack), Is.Empty);
    }

    [Test]
    public void Our_record_found_after_the_first_look_is_not_taken_back()
    {
        LeaseRig rig = LeaseRig.Start();
        rig.Grant();
        rig.Sweep(5, new EtcdKeyValue(Key(), Other(0), OtherLease, 4));

        rig.Put(Key(), Ours(), OldLease, 6);
        rig.RunTo(1 * S);

        Assert.That(rig.Of(EtcdOp.TakeBack), Is.Empty, "only what the first look after start finds is our previous run's");
    }

    [Test]
    public void A_key_written_by_hand_is_nobodys_and_blocks_campaigns_until_it_changes()
    {
        LeaseRig rig = LeaseRig.Start();
        rig.Grant();

        rig.Sweep(5, new EtcdKeyValue(Key(), "manual", 0, 4));
        rig.RunTo(1 * S);

        Assert.That(rig.Said(Messages.EtcdForeignKey(Key(), "manual", 0)), Is.EqualTo(1));
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty);

        rig.Deleted(Key(), 6);
        rig.RunTo(rig.Now + Flush);
        Assert.That(rig.Of(EtcdOp.Campaign).Count(), Is.EqualTo(1));
    }
}
