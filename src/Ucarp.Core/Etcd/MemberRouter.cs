namespace Ucarp.Core.Etcd;

/// <summary>
/// The groups of one session, by key: what the sweep, the watch and the lease say is
/// handed to the group whose key it names (the address's key, or its -P request's), and
/// the answer to a group's request to that group while it is still the one attached.
/// </summary>
internal sealed class MemberRouter
{
    readonly Dictionary<string, ISessionMember> _byKey = new(StringComparer.Ordinal);
    readonly List<ISessionMember> _members = [];

    public int Count => _members.Count;

    /// <summary>False when another group already has that key (the config file's checks keep that from happening).</summary>
    public bool Add(ISessionMember member)
    {
        if (!_byKey.TryAdd(member.Key, member))
        {
            return false;
        }
        _members.Add(member);
        return true;
    }

    /// <summary>True when the group was attached (it is not any more).</summary>
    public bool Remove(ISessionMember member)
    {
        if (_byKey.TryGetValue(member.Key, out ISessionMember? m) && m == member)
        {
            _byKey.Remove(member.Key);
        }
        return _members.Remove(member);
    }

    /// <summary>
    /// The groups as they are now: what they are told may make one leave (a reload's
    /// group stopped by its script's end) without changing who else is told.
    /// </summary>
    public ISessionMember[] Snapshot() => _members.ToArray();

    /// <summary>A key some group of ours has (the address's, or its preempt request's).</summary>
    public bool Interesting(string key) =>
        _byKey.ContainsKey(key) || key.EndsWith(EtcdSettings.PreemptSuffix, StringComparison.Ordinal)
        && _byKey.ContainsKey(key[..^EtcdSettings.PreemptSuffix.Length]);

    /// <summary>What a key says now (null: absent), told to the group whose key, or whose -P request's key, it is.</summary>
    public void Tell(string key, EtcdKeyValue? kv, long now)
    {
        if (_byKey.TryGetValue(key, out ISessionMember? m))
        {
            m.KeyChanged(kv, now);
        }
        else if (key.Length > EtcdSettings.PreemptSuffix.Length && _byKey.TryGetValue(key[..^EtcdSettings.PreemptSuffix.Length], out ISessionMember? holder))
        {
            holder.PreemptChanged(kv, now);
        }
    }

    /// <summary>
    /// The answer to a group's request, handed to it while it is the group attached with its
    /// key, or stopped (its release's answer is still its own); else dropped.
    /// </summary>
    public void Deliver(ISessionMember owner, in EtcdReply reply, long lease, long now)
    {
        if (_byKey.TryGetValue(owner.Key, out ISessionMember? current) && current == owner || owner.Stopped)
        {
            owner.OnReply(reply, lease, now);
        }
    }
}
