using Ucarp.Core.Cli;
using Ucarp.Core.Election;

namespace Ucarp.Core.Tests.Election;

public class HeardMasterTests
{
    static readonly IpAddress A = new(192, 0, 2, 1), B = new(192, 0, 2, 2);

    [Test]
    public void A_master_is_shown_for_one_master_down_interval_after_its_last_advert_and_its_forgetting_comes_once()
    {
        var heard = new HeardMaster();
        Assert.That(heard.Known(0, 3000), Is.False);
        Assert.That(heard.ForgetAt, Is.Null);
        heard.Heard(A, 1000, 3000);
        heard.Heard(B, 2000, 3000);   // each advert moves the forgetting
        Assert.That((heard.Address, heard.Known(5000, 3000), heard.Known(5001, 3000)), Is.EqualTo((B, true, false)));
        Assert.That(heard.ForgetAt, Is.EqualTo(5001));
        Assert.That(heard.ForgetDue(5000), Is.False);
        Assert.That(heard.ForgetDue(5001), Is.True);
        Assert.That(heard.ForgetDue(9000), Is.False, "once");
    }

    [Test]
    public void A_longer_master_down_moves_a_forgetting_to_come_and_a_master_gone_is_forgotten_without_a_later_wake()
    {
        var heard = new HeardMaster();
        heard.Heard(A, 1000, 3000);
        heard.MasterDownChanged(3500);
        Assert.That(heard.ForgetAt, Is.EqualTo(4501));
        heard.Forget();
        Assert.That((heard.Known(1001, 3500), heard.ForgetAt), Is.EqualTo((false, (long?)null)));
        heard.MasterDownChanged(4000);
        Assert.That(heard.ForgetAt, Is.Null, "nothing to move");
    }
}
