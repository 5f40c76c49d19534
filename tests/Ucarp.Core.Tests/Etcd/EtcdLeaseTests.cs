using Ucarp.Core.Carp;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using static Ucarp.Core.Tests.Etcd.EtcdRig;
using static Ucarp.Core.Tests.Etcd.LeaseRig;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// The session's lease: granted once for every group, renewed TTL/9 apart while the node
/// holds an address and TTL/3 apart otherwise, fenced TTL - TTL/3 after the last answered
/// renewal was sent, and revoked when the daemon stops.
/// </summary>
public class EtcdLeaseTests
{
    [Test]
    public void Start_asks_for_one_lease_of_the_ttl()
    {
        LeaseRig rig = LeaseRig.Start();

        EtcdRequest grant = rig.Of(EtcdOp.Grant).Single().Request;
        Assert.That(grant.Ttl, Is.EqualTo(3), "advbase 1 x deadratio 3");

        rig.Grant();
        Assert.That(rig.Said(Messages.EtcdLease(Lease, 3)), Is.EqualTo(1));
    }

    [Test]
    public void Every_group_shares_the_one_lease()
    {
        LeaseRig rig = LeaseRig.StartGroups(0, 0, 0);

        Assert.That(rig.Of(EtcdOp.Grant).Count(), Is.EqualTo(1));
        Assert.That(rig.Of(EtcdOp.Sweep).Count(), Is.EqualTo(1));
    }

    // etcd raises a TTL below its minimum; a grant below the TTL asked for, or more than
    // 10 s above it, would make a failover take that long.
    [TestCase(2)]
    [TestCase(14)]
    public void A_grant_with_another_ttl_is_refused_revoked_and_asked_again_200_ms_later(long ttl)
    {
        LeaseRig rig = LeaseRig.Start();

        rig.Grant(ttl: ttl);
        rig.RunTo(1 * S);

        Assert.That(rig.Said(Messages.EtcdGrantRefused(Lease, ttl, 3)), Is.EqualTo(1));
        Assert.That(rig.Last(EtcdOp.Revoke).Lease, Is.EqualTo(Lease));
        Assert.That(rig.Times(EtcdOp.Grant), Is.EqualTo(new[] { 0, 200 * Ms }));
        Assert.That(rig.Of(EtcdOp.KeepAlive), Is.Empty, "no lease to renew");
    }

    [Test]
    public void A_node_holding_nothing_renews_every_third_of_the_ttl()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.Renewing();

        rig.RunTo(4 * S);

        Assert.That(rig.Times(EtcdOp.KeepAlive), Is.EqualTo(new[] { 1 * S, 2 * S, 3 * S, 4 * S }));
        Assert.That(rig.Of(EtcdOp.KeepAlive).All(s => s.Request.Lease == Lease && s.Request.Attempt == 0));
    }

    [Test]
    public void A_node_holding_an_address_renews_every_ninth_of_the_ttl_and_a_third_again_once_it_lets_go()
    {
        LeaseRig rig = LeaseRig.Held();
        rig.RunTo(2500 * Ms);

        rig.Do((e, now) => e.Demote(now));
        rig.RunTo(5 * S);

        // Counted from the grant's sending (0), TTL/9 apart; the renewal already due at 2.67 s goes, then TTL/3 apart.
        long[] held = [.. Enumerable.Range(1, 8).Select(k => k * Renew)];
        Assert.That(rig.Times(EtcdOp.KeepAlive), Is.EqualTo(held.Concat([held[^1] + 1 * S, held[^1] + 2 * S])));
    }

    [Test]
    public void An_unanswered_renewal_is_followed_by_another_on_the_next_member_150_ms_later()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.RunTo(1300 * Ms);

        SentRequest[] renewals = [.. rig.Of(EtcdOp.KeepAlive)];
        Assert.That(renewals.Select(s => s.At), Is.EqualTo(new[] { 1000 * Ms, 1150 * Ms, 1300 * Ms }));
        Assert.That(renewals.Select(s => s.Request.Attempt), Is.EqualTo(new[] { 0, 1, 2 }));

        // The second answered first: the cadence counts from its sending. The first's late
        // answer, for an older renewal, does not move it back.
        rig.Reply(Renewal(renewals[1].Request));
        rig.Reply(Renewal(renewals[0].Request));
        rig.RunTo(2150 * Ms);
        Assert.That(rig.Times(EtcdOp.KeepAlive)[3..], Is.EqualTo(new[] { 2150 * Ms }));
    }

    [Test]
    public void A_holder_whose_renewals_go_unanswered_gives_the_address_up_ttl_minus_a_third_after_the_last_answered_one_was_sent()
    {
        LeaseRig rig = LeaseRig.Held();
        rig.Serve = null;
        rig.RunTo(1500 * Ms);
        // The renewal sent at TTL/9, answered only now: the fence counts from its sending.
        SentRequest answered = rig.Of(EtcdOp.KeepAlive).First();
        Assert.That(answered.At, Is.EqualTo(Renew));
        rig.Reply(Renewal(answered.Request));

        long fence = Renew + Ttl - Ttl / 3;
        rig.RunTo(fence - 1);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
        Assert.That(rig.Of(EtcdOp.Revoke), Is.Empty);

        rig.RunTo(fence);
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.EtcdFence(2.0)), Is.EqualTo(1));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down", "up", "down" }));
        Assert.That(rig.Of(EtcdOp.Release), Is.Empty, "the revoke covers every key of the lease");
        // The lease may only be slow: revoked once the downscript has run; a new one asked for now.
        SentRequest revoke = rig.Of(EtcdOp.Revoke).Single();
        Assert.That((revoke.Request.Lease, revoke.AfterScriptsBy, revoke.ScriptsBefore), Is.EqualTo((Lease, (long?)(fence + Ttl - Ttl / 3), 3)));
        Assert.That(rig.Times(EtcdOp.Grant), Is.EqualTo(new[] { 0, fence }));
    }

    [Test]
    public void A_node_holding_nothing_is_not_fenced()
    {
        LeaseRig rig = LeaseRig.HeldByOther();

        rig.RunTo(10 * S);

        Assert.That(rig.Of(EtcdOp.Revoke), Is.Empty);
        Assert.That(rig.Of(EtcdOp.Grant).Count(), Is.EqualTo(1));
    }

    [Test]
    public void A_campaign_put_off_while_the_lease_could_not_be_vouched_for_goes_once_a_renewal_is_answered()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.Serve = r => r.Op == EtcdOp.KeepAlive ? new EtcdReply(r.Id, r.Op, false, "timed out") : null;
        rig.RunTo(2500 * Ms);                  // no renewal answered since the grant: not trusted from 2 s
        rig.Deleted(Key(), 20);                // the holder lets go: the address is free, but not for an untrusted lease
        rig.RunTo(2550 * Ms);
        Assert.That(rig.Of(EtcdOp.Campaign), Is.Empty, "no campaign on a lease nobody vouches for");

        rig.Renewing();                        // etcd answers again
        rig.RunTo(4 * S);

        Assert.That(rig.Of(EtcdOp.Campaign).Select(s => s.Request.Key), Is.EqualTo(new[] { Key() }), "campaigns once the lease is vouched for again");
        rig.Won();
        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Master));
    }

    [Test]
    public void A_renewal_answered_with_no_ttl_means_the_lease_is_gone_and_a_new_one_is_asked_for()
    {
        LeaseRig rig = LeaseRig.Held();
        rig.Serve = r => r.Op == EtcdOp.KeepAlive ? Renewal(r, ttl: 0) : null;

        rig.RunTo(Renew);

        Assert.That(rig.Election.State, Is.EqualTo(CarpState.Backup));
        Assert.That(rig.Said(Messages.EtcdLeaseLost), Is.EqualTo(1));
        Assert.That(rig.Times(EtcdOp.Grant), Is.EqualTo(new[] { 0, Renew }));
        Assert.That(rig.Of(EtcdOp.Revoke), Is.Empty, "nothing left to revoke");
        Assert.That(rig.Of(EtcdOp.Release), Is.Empty);
    }

    [Test]
    public void Stopping_revokes_the_lease_after_the_scripts_and_sends_nothing_more()
    {
        LeaseRig rig = LeaseRig.HeldByOther();
        rig.Renewing();
        rig.RunTo(1500 * Ms);
        int before = rig.Sent.Count;

        rig.StopDaemon();
        rig.RunTo(20 * S);

        SentRequest revoke = rig.Sent.Skip(before).Single();
        Assert.That((revoke.Request.Op, revoke.Request.Lease, revoke.AfterScriptsBy), Is.EqualTo((EtcdOp.Revoke, Lease, (long?)(1500 * Ms + Ttl - Ttl / 3))));
        Assert.That(rig.Group.Scripts, Is.EqualTo(new[] { "down" }), "a backup runs no downscript on leaving");
    }

    [Test]
    public void A_grant_answered_after_stopping_is_revoked_at_once()
    {
        LeaseRig rig = LeaseRig.Start();
        rig.StopDaemon();

        rig.Grant();

        SentRequest revoke = rig.Of(EtcdOp.Revoke).Single();
        Assert.That((revoke.Request.Lease, revoke.AfterScriptsBy), Is.EqualTo((Lease, (long?)null)));
        Assert.That(rig.Said(Messages.EtcdLease(Lease, 3)), Is.Zero);
    }
}
