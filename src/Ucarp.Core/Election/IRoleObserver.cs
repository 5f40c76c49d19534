using Ucarp.Core.Carp;

namespace Ucarp.Core.Election;

/// <summary>Told once of every role change, after its scripts and announcements were asked for (monitoring, sync sets, an etcd session).</summary>
public interface IRoleObserver
{
    void RoleChanged(ElectionBase election, CarpState from, CarpState to, long now);
}
