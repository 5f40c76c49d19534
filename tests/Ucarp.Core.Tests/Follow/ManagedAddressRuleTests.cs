using Ucarp.Core.Follow;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Follow;

/// <summary>
/// What --manage-addresses does with an address another program changed, in every phase
/// of the group's own steps: never at once while a step of its own may be what changed
/// it, and always once that step is over.
/// </summary>
public class ManagedAddressRuleTests
{
    /// <summary>Changes addresses elsewhere (as the daemon's changer thread does), so a step waits for <see cref="RoleFollower.AddressesChanged"/>.</summary>
    sealed class Host : IFollowerOutput
    {
        public bool StartScript(ScriptInvocation script) => true;
        public bool ChangeAddresses(ScriptInvocation step) => true;
        public void SendAnnouncement(ReadOnlySpan<byte> frame) { }
        public void SendAfterScripts(in Deferred effect) { }
    }

    static readonly IReadOnlyList<IpAddress> Vips = [new IpAddress(192, 0, 2, 100)];
    static readonly ScriptInvocation Up = new(ScriptKind.Up, "/up", ["/up"]) { Addresses = Vips };
    static readonly ScriptInvocation Down = new(ScriptKind.Down, "/down", ["/down"]) { Addresses = Vips };

    [Test]
    public void An_address_added_on_a_backup_after_its_own_removal_and_before_that_step_ends_is_removed_once_it_ends()
    {
        var follower = new RoleFollower(new Host());
        follower.RunScript(Down);
        Assert.That(ManagedAddressRule.OnChange(added: true, master: false, follower), Is.EqualTo(ManagedAddressAction.Wait), "downscript runs");
        follower.ScriptEnded();   // the downscript is over; its removal is under way elsewhere
        Assert.That(follower.ChangingAddresses, Is.True);
        Assert.That(ManagedAddressRule.OnChange(added: true, master: false, follower), Is.EqualTo(ManagedAddressAction.Wait),
                    "the removal may be done already: the step's end cannot be relied on to remove it");
        follower.AddressesChanged();
        Assert.That(ManagedAddressRule.Settle(master: false, follower), Is.EqualTo(ManagedAddressAction.Remove), "the step is over: removed");
    }

    [Test]
    public void An_address_removed_on_a_master_while_its_own_addresses_are_added_is_put_back_once_they_are()
    {
        var follower = new RoleFollower(new Host());
        follower.RunScript(Up);
        Assert.That(follower.ChangingAddresses, Is.True);
        Assert.That(ManagedAddressRule.OnChange(added: false, master: true, follower), Is.EqualTo(ManagedAddressAction.Wait));
        follower.AddressesChanged();   // added; the upscript runs
        Assert.That(ManagedAddressRule.OnChange(added: false, master: true, follower), Is.EqualTo(ManagedAddressAction.PutBack),
                    "a running upscript does not delay a put-back");
    }

    [Test]
    public void While_master_a_down_step_or_a_waiting_step_defers_and_nothing_is_done_for_a_change_the_role_agrees_with()
    {
        var follower = new RoleFollower(new Host());
        follower.RunScript(Down);
        Assert.That(ManagedAddressRule.OnChange(added: false, master: true, follower), Is.EqualTo(ManagedAddressAction.Wait), "down step running");
        follower.RunScript(Up);
        follower.ScriptEnded();
        follower.AddressesChanged();   // the down step is over; the up step adds
        Assert.That(ManagedAddressRule.OnChange(added: false, master: true, follower), Is.EqualTo(ManagedAddressAction.Wait), "up step adding");
        Assert.That(ManagedAddressRule.OnChange(added: true, master: true, follower), Is.EqualTo(ManagedAddressAction.None));
        Assert.That(ManagedAddressRule.OnChange(added: false, master: false, follower), Is.EqualTo(ManagedAddressAction.None));
    }

    [Test]
    public void An_idle_group_acts_at_once()
    {
        var follower = new RoleFollower(new Host());
        Assert.That(ManagedAddressRule.OnChange(added: true, master: false, follower), Is.EqualTo(ManagedAddressAction.Remove));
        Assert.That(ManagedAddressRule.OnChange(added: false, master: true, follower), Is.EqualTo(ManagedAddressAction.PutBack));
    }
}
