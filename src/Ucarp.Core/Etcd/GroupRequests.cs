using Ucarp.Core.Follow;

namespace Ucarp.Core.Etcd;

/// <summary>
/// One group's way to etcd: each request numbered by the session, so that its reply finds
/// the group again, and sent through the group's host, now or once its scripts have run;
/// campaigns go with the others of the session's pass.
/// </summary>
internal sealed class GroupRequests(EtcdSession session, ISessionMember owner, IEtcdHost host, RoleFollower follower)
{
    /// <summary>Sends now; the request's id.</summary>
    public int Send(in EtcdRequest request, long now)
    {
        EtcdRequest tracked = session.Track(owner, request, now);
        host.Send(tracked);
        return tracked.Id;
    }

    /// <summary>
    /// Sends once the group's scripts have run (the address is gone before anyone can take
    /// it), and no later than the lease could expire anyway; the request's id.
    /// </summary>
    public int SendAfterScripts(in EtcdRequest request, long now)
    {
        EtcdRequest tracked = session.Track(owner, request, now);
        follower.AfterScripts(Deferred.Send(tracked), session.AfterScriptsDeadline(now));
        return tracked.Id;
    }

    /// <summary>A campaign (or take-back), batched by the session; the request's id.</summary>
    public int Campaign(in EtcdRequest request, long now) => session.Campaign(owner, request, now);

    /// <summary>Given up on: its reply, if one comes, is dropped.</summary>
    public void Forget(int id) => session.Forget(id);
}
