namespace Ucarp.Core.Groups;

/// <summary>
/// Runs the sync-set rule (<see cref="SyncSets"/>) over a host's groups: called after
/// every event, it closes or opens each member's Sync gate and makes a MASTER mate bow
/// out when a member left MASTER while still in the election. Pure: `now` is passed in.
/// </summary>
public sealed class SyncCoordinator
{
    /// <summary>The host's groups (all of them; those in no set have Set null). Called at start and after a reload.</summary>
    public void SetMembers(IReadOnlyList<(string Name, string? Set, ElectionGate Gate)> members, long now)
    {
        throw new NotImplementedException("sync-sets helper");
    }

    /// <summary>Applies the rule to what changed since the last call.</summary>
    public void Observe(long now)
    {
        throw new NotImplementedException("sync-sets helper");
    }
}
