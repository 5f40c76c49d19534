namespace Ucarp.Core.Follow;

/// <summary>What to do with a managed address another program changed (or may have).</summary>
public enum ManagedAddressAction
{
    /// <summary>It is as the role says: nothing.</summary>
    None,

    /// <summary>A step of the group's own is under way and may be what changed it: look again once it is over.</summary>
    Wait,

    /// <summary>MASTER and it is gone: put it back and announce it.</summary>
    PutBack,

    /// <summary>Not MASTER and it is there: remove it.</summary>
    Remove,
}

/// <summary>
/// --manage-addresses against other programs on the host, as one rule: a managed address
/// is the role's (on the interface while MASTER, off it otherwise) unless a step of the
/// group's own is under way that changes it. Such a change is never acted on at once:
/// it may be the group's own (its removal done, its end not yet reported), and it may
/// not (another program's address added just after the step removed its own), so it is
/// looked at again once the step is over, when an add or a remove that changes nothing
/// says it was the group's own.
/// </summary>
public static class ManagedAddressRule
{
    /// <summary>The kernel says <paramref name="added"/> of a managed address of a group in this role.</summary>
    public static ManagedAddressAction OnChange(bool added, bool master, RoleFollower follower) =>
        added == master ? ManagedAddressAction.None : Settle(master, follower);

    /// <summary>The address made what the role says, whatever it is now (the kernel's notifications were lost, or a wait ended).</summary>
    public static ManagedAddressAction Settle(bool master, RoleFollower follower) =>
        Busy(master, follower) ? ManagedAddressAction.Wait
        : master ? ManagedAddressAction.PutBack
        : ManagedAddressAction.Remove;

    /// <summary>
    /// A step of the group's own that may change its addresses is under way: while
    /// MASTER, a down step, anything waiting (the up step queued behind it adds them
    /// again) or addresses being changed (an upscript running does not stop a put-back);
    /// otherwise any step (its removal follows its downscript).
    /// </summary>
    public static bool Busy(bool master, RoleFollower follower) => master
        ? follower.Waiting > 0 || follower.ChangingAddresses || follower.Running is { Kind: ScriptKind.Down }
        : !follower.Idle;
}
