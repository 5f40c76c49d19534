using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Groups;

/// <summary>
/// Runs the sync-set rule (<see cref="SyncSets"/>) over a host's groups: it watches each
/// member's gate, and after an event that changed one (<see cref="Observe"/>) closes or
/// opens that set's Sync gates and makes a MASTER mate bow out when a member left MASTER
/// while still in the election. Sets nothing changed in are not looked at. Pure: `now`
/// is passed in.
/// </summary>
/// <remarks>
/// The rule, per set, on this host:
/// - A member out of the election here for a reason of its own (check, ucarpctl demote,
///   carrier, stopping: <see cref="ElectionGate.OwnInElection"/>) closes the Sync gate of
///   every other member: a MASTER mate steps down at once with a bow-out, so the peer's
///   members take over within an advert, and none rejoins until every member is back.
///   The Sync gate itself never counts as out, or one member out would keep the set out
///   for ever.
/// - A member that leaves MASTER while still in the election (it lost the election to a
///   peer, or SIGUSR2) demotes its MASTER mates (bow-out, then the 3 s hold), so the
///   set follows it to the host that won. The hold is also what bounds the swapping of
///   two hosts whose -P preferences conflict: at most one move per hold.
/// - A member removed by a reload is a member that stopped: its MASTER mates are demoted.
/// - Joining: a set can also end split with no member leaving anything (a member added
///   or restarted after its mates took MASTER, each host first to time out for a
///   different member). It comes whole to the host of its leader, the member with the
///   lowest address (every host agrees on it whatever the groups are called there):
///   where the leader has been BACKUP, in the election and hearing another host hold it
///   for <see cref="Settle"/> while a mate is MASTER here, its MASTER mates step down
///   (bow-out, then the 3 s hold) and the peer's take over. Where the leader is MASTER
///   nothing is done: the other host does the stepping down. The wait lets the leaving
///   rule finish first: a split it is resolving (a preemption moving the set) lasts less
///   than an advert, and acting on it too would tear the set in two.
/// Our own actions are taken as the new baseline, so a mate stepping down because of
/// them is not read as a member leaving MASTER (no cascade, no loop).
/// </remarks>
public sealed class SyncCoordinator(Action<string, string>? warn = null) : IStandingWatcher
{
    // warn(group, line): a MASTER that steps down because a mate lost MASTER says why
    // (the Sync gate's own lines come from the election, with the reason given here).
    readonly Action<string, string>? _warn = warn;
    /// <summary>How long a set must stay split before the joining rule brings it to its leader's host.</summary>
    public static readonly long Settle = 3 * Timing.Second;

    // Which set each watched gate is in, and the sets a change was heard in since the last Observe.
    readonly Dictionary<IElection, int> _setOf = new(ReferenceEqualityComparer.Instance);
    bool[] _changed = [];
    bool _anyChanged;
    // Since when each set has been split with its leader held elsewhere (null: it is not).
    long?[] _splitSince = [];

    /// <summary>When <see cref="Observe"/> must run even if nothing changed: a split set's settle time is over.</summary>
    public long? NextDeadline { get; private set; }

    struct Member
    {
        public string Name;
        public ElectionGate Gate;
        public IpAddress Rank;   // the lowest is the set's leader
        public bool Master;      // as last seen
        public bool InElection;  // OwnInElection, as last seen
        public bool? Deferred;   // what its campaigns were last told (null: nothing yet)
    }

    // Members of sets only, set by set: set s holds _members[_setStart[s] .. _setStart[s + 1]).
    Member[] _members = [];
    int[] _setStart = [0];
    string[] _setNames = [];

    /// <summary>The host's groups, the first of a set its leader (tests, simulations).</summary>
    public void SetMembers(IReadOnlyList<(string Name, string? Set, ElectionGate Gate)> members, long now)
    {
        var ranked = new List<(string, string?, ElectionGate, IpAddress)>(members.Count);
        foreach ((string name, string? set, ElectionGate gate) in members)
        {
            ranked.Add((name, set, gate, default));
        }
        SetMembers(ranked, now);
    }

    /// <summary>
    /// The host's groups (all of them; those in no set have Set null), each with its rank,
    /// its address: a set's leader is the member with the lowest (the first given on a
    /// tie). Called at start and after a reload.
    /// </summary>
    public void SetMembers(IReadOnlyList<(string Name, string? Set, ElectionGate Gate, IpAddress Rank)> members, long now)
    {
        Member[] before = _members;
        string?[] beforeSets = SetOfEach(before);

        var bySet = new Dictionary<string, List<(string Name, ElectionGate Gate, IpAddress Rank)>>(StringComparer.Ordinal);
        var order = new List<string>();
        var seen = new HashSet<ElectionGate>(ReferenceEqualityComparer.Instance);
        foreach ((string name, string? set, ElectionGate gate, IpAddress rank) in members)
        {
            if (!seen.Add(gate))
            {
                continue;
            }
            if (set is null)
            {
                // Out of every set now: nothing of ours may keep it out, or hold it back.
                if (gate.IsClosed(GateReason.Sync))
                {
                    gate.Open(GateReason.Sync, Messages.SyncNoSet, now);
                }
                if (Array.Exists(before, m => ReferenceEquals(m.Gate, gate) && m.Deferred == true))
                {
                    gate.DeferCampaigns(false, now);
                }
                continue;
            }
            if (!bySet.TryGetValue(set, out List<(string, ElectionGate, IpAddress)>? list))
            {
                bySet.Add(set, list = []);
                order.Add(set);
            }
            list.Add((name, gate, rank));
        }

        var all = new List<Member>();
        var starts = new List<int> { 0 };
        foreach (string set in order)
        {
            // The leader first (a stable sort: on a tie, the order given).
            foreach ((string name, ElectionGate gate, IpAddress rank) in Lists.SortedBy(bySet[set], m => m.Rank, AddressOrder))
            {
                all.Add(new Member { Name = name, Gate = gate, Rank = rank, Master = IsMaster(gate), InElection = gate.OwnInElection });
            }
            starts.Add(all.Count);
        }
        _members = [.. all];
        _setStart = [.. starts];
        _setNames = [.. order];
        foreach (IElection gate in _setOf.Keys)
        {
            gate.Unwatch(this);
        }
        _setOf.Clear();
        for (int s = 0; s < _setNames.Length; s++)
        {
            for (int i = _setStart[s]; i < _setStart[s + 1]; i++)
            {
                _setOf[_members[i].Gate] = s;
                _members[i].Gate.Watch(this);
            }
        }
        // Every set is looked at after this: the joining rule too must see the new members.
        _changed = new bool[_setNames.Length];
        Array.Fill(_changed, true);
        _anyChanged = _setNames.Length > 0;
        _splitSince = new long?[_setNames.Length];
        NextDeadline = null;

        // A member that is gone (removed, or restarted as a new group) has stopped: if it
        // was MASTER or in the election, its MASTER mates leave MASTER too.
        for (int i = 0; i < before.Length; i++)
        {
            if (seen.Contains(before[i].Gate) || !(before[i].Master || before[i].InElection) || beforeSets[i] is not string set)
            {
                continue;
            }
            int s = Array.IndexOf(_setNames, set);
            if (s >= 0)
            {
                DemoteMasters(s, before[i].Name, now);
            }
        }
        for (int s = 0; s < _setNames.Length; s++)
        {
            ApplyGates(s, now);
            Refresh(s);
        }
    }

    /// <summary>A member's role, gates, link or stopping may have changed: its set is looked at after the event.</summary>
    void IStandingWatcher.StandingChanged(IElection election)
    {
        if (_setOf.TryGetValue(election, out int s))
        {
            _changed[s] = true;
            _anyChanged = true;
        }
    }

    /// <summary>Applies the rule to the sets a member changed in since the last call (after every event).</summary>
    public void Observe(long now)
    {
        // Nothing heard and no split settled (the common case: no sets, or no change): nothing to look at.
        if (!_anyChanged && !(NextDeadline <= now))
        {
            return;
        }
        _anyChanged = false;
        for (int s = 0; s < _setNames.Length; s++)
        {
            if (!_changed[s] && !(_splitSince[s] + Settle <= now))
            {
                continue;
            }
            // Cleared first: what the rule does below is heard again, and found to be the baseline.
            _changed[s] = false;
            int end = _setStart[s + 1];
            bool changed = false;
            int leftMaster = -1;
            for (int i = _setStart[s]; i < end; i++)
            {
                ref Member m = ref _members[i];
                bool master = IsMaster(m.Gate);
                bool inElection = m.Gate.OwnInElection;
                if (master == m.Master && inElection == m.InElection)
                {
                    continue;
                }
                changed = true;
                // Left MASTER but still in the election: it lost to a peer, or SIGUSR2.
                if (m.Master && !master && inElection && leftMaster < 0)
                {
                    leftMaster = i;
                }
            }
            if (!changed)
            {
                // What the leader hears may have changed (a host holds it now).
                JoinLeader(s, now);
                Refresh(s);
                continue;
            }
            // Out of the election first: those mates step down through their Sync gate,
            // and demoting them again would only add a hold.
            ApplyGates(s, now);
            if (leftMaster >= 0)
            {
                DemoteMasters(s, _members[leftMaster].Name, now);
            }
            JoinLeader(s, now);
            Refresh(s);
        }
        long? next = null;
        foreach (long? since in _splitSince)
        {
            next = Deadlines.Min(next, since + Settle);
        }
        NextDeadline = next;
    }

    /// <summary>
    /// Where the set's leader is BACKUP, in the election and held by another host while a
    /// mate is MASTER here, and has been for <see cref="Settle"/>, the MASTER mates step
    /// down to join it there. While the leader is held by another host, the mates here let
    /// that host campaign for them first (etcd): with three hosts or more, the two that do
    /// not hold the leader would otherwise take a free mate in turn and step down from it
    /// in turn, for ever, whenever the leader's host campaigns last (the highest advskew).
    /// </summary>
    void JoinLeader(int s, long now)
    {
        Member leader = _members[_setStart[s]];
        ElectionGate gate = leader.Gate;
        bool elsewhere = gate.State == CarpState.Backup && gate.MasterAddress(now) is not null;
        for (int i = _setStart[s]; i < _setStart[s + 1]; i++)
        {
            // The leader itself never waits (a mate before a reload may have become it).
            bool defer = i > _setStart[s] && elsewhere;
            if (_members[i].Deferred != defer)
            {
                _members[i].Deferred = defer;
                _members[i].Gate.DeferCampaigns(defer, now);
            }
        }
        bool split = gate.State == CarpState.Backup && gate.Eligible && gate.OwnInElection && gate.MasterAddress(now) is not null
                     && AnyMateMaster(s);
        if (!split)
        {
            _splitSince[s] = null;
            return;
        }
        _splitSince[s] ??= now;
        if (now - _splitSince[s] < Settle)
        {
            return;
        }
        _splitSince[s] = null;
        string holder = gate.MasterAddress(now)!.Value.ToString();
        for (int i = _setStart[s] + 1; i < _setStart[s + 1]; i++)
        {
            if (IsMaster(_members[i].Gate))
            {
                _warn?.Invoke(_members[i].Name, Messages.SyncJoinLeader(_setNames[s], leader.Name, holder));
                _members[i].Gate.Demote(now);
            }
        }
    }

    /// <summary>Closes the Sync gate of each member while another member is out of the election, opens it when none is.</summary>
    void ApplyGates(int s, long now)
    {
        int start = _setStart[s], end = _setStart[s + 1];
        for (int i = start; i < end; i++)
        {
            ElectionGate gate = _members[i].Gate;
            int absent = -1;
            for (int j = start; j < end; j++)
            {
                if (j != i && !_members[j].Gate.OwnInElection)
                {
                    absent = j;
                    break;
                }
            }
            if (absent >= 0)
            {
                gate.Close(GateReason.Sync, Messages.SyncMemberOut(_setNames[s], _members[absent].Name), now);
            }
            else if (gate.IsClosed(GateReason.Sync))
            {
                gate.Open(GateReason.Sync, Messages.SyncAllIn(_setNames[s]), now);
            }
        }
    }

    void DemoteMasters(int s, string left, long now)
    {
        for (int i = _setStart[s]; i < _setStart[s + 1]; i++)
        {
            if (IsMaster(_members[i].Gate))
            {
                _warn?.Invoke(_members[i].Name, Messages.SyncFollow(_setNames[s], left));
                _members[i].Gate.Demote(now);
            }
        }
    }

    // What we did is the new baseline: a mate we stepped down did not "leave" on its own.
    void Refresh(int s)
    {
        for (int i = _setStart[s]; i < _setStart[s + 1]; i++)
        {
            ref Member m = ref _members[i];
            m.Master = IsMaster(m.Gate);
            m.InElection = m.Gate.OwnInElection;
        }
    }

    string?[] SetOfEach(Member[] members)
    {
        var sets = new string?[members.Length];
        for (int s = 0; s < _setNames.Length; s++)
        {
            for (int i = _setStart[s]; i < _setStart[s + 1]; i++)
            {
                sets[i] = _setNames[s];
            }
        }
        return sets;
    }

    static bool IsMaster(ElectionGate gate) => gate.State == CarpState.Master;

    bool AnyMateMaster(int s)
    {
        for (int i = _setStart[s] + 1; i < _setStart[s + 1]; i++)
        {
            if (IsMaster(_members[i].Gate))
            {
                return true;
            }
        }
        return false;
    }

    // The addresses' bytes in order, IPv4 before IPv6: the same on every host, whatever its byte order.
    static readonly Comparer<IpAddress> AddressOrder = Comparer<IpAddress>.Create((a, b) =>
    {
        if (a.IsV6 != b.IsV6)
        {
            return a.IsV6 ? 1 : -1;
        }
        Span<byte> x = stackalloc byte[16], y = stackalloc byte[16];
        a.CopyTo(x);
        b.CopyTo(y);
        return x.SequenceCompareTo(y);
    });
}
