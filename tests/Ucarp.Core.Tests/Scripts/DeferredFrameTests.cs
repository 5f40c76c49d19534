using Ucarp.Core.Scripts;

namespace Ucarp.Core.Tests.Scripts;

public class DeferredFrameTests
{
    static readonly byte[] Frame = [1, 2, 3];

    [Test]
    public void The_frame_waits_for_the_scripts_then_goes_once()
    {
        var deferred = new DeferredFrame();
        deferred.Hold(Frame, deadline: 3_000);
        Assert.That(deferred.TakeIfDue(scriptsDone: false, now: 1_000), Is.Null);
        Assert.That(deferred.TakeIfDue(scriptsDone: true, now: 1_500), Is.EqualTo(Frame));
        Assert.That(deferred.Pending, Is.False);
        Assert.That(deferred.TakeIfDue(scriptsDone: true, now: 1_600), Is.Null, "sent once");
    }

    [Test]
    public void A_hanging_script_holds_it_only_until_the_deadline()
    {
        var deferred = new DeferredFrame();
        deferred.Hold(Frame, deadline: 3_000);
        Assert.That(deferred.TakeIfDue(scriptsDone: false, now: 2_999), Is.Null);
        Assert.That(deferred.TakeIfDue(scriptsDone: false, now: 3_000), Is.EqualTo(Frame));
    }

    [Test]
    public void A_cancelled_frame_never_goes_and_the_held_copy_is_its_own()
    {
        var deferred = new DeferredFrame();
        byte[] source = [9, 9];
        deferred.Hold(source, deadline: 10);
        source[0] = 0;
        Assert.That(deferred.TakeIfDue(scriptsDone: true, now: 0), Is.EqualTo(new byte[] { 9, 9 }));
        deferred.Hold(Frame, deadline: 10);
        deferred.Cancel();
        Assert.That(deferred.Deadline, Is.Null);
        Assert.That(deferred.TakeIfDue(scriptsDone: true, now: 100), Is.Null);
    }
}
