using Ucarp.Core.Carp;

namespace Ucarp.Core.Etcd;

/// <summary>An election fed by etcd's replies: the lease election, or follow mode (--follow-key).</summary>
public interface IEtcdElection : IElection
{
    void OnReply(in EtcdReply reply, long now);

    /// <summary>True while a request that must go out before exiting (a revoke) is unanswered.</summary>
    bool Releasing { get; }
}
