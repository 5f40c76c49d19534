using Ucarp.Core.Etcd;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>Our previous run's key (same host, address, interface and vhid, another lease) is taken back, on the first look only.</summary>
public class PreviousRunTests
{
    const string Key = "/ucarp/192.0.2.100";
    static readonly HolderRecord Self = new("192.0.2.1", 0, "web1", "eth0", 10);

    static EtcdKeyValue Kv(HolderRecord r, long lease) => new(Key, r.ToJson(), lease, 4);

    [Test]
    public void Only_the_first_look_after_start_finds_it()
    {
        var previous = new PreviousRun(Self);
        EtcdKeyValue old = Kv(Self with { AdvSkew = 20 }, 3);
        Assert.That(previous.Look(old, 7), Is.EqualTo(old), "the advskew may have been another");
        Assert.That(previous.Look(old, 7), Is.Null);
        Assert.That(previous.Key, Is.Null);
    }

    [TestCase("192.0.2.2", "web1", "eth0", 10, 3L)]
    [TestCase("192.0.2.1", "web2", "eth0", 10, 3L)]
    [TestCase("192.0.2.1", "web1", "eth1", 10, 3L)]
    [TestCase("192.0.2.1", "web1", "eth0", 11, 3L)]
    [TestCase("192.0.2.1", "web1", "eth0", 10, 7L)]
    [TestCase("192.0.2.1", "web1", "eth0", 10, 0L)]
    public void Another_node_or_group_or_our_lease_or_none_is_not_our_previous_run(string holder, string host, string iface, int vhid, long lease) =>
        Assert.That(new PreviousRun(Self).Look(Kv(new HolderRecord(holder, 0, host, iface, vhid), lease), 7), Is.Null);

    [Test]
    public void The_take_back_moves_the_key_as_it_was_and_is_spent()
    {
        var previous = new PreviousRun(Self);
        EtcdKeyValue old = Kv(Self, 3);
        previous.Look(old, 7);
        Assert.That(previous.Take(7, Key, "new"), Is.EqualTo(new EtcdRequest(0, EtcdOp.TakeBack, 7, Key, "new", OldLease: 3, OldValue: old.Value)));
        Assert.That(previous.Key, Is.Null);
    }

    [Test]
    public void A_take_back_that_failed_tries_again_only_while_the_key_is_still_our_previous_runs()
    {
        var previous = new PreviousRun(Self);
        previous.Reread(new EtcdReply(1, EtcdOp.TakeBack, true, Exists: true, Value: Self.ToJson(), ValueLease: 3, Revision: 9), Key, 7);
        Assert.That(previous.Key, Is.EqualTo(new EtcdKeyValue(Key, Self.ToJson(), 3, 9)));
        previous.Reread(new EtcdReply(1, EtcdOp.TakeBack, true, Revision: 9), Key, 7);
        Assert.That(previous.Key, Is.Null, "gone meanwhile");
    }
}
