using Ucarp.Core.Carp;

namespace Ucarp.Core.Etcd;

/// <summary>The etcd election's effects: everything a CARP host does, plus requests to etcd.</summary>
public interface IEtcdHost : ICarpHost
{
    /// <summary>Sends a request now; its reply (or replies, for a watch) comes back through the loop.</summary>
    void Send(in EtcdRequest request);

    /// <summary>
    /// Sends a request once the scripts asked for before it have finished (the address is
    /// released first), or at <paramref name="deadline"/> at the latest.
    /// </summary>
    void SendAfterScripts(in EtcdRequest request, long deadline);
}
