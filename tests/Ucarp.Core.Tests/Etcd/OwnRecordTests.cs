using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>Our record carries the advskew in use: rewritten while we hold the key only when that changed.</summary>
public class OwnRecordTests
{
    const string Key = "/ucarp/192.0.2.100";
    static readonly HolderRecord Self = new("192.0.2.1", 0, "web1", "eth0", 10);

    [Test]
    public void The_record_is_rewritten_only_when_the_advskew_in_use_changed_or_the_last_rewrite_failed()
    {
        var g = new GroupFixture();
        var record = new OwnRecord(Self, Key, g.Requests);
        Assert.That(record.Campaigning(5), Is.EqualTo((Self with { AdvSkew = 5 }).ToJson()));
        record.Refresh(7, 5, 0);
        Assert.That(g.Sent, Is.Empty, "the key carries it already");
        record.Refresh(7, 25, 0);
        record.Refresh(7, 25, 0);
        Assert.That(g.Sent.Single(), Is.EqualTo(new EtcdRequest(g.Sent[0].Id, EtcdOp.Refresh, 7, Key, (Self with { AdvSkew = 25 }).ToJson())));
        record.RefreshFailed();
        record.Refresh(7, 25, 0);
        Assert.That(g.Sent, Has.Count.EqualTo(2));
    }
}
