using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>Out of reach and back, each said once; only coming back asks the lease and the mirror to retry now.</summary>
public class ReachabilityTests
{
    [Test]
    public void Each_change_is_said_once_and_only_coming_back_counts_as_back()
    {
        var host = new SessionHost();
        var reach = new Reachability(host);
        Assert.That(reach.Answered(), Is.False, "reached from the start: not back");
        reach.Failed("connection refused");
        reach.Failed("timed out");
        Assert.That(reach.Down, Is.True);
        Assert.That(host.Log, Is.EqualTo(new[] { Messages.EtcdUnreachable("connection refused") }));
        Assert.That(reach.Answered(), Is.True);
        Assert.That(reach.Answered(), Is.False);
        Assert.That(host.Log, Is.EqualTo(new[] { Messages.EtcdUnreachable("connection refused"), Messages.EtcdReachable }));
    }
}
