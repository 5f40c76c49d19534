using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>An etcd group's host: the log, its follower's output (scripts, announcements, requests that wait for them) and requests to etcd.</summary>
public interface IEtcdHost : ILog, IFollowerOutput
{
    /// <summary>Sends a request now; its reply (or replies, for a watch) comes back through the loop.</summary>
    void Send(in EtcdRequest request);
}
