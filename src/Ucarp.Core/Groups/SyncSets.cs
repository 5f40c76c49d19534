namespace Ucarp.Core.Groups;

/// <summary>A group's standing on this host, as the sync-set rule sees it.</summary>
/// <param name="Master">It holds MASTER here.</param>
/// <param name="InElection">It takes part in the election here: started, its check passing, its carrier up, not demoted, not stopping.</param>
public readonly record struct SyncMemberState(bool Master, bool InElection);

/// <summary>
/// Groups that must be MASTER on the same host or not at all (--sync NAME). The rule:
/// when a member leaves MASTER or the election on this host (lost election, failing
/// check, carrier lost, demoted, stopped), the other members on this host bow out too;
/// and none of them becomes MASTER here while a member of its set is out of the election
/// here. Pure: the caller says what changed and how each member stands now.
/// </summary>
public sealed class SyncSets
{
    readonly Dictionary<string, string> _setOf = new(StringComparer.Ordinal);
    readonly Dictionary<string, List<string>> _members = new(StringComparer.Ordinal);

    /// <param name="membership">Each group and its set (null: none).</param>
    public SyncSets(IEnumerable<(string Group, string? Set)> membership)
    {
        foreach ((string group, string? set) in membership)
        {
            if (set is null || _setOf.ContainsKey(group))
            {
                continue;
            }
            _setOf.Add(group, set);
            if (!_members.TryGetValue(set, out List<string>? members))
            {
                _members.Add(set, members = []);
            }
            members.Add(group);
        }
    }

    /// <summary>The other members of the group's set (none when it is in no set).</summary>
    public List<string> Mates(string group) =>
        _setOf.TryGetValue(group, out string? set) ? _members[set].FindAll(m => m != group) : [];

    /// <summary>Whether going from <paramref name="before"/> to <paramref name="after"/> is leaving MASTER or the election.</summary>
    public static bool Leaves(SyncMemberState before, SyncMemberState after) =>
        (before.Master && !after.Master) || (before.InElection && !after.InElection);

    /// <summary>The mates that must bow out because <paramref name="group"/> went from before to after: those MASTER here.</summary>
    public IReadOnlyList<string> MustBowOut(string group, SyncMemberState before, SyncMemberState after, Func<string, SyncMemberState> stateOf) =>
        Leaves(before, after) ? Mates(group).FindAll(m => stateOf(m).Master) : [];

    /// <summary>False while a member of the group's set (itself included) is out of the election here.</summary>
    public bool MayBecomeMaster(string group, Func<string, SyncMemberState> stateOf) =>
        stateOf(group).InElection && Mates(group).TrueForAll(m => stateOf(m).InElection);
}
