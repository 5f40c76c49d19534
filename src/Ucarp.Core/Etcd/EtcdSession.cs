using Ucarp.Core.Carp;
using Ucarp.Core.Election;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>What an etcd session needs from the daemon: its requests sent, and the log.</summary>
public interface IEtcdSessionHost
{
    /// <summary>Sends a request now; its reply (or replies, for a watch) comes back through <see cref="EtcdSession.OnReply"/>.</summary>
    void Send(in EtcdRequest request);

    /// <summary>Sends a request once every group's scripts have run (the addresses are gone), or at <paramref name="deadline"/>.</summary>
    void SendAfterScripts(in EtcdRequest request, long deadline);

    void Write(LogLevel level, string message);
}

/// <summary>
/// What every etcd group of one daemon shares (for one set of endpoints, prefix and TTL):
/// one lease, kept alive once per interval whatever the number of groups
/// (<see cref="LeaseKeeper"/>, which also fences); one watch over the prefix and one read
/// of the whole prefix (the sweep) every 2 TTL, which catches what a watch that went
/// quiet missed (<see cref="PrefixMirror"/>), their news handed to the group whose key
/// they name (<see cref="MemberRouter"/>); campaigns batched (<see cref="CampaignBatcher"/>);
/// one numbering of every request, the groups' included, so that each reply finds whose
/// it is (<see cref="RequestTracker"/>). A node's steady etcd traffic is therefore one
/// renewal every TTL/9 (TTL/3 when it holds nothing) and one sweep every 2 TTL: with the
/// default TTL of 5 s, 1.9 requests a second (0.7 holding nothing), for one group or
/// thousands. Campaigns and hand-overs are per key, and only when something changes.
/// Pure, as the elections: time comes in as "now", requests leave through
/// <see cref="IEtcdSessionHost"/>.
/// </summary>
public sealed class EtcdSession : IRoleObserver, ILeaseListener
{
    readonly RequestTracker _requests;
    readonly MemberRouter _members = new();
    readonly Reachability _reach;
    readonly LeaseKeeper _lease;
    readonly PrefixMirror _mirror;
    readonly CampaignBatcher _batcher;

    /// <param name="prefix">The keys' common prefix, ending in "/": the watch and the sweep cover it.</param>
    /// <param name="ttlSeconds">The TTL asked for: advbase x deadratio of the groups that share the session.</param>
    public EtcdSession(IEtcdSessionHost host, string prefix, long ttlSeconds)
    {
        _requests = new RequestTracker(host);
        _reach = new Reachability(host);
        _lease = new LeaseKeeper(host, _requests, _reach, this, ttlSeconds);
        _mirror = new PrefixMirror(_requests, _members, prefix, () => _lease.Ttl);
        _batcher = new CampaignBatcher(host, _requests, _members);
    }

    public long RequestedTtlSeconds => _lease.RequestedTtlSeconds;

    /// <summary>The lease, once granted and while it can be vouched for (else null).</summary>
    public long? Lease => _lease.Lease;

    /// <summary>The lease's TTL as etcd granted it, in µs (0 before the first grant).</summary>
    public long Ttl => _lease.Ttl;

    /// <summary>True while the lease can be vouched for at <paramref name="now"/>: a renewal sent within TTL - margin was answered.</summary>
    public bool Trusted(long now) => _lease.Trusted(now);

    /// <summary>When the lease stops being trusted (a holder gives everything up then), or null.</summary>
    public long? FenceAt => _lease.FenceAt;

    /// <summary>The session as monitoring shows it: etcd reachable, the lease, the age of its last answered renewal, fences so far.</summary>
    public Monitoring.EtcdHealth Health(long now) =>
        new(!_reach.Down, _lease.Lease, _lease.RenewedSentAt is long sent ? now - sent : null, _lease.Fences);

    public bool Stopping => _lease.Stopping;

    /// <summary>True while the revoke that must go out before exiting is unanswered.</summary>
    public bool Releasing => _lease.Releasing;

    /// <summary>How often the whole prefix is read (µs).</summary>
    public long SweepInterval => _mirror.SweepInterval;

    public long? NextDeadline => Deadlines.Min(Deadlines.Min(_lease.NextDeadline, _mirror.NextDeadline), _batcher.FlushAt);

    /// <summary>How many keys one transaction campaigns for (etcd takes 128 operations per transaction by default).</summary>
    public const int BatchSize = CampaignBatcher.BatchSize;

    /// <summary>A group's role changed: a node that holds an address renews more often.</summary>
    void IRoleObserver.RoleChanged(ElectionBase election, CarpState from, CarpState to, long now) =>
        _lease.RoleChanged(from == CarpState.Master, to == CarpState.Master);

    void ILeaseListener.LeaseGranted(long now)
    {
        _mirror.LeaseGranted(now);
        foreach (ISessionMember m in _members.Snapshot())
        {
            m.LeaseReady(now);
        }
    }

    void ILeaseListener.LeaseTrustedAgain(long now)
    {
        foreach (ISessionMember m in _members.Snapshot())
        {
            m.LeaseReady(now);
        }
    }

    void ILeaseListener.LeaseGone(long now)
    {
        foreach (ISessionMember m in _members.Snapshot())
        {
            m.LeaseGone(now);
        }
    }

    /// <summary>
    /// A group joins: its key is watched from now on. False when another group of this
    /// session already has that key (the config file's checks keep that from happening).
    /// </summary>
    public bool Attach(ISessionMember member, long now)
    {
        if (!_members.Add(member))
        {
            return false;
        }
        member.Subscribe(this);
        if (_members.Count == 1)
        {
            _lease.Grant(now);
        }
        _mirror.Joined(member, now);
        return true;
    }

    /// <summary>A group leaves (removed by a reload, or done); nothing more is handed to it.</summary>
    public void Detach(ISessionMember member)
    {
        if (_members.Remove(member))
        {
            _mirror.Left(member);
            member.Unsubscribe(this);
        }
        if (member.State == CarpState.Master)
        {
            _lease.MasterLeft();
        }
    }

    /// <summary>What the sweep and the watch last said of one of our keys (null: absent, or not known).</summary>
    public EtcdKeyValue? Lookup(string key) => _mirror.Lookup(key);

    /// <inheritdoc cref="PrefixMirror.Learn"/>
    internal bool Learn(string key, EtcdKeyValue? kv, long revision) => _mirror.Learn(key, kv, revision);

    public void OnTimer(long now)
    {
        if (Stopping)
        {
            _batcher.Clear();
            return;
        }
        _batcher.OnTimer(now);
        _lease.OnTimer(now);
        _mirror.OnTimer(now);
    }

    /// <summary>A reply (or a watch event): counted for reachability, then handed to the batch, group or part whose request it answers.</summary>
    public void OnReply(in EtcdReply reply, long now)
    {
        if (!_requests.TryGet(reply.Id, out PendingRequest p))
        {
            return; // an answer to something given up on
        }
        if (reply.Op != EtcdOp.Watch || reply.WatchEnded || !reply.Ok)
        {
            _requests.Forget(reply.Id);
        }
        // A refusal is an answer: one key etcd will not let us touch must not make the
        // whole session flap between out of reach and back (abandoning its sweep each time).
        if (!reply.Ok && !reply.Refused)
        {
            _reach.Failed(reply.Error ?? "no answer");
        }
        else if (_reach.Answered())
        {
            // Back: what waits for a retry (a lease, the sweep) goes now, not after the backoff.
            _lease.Reconnected(now);
            _mirror.Reconnected(now);
        }
        if (_batcher.Answered(reply, now))
        {
            return;
        }
        if (p.Owner is ISessionMember owner)
        {
            _members.Deliver(owner, reply, p.Lease, now);
        }
        else if (reply.Op is EtcdOp.Sweep or EtcdOp.Watch)
        {
            _mirror.OnReply(reply, now);
        }
        else
        {
            _lease.OnReply(reply, p, now);
        }
    }

    /// <summary>
    /// The daemon is leaving: no more campaigns or renewals; the lease is revoked once
    /// every group's downscript has run (which deletes every key on it at once), so the
    /// other nodes take the addresses over without waiting out the TTL.
    /// </summary>
    public void Stop(long now)
    {
        if (Stopping)
        {
            return;
        }
        _mirror.Stop();
        _lease.Stop(now);
    }

    /// <summary>The latest a group's request that waits for its downscript goes: when the lease could have expired anyway.</summary>
    internal long AfterScriptsDeadline(long now) => _lease.AfterScriptsDeadline(now);

    /// <summary>A group's request: numbered by the session, so that its reply finds the group again.</summary>
    internal EtcdRequest Track(ISessionMember owner, in EtcdRequest request, long now) => _requests.Track(request, now, owner);

    /// <summary>A group's campaign (or take-back): numbered now, sent with the others of this pass.</summary>
    internal int Campaign(ISessionMember owner, in EtcdRequest request, long now) => _batcher.Add(owner, request, now);

    /// <summary>A group's request given up on (its reply, if one comes, is dropped).</summary>
    internal void Forget(int id) => _requests.Forget(id);
}
