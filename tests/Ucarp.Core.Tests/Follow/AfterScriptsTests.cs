using Ucarp.Core.Follow;

namespace Ucarp.Core.Tests.Follow;

public class AfterScriptsTests
{
    [Test]
    public void Items_wait_for_the_scripts_then_go_once_in_order()
    {
        var after = new AfterScripts<string>();
        after.Add("bowout", deadline: 3_000);
        after.Add("release", deadline: 2_000);
        Assert.That(after.Deadline, Is.EqualTo(2_000));
        Assert.That(after.TryTake(scriptsDone: false, now: 1_000, out _), Is.False);
        Assert.That(after.TryTake(scriptsDone: true, now: 1_500, out string? first), Is.True);
        Assert.That(after.TryTake(scriptsDone: true, now: 1_500, out string? second), Is.True);
        Assert.That((first, second), Is.EqualTo(("bowout", "release")), "in the order added, not by deadline");
        Assert.That(after.TryTake(scriptsDone: true, now: 1_600, out _), Is.False, "each goes once");
        Assert.That(after.Deadline, Is.Null);
    }

    [Test]
    public void A_hanging_script_holds_each_item_only_until_its_own_deadline()
    {
        var after = new AfterScripts<string>();
        after.Add("late", deadline: 5_000);
        after.Add("early", deadline: 3_000);
        Assert.That(after.TryTake(scriptsDone: false, now: 2_999, out _), Is.False);
        Assert.That(after.TryTake(scriptsDone: false, now: 3_000, out string? due), Is.True);
        Assert.That(due, Is.EqualTo("early"));
        Assert.That(after.TryTake(scriptsDone: false, now: 3_000, out _), Is.False, "the other is not due yet");
        Assert.That(after.Deadline, Is.EqualTo(5_000));
    }

    [Test]
    public void Removed_items_never_go()
    {
        var after = new AfterScripts<string>();
        after.Add("bowout", deadline: 10);
        after.Add("release", deadline: 10);
        after.RemoveWhere(i => i == "bowout");
        Assert.That(after.Any(i => i == "bowout"), Is.False);
        Assert.That(after.TryTake(scriptsDone: true, now: 100, out string? left), Is.True);
        Assert.That(left, Is.EqualTo("release"));
        Assert.That(after.Count, Is.Zero);
    }

    [Test]
    public void A_bow_out_keeps_its_own_copy_of_the_frame()
    {
        byte[] source = [9, 9];
        Deferred d = Deferred.BowOut(source);
        source[0] = 0;
        Assert.That(d.Frame, Is.EqualTo(new byte[] { 9, 9 }));
    }
}
