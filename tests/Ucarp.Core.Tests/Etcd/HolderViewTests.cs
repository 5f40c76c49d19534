using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>What the key says of who holds the address: someone, nobody, or a foreign value; each change said once.</summary>
public class HolderViewTests
{
    const string Key = "/ucarp/192.0.2.100";

    sealed class Log : ILog
    {
        public List<string> Lines { get; } = [];
        public bool DebugEnabled => false;
        public void Write(LogLevel level, string message) => Lines.Add(message);
    }

    static EtcdKeyValue Held(string holder, long lease) => new(Key, new HolderRecord(holder, 5, "h", "eth0", 10).ToJson(), lease, 1);

    [Test]
    public void A_new_holder_is_said_once_and_so_is_the_key_going()
    {
        var log = new Log();
        var view = new HolderView(Key, log);
        Assert.That(view.See(null, 7, false), Is.False);
        Assert.That((view.Free, log.Lines.Count), Is.EqualTo((true, 0)), "free from the start: nothing to say");
        view.See(Held("192.0.2.2", 9), 7, false);
        view.See(Held("192.0.2.2", 9), 7, false);
        Assert.That((view.Holder?.Holder, view.Lease, view.Free), Is.EqualTo(("192.0.2.2", 9L, false)));
        view.See(null, 7, false);
        Assert.That(log.Lines, Is.EqualTo(new[] { Messages.EtcdHeldBy("192.0.2.2", 5, "h"), Messages.EtcdFree }));
    }

    [Test]
    public void A_value_that_is_not_a_holder_record_on_a_lease_is_foreign_said_once_per_value()
    {
        var log = new Log();
        var view = new HolderView(Key, log);
        view.See(new EtcdKeyValue(Key, "by hand", 0, 1), 7, false);
        view.See(new EtcdKeyValue(Key, "by hand", 0, 2), 7, false);
        Assert.That((view.Foreign, view.Free, view.Holder), Is.EqualTo((true, false, (HolderRecord?)null)));
        view.See(new EtcdKeyValue(Key, "junk", 9, 3), 7, false);
        Assert.That(log.Lines, Is.EqualTo(new[] { Messages.EtcdForeignKey(Key, "by hand", 0), Messages.EtcdForeignKey(Key, "junk", 9) }));
    }

    [Test]
    public void Our_own_key_means_a_lost_answer_won_unless_it_is_on_its_way_out()
    {
        var log = new Log();
        var view = new HolderView(Key, log);
        Assert.That(view.See(Held("192.0.2.1", 7), 7, false), Is.True);
        Assert.That((view.Holder, view.Lease), Is.EqualTo(((HolderRecord?)null, 7L)));
        Assert.That(view.See(Held("192.0.2.1", 7), 7, true), Is.False);
        Assert.That(log.Lines, Is.Empty, "our own key, on its way out");
    }

    [Test]
    public void Taken_back_and_won_the_key_is_ours()
    {
        var view = new HolderView(Key, new Log());
        view.TakingBack(Held("192.0.2.1", 3));
        Assert.That((view.Holder?.Holder, view.Lease, view.Foreign), Is.EqualTo(("192.0.2.1", 3L, false)));
        view.Won(7, 40);
        Assert.That((view.Holder, view.Lease, view.CreateRevision), Is.EqualTo(((HolderRecord?)null, 7L, 40L)));
    }
}
