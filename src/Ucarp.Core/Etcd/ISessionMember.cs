using Ucarp.Core.Carp;
using Ucarp.Core.Election;

namespace Ucarp.Core.Etcd;

/// <summary>
/// What an <see cref="EtcdSession"/> needs of a group that shares it: the keys it routes
/// to the group, its role (a group that holds an address makes the lease renew more often),
/// and where to tell it what the sweep and the watch say, what becomes of the lease, and
/// the answers to its own requests. An interface rather than <see cref="EtcdElection"/>,
/// so that each part of the session can be driven on its own.
/// </summary>
public interface ISessionMember
{
    /// <summary>The address's key: the prefix, a slash, the address.</summary>
    string Key { get; }

    /// <summary>The key of a -P request to this group's holder (<see cref="Key"/> + "/preempt").</summary>
    string PreemptKey { get; }

    CarpState State { get; }

    /// <summary>Stopped: not attached any more, but the answer to its release is still its own.</summary>
    bool Stopped { get; }

    /// <summary>The session watches the group's role through this.</summary>
    void Subscribe(IRoleObserver observer);

    void Unsubscribe(IRoleObserver observer);

    /// <summary>What the key says now (null: it does not exist), from the sweep or the watch.</summary>
    void KeyChanged(EtcdKeyValue? kv, long now);

    /// <summary>The -P request under the key (null: none).</summary>
    void PreemptChanged(EtcdKeyValue? kv, long now);

    /// <summary>The watch broke: nothing is known of the keys until the next sweep.</summary>
    void KeysUnknown(long now);

    /// <summary>A lease is there to campaign with.</summary>
    void LeaseReady(long now);

    /// <summary>The lease is gone, or can no longer be vouched for.</summary>
    void LeaseGone(long now);

    /// <summary>The answer to one of the group's requests; <paramref name="lease"/> is the lease it was sent with.</summary>
    void OnReply(in EtcdReply reply, long lease, long now);
}
