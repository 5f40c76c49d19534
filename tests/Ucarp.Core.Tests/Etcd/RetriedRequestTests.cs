using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>The grant's and the sweep's retries: one at a time, a doubling backoff, and at once when etcd is back.</summary>
public class RetriedRequestTests
{
    const long Ms = 1_000;

    [Test]
    public void Failures_wait_twice_as_long_each_time_until_one_succeeds()
    {
        var tracker = new RequestTracker(new SessionHost());
        var sweep = new RetriedRequest(tracker, EtcdOp.Sweep);
        sweep.Send(new EtcdRequest(0, EtcdOp.Sweep), 0);
        Assert.That(sweep.Out, Is.True);
        sweep.Answered();
        sweep.Later(0);
        Assert.That((sweep.Out, sweep.RetryAt), Is.EqualTo((false, (long?)(200 * Ms))));
        sweep.RetryAt = null;
        sweep.Later(1000 * Ms);
        Assert.That(sweep.RetryAt, Is.EqualTo(1400 * Ms));
        sweep.Later(1000 * Ms);
        Assert.That(sweep.RetryAt, Is.EqualTo(1400 * Ms), "a retry due sooner stands");
        sweep.RetryAt = null;
        sweep.Succeeded();
        sweep.Later(2000 * Ms);
        Assert.That(sweep.RetryAt, Is.EqualTo(2200 * Ms));
    }

    [Test]
    public void Back_in_reach_one_sent_while_cut_off_is_given_up_on_and_goes_again_now()
    {
        var tracker = new RequestTracker(new SessionHost());
        var grant = new RetriedRequest(tracker, EtcdOp.Grant);
        grant.Send(new EtcdRequest(0, EtcdOp.Grant), 0);
        int id = tracker.Send(new EtcdRequest(0, EtcdOp.Sweep), 0);
        grant.Reconnected(5 * Ms);
        Assert.That((grant.Out, grant.RetryAt, tracker.Contains(1), tracker.Contains(id)), Is.EqualTo((false, (long?)(5 * Ms), false, true)));
        grant.RetryAt = null;
        grant.Reconnected(6 * Ms);
        Assert.That(grant.RetryAt, Is.Null, "nothing was out: nothing to retry");
    }
}
