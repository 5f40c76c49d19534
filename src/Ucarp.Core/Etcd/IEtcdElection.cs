using Ucarp.Core.Carp;

namespace Ucarp.Core.Etcd;

/// <summary>
/// An election that sends its own etcd requests and is fed their replies: follow mode
/// (--follow-key). The lease election's replies come through its <see cref="EtcdSession"/>.
/// </summary>
public interface IEtcdElection : IElection
{
    void OnReply(in EtcdReply reply, long now);

    /// <summary>True while a request that must go out before exiting (a revoke) is unanswered.</summary>
    bool Releasing { get; }
}
