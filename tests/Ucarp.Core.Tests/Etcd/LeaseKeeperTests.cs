using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// The session's lease with a TTL of 3 s: renewed every TTL/9 while a group holds an
/// address and TTL/3 otherwise, fenced TTL - TTL/3 after the last answered renewal was sent.
/// </summary>
public class LeaseKeeperTests
{
    const long Ms = 1_000, S = 1_000_000, Lease = 42;

    sealed class Listener : ILeaseListener
    {
        public List<string> Heard { get; } = [];
        public void LeaseGranted(long now) => Heard.Add($"granted {now}");
        public void LeaseGone(long now) => Heard.Add($"gone {now}");
        public void LeaseTrustedAgain(long now) => Heard.Add($"trusted again {now}");
    }

    SessionHost _host = null!;
    RequestTracker _requests = null!;
    Reachability _reach = null!;
    Listener _listener = null!;
    LeaseKeeper _keeper = null!;

    [SetUp]
    public void SetUp()
    {
        _host = new SessionHost();
        _requests = new RequestTracker(_host);
        _reach = new Reachability(_host);
        _listener = new Listener();
        _keeper = new LeaseKeeper(_host, _requests, _reach, _listener, 3);
    }

    /// <summary>The last request of that kind answered, as the session hands it over.</summary>
    void Answer(EtcdOp op, long now, bool ok = true, long lease = Lease, long ttl = 3)
    {
        EtcdRequest r = _host.Last(op);
        Assert.That(_requests.Take(r.Id, out PendingRequest p), Is.True, "still awaited");
        if (!ok)
        {
            _reach.Failed("timed out");
        }
        _keeper.OnReply(new EtcdReply(r.Id, op, ok, ok ? null : "timed out", Lease: lease, Ttl: ttl), p, now);
    }

    void Granted(long sentAt = 0, long answeredAt = 1 * Ms)
    {
        _keeper.Grant(sentAt);
        Answer(EtcdOp.Grant, answeredAt);
    }

    [Test]
    public void Holding_nothing_it_renews_every_third_of_the_ttl_from_when_the_last_renewal_was_sent()
    {
        Granted();
        Assert.That((_keeper.Lease, _keeper.Ttl, _keeper.FenceAt), Is.EqualTo(((long?)Lease, 3 * S, (long?)null)));
        Assert.That(_listener.Heard, Is.EqualTo(new[] { "granted 1000" }));
        Assert.That(_keeper.NextDeadline, Is.EqualTo(1 * S));
        _keeper.OnTimer(1 * S);
        Assert.That(_host.Last(EtcdOp.KeepAlive), Is.EqualTo(new EtcdRequest(2, EtcdOp.KeepAlive, Lease)));
        Answer(EtcdOp.KeepAlive, 1 * S + 50 * Ms);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(2 * S));
    }

    [Test]
    public void While_a_group_is_master_it_renews_every_ninth_of_the_ttl_and_back_to_a_third_after()
    {
        const long renew = 3 * S / 9;
        Granted();
        _keeper.RoleChanged(wasMaster: false, isMaster: true);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(renew), "brought forward at once");
        _keeper.OnTimer(renew);
        Answer(EtcdOp.KeepAlive, renew + 50 * Ms);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(2 * renew));
        _keeper.RoleChanged(wasMaster: true, isMaster: false);
        _keeper.OnTimer(2 * renew);
        Answer(EtcdOp.KeepAlive, 2 * renew + 50 * Ms);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(2 * renew + 1 * S));
    }

    [Test]
    public void A_group_leaving_while_master_no_longer_counts()
    {
        Granted();
        _keeper.RoleChanged(wasMaster: false, isMaster: true);
        _keeper.MasterLeft();
        Assert.That(_keeper.FenceAt, Is.Null);
    }

    [Test]
    public void Fenced_ttl_less_a_third_after_the_last_answered_renewal_was_sent_every_address_goes_and_the_lease_is_revoked_after_the_scripts()
    {
        Granted();
        _keeper.RoleChanged(wasMaster: false, isMaster: true);
        Assert.That(_keeper.FenceAt, Is.EqualTo(2 * S));
        _keeper.OnTimer(600 * Ms);
        Answer(EtcdOp.KeepAlive, 700 * Ms);
        Assert.That((_keeper.FenceAt, _keeper.Trusted(2599 * Ms), _keeper.Trusted(2600 * Ms)), Is.EqualTo(((long?)(2600 * Ms), true, false)));
        _keeper.OnTimer(2600 * Ms);
        Assert.That((_keeper.Lease, _keeper.FenceAt), Is.EqualTo(((long?)null, (long?)null)));
        Assert.That(_listener.Heard[^1], Is.EqualTo("gone 2600000"));
        Assert.That(_host.AfterScripts.Single(), Is.EqualTo((new EtcdRequest(3, EtcdOp.Revoke, Lease), 4600 * Ms)));
        Assert.That(_host.Sent[^1].Op, Is.EqualTo(EtcdOp.Grant), "a new lease asked for at once");
        Assert.That(_host.Log, Does.Contain(Messages.EtcdFence(2.0)));
    }

    [Test]
    public void An_unanswered_renewal_is_followed_by_another_after_150_ms_or_300_ms_while_etcd_is_out_of_reach()
    {
        Granted();
        _keeper.OnTimer(1 * S);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(1150 * Ms));
        _keeper.OnTimer(1150 * Ms);
        Assert.That(_host.Sent.Where(r => r.Op == EtcdOp.KeepAlive).Select(r => r.Attempt), Is.EqualTo(new[] { 0, 1 }), "the next one on the next member");
        Answer(EtcdOp.KeepAlive, 1200 * Ms, ok: false);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(1300 * Ms));
        _keeper.OnTimer(1300 * Ms);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(1600 * Ms));
    }

    [Test]
    public void Renewals_in_flight_are_capped_at_eight()
    {
        Granted();
        for (long t = 1 * S; t < 3 * S; t += 150 * Ms)
        {
            _keeper.OnTimer(t);
        }
        Assert.That(_host.Sent.Count(r => r.Op == EtcdOp.KeepAlive), Is.EqualTo(8));
    }

    [Test]
    public void A_renewal_answered_with_ttl_0_loses_the_lease_and_asks_for_a_new_one()
    {
        Granted();
        _keeper.OnTimer(1 * S);
        Answer(EtcdOp.KeepAlive, 1 * S + 1, ttl: 0);
        Assert.That((_keeper.Lease, _listener.Heard[^1], _host.Sent[^1].Op), Is.EqualTo(((long?)null, "gone 1000001", EtcdOp.Grant)));
    }

    [Test]
    public void A_grant_far_above_the_ttl_asked_for_is_revoked_and_asked_again_after_the_backoff()
    {
        _keeper.Grant(0);
        Answer(EtcdOp.Grant, 1 * Ms, ttl: 14);
        Assert.That((_keeper.Lease, _host.Sent[^1]), Is.EqualTo(((long?)null, new EtcdRequest(2, EtcdOp.Revoke, Lease))));
        Assert.That(_keeper.NextDeadline, Is.EqualTo(201 * Ms));
        _keeper.OnTimer(201 * Ms);
        Answer(EtcdOp.Grant, 202 * Ms, ttl: 14);
        Assert.That(_keeper.NextDeadline, Is.EqualTo(602 * Ms), "the backoff doubles");
        Assert.That(_host.Log.Count(l => l == Messages.EtcdGrantRefused(Lease, 14, 3)), Is.EqualTo(1), "said once");
        _keeper.OnTimer(602 * Ms);
        Answer(EtcdOp.Grant, 603 * Ms, ttl: 13);
        Assert.That(_keeper.Lease, Is.EqualTo(Lease), "up to 10 s more is taken");
    }

    [Test]
    public void Back_in_reach_a_grant_waiting_for_its_backoff_goes_now()
    {
        _keeper.Grant(0);
        Answer(EtcdOp.Grant, 1 * Ms, ok: false);
        long? afterBackoff = _keeper.NextDeadline;
        _keeper.Reconnected(50 * Ms);
        Assert.That((afterBackoff, _keeper.NextDeadline), Is.EqualTo(((long?)(201 * Ms), (long?)(50 * Ms))));
    }

    [Test]
    public void Stopping_revokes_the_lease_after_the_scripts_and_is_releasing_until_answered()
    {
        Granted();
        _keeper.Stop(1 * S);
        Assert.That((_keeper.Lease, _keeper.NextDeadline, _keeper.Releasing), Is.EqualTo(((long?)null, (long?)null, true)));
        Assert.That(_host.AfterScripts.Single(), Is.EqualTo((new EtcdRequest(2, EtcdOp.Revoke, Lease), 3 * S)));
        _keeper.Grant(1 * S);
        Assert.That(_host.Sent.Count(r => r.Op == EtcdOp.Grant), Is.EqualTo(1), "no lease after stopping");
        Assert.That(_requests.Take(2, out PendingRequest p), Is.True);
        _keeper.OnReply(new EtcdReply(2, EtcdOp.Revoke, false, "timed out"), p, 2 * S);
        Assert.That(_keeper.Releasing, Is.False, "failed: nothing more is waited for");
    }
}
