using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>
/// The role of one virtual address decided by etcd instead of CARP adverts. Pure, as the
/// CARP machine: time comes in as "now", requests go out through <see cref="IEtcdHost"/>.
/// What every group of the daemon shares, the lease, the watch and the sweep of the
/// prefix, is the <see cref="EtcdSession"/>'s: it tells this election what its key says
/// (<see cref="KeyChanged"/>), when the lease is there to campaign with and when it is
/// gone (<see cref="LeaseReady"/>, <see cref="LeaseGone"/>).
///
/// One key per virtual address holds the holder's record, attached to the holder's
/// lease. When the key is absent a node campaigns with a transaction that creates it
/// only if it does not exist, after advskew milliseconds, so the lowest advskew
/// campaigns first and one transaction wins. Giving the address up on purpose deletes
/// the key (only while it is still on our lease), after the downscript, so the address
/// is gone before anyone else can take it; fencing (the lease no longer vouched for) is
/// the session's and covers every key on the lease.
///
/// The parts with a life of their own are apart: reading the key (<see cref="HolderView"/>),
/// taking our previous run's key back after a quick restart (<see cref="PreviousRun"/>),
/// deleting it on purpose (<see cref="KeyRelease"/>), our record (<see cref="OwnRecord"/>)
/// and -P (<see cref="PreemptRequests"/>). What the daemon asks of the group (--check-weight,
/// eligibility, SIGUSR2, the link, stopping) is answered in EtcdElection.Inputs.cs.
/// </summary>
public sealed partial class EtcdElection : ElectionBase, ISessionMember
{
    const long Ms = 1_000;

    readonly EtcdSettings _etcd;
    readonly EtcdSession _session;
    readonly GroupRequests _requests;
    readonly HolderView _view;
    readonly KeyRelease _release;
    readonly PreemptRequests _preempt;
    readonly PreviousRun _previous;
    readonly OwnRecord _record;

    bool _keyKnown;             // the session has told what our key says since its watch last broke
    long? _heldOn;              // MASTER: the lease our key is on
    long _heldCreated;          // MASTER: the revision our key was created at (0: not known)
    long _takingBack;           // the create revision of the previous run's key a take-back moves
    string _campaignRecord = "";  // the record the campaign (or take-back) on its way writes
    long? _campaignAt;
    int? _campaigning;          // the campaign (or take-back) transaction's id
    Backoff _campaignBackoff = Backoff.Etcd;
    bool _stopping;
    bool _deferred;             // a sync-set mate whose leader another host holds: that host campaigns first

    public EtcdElection(CarpSettings settings, EtcdSettings etcd, IEtcdHost host, EtcdSession session) : base(settings, host, host)
    {
        _etcd = etcd;
        _session = session;
        _requests = new GroupRequests(session, this, host, Follower);
        _view = new HolderView(etcd.Key, host);
        _release = new KeyRelease(_requests, etcd.Key);
        _preempt = new PreemptRequests(_requests, etcd.PreemptKey, host);
        _record = new OwnRecord(new HolderRecord(settings.Source.ToString(), 0, etcd.Host, settings.Interface, settings.Vhid), etcd.Key, _requests);
        _previous = new PreviousRun(_record.Self);
    }

    public string Key => _etcd.Key;
    public string PreemptKey => _etcd.PreemptKey;
    public EtcdSession Session => _session;

    /// <summary>Stopped (the daemon ends, or a reload removed the group): only its release is still awaited.</summary>
    public bool Stopped => _stopping;

    /// <summary>The lease's TTL as etcd granted it, in µs (0 before the first grant).</summary>
    public long Ttl => _session.Ttl;

    /// <summary>True while our key's deletion (giving the address up) is unanswered.</summary>
    public bool Releasing => _release.Lease is not null || _session.Stopping && _session.Releasing;

    /// <summary>
    /// How long before campaigning: advskew milliseconds, so a lower advskew campaigns first;
    /// a sync-set mate whose leader another host holds waits the set's settle time (3 s)
    /// more, so that host takes it and the set stays whole (<see cref="DeferCampaigns"/>).
    /// </summary>
    long CampaignDelay => Skew.Value * Ms + (_deferred ? Groups.SyncCoordinator.Settle : 0);

    /// <summary>
    /// The sync-set coordinator says whether this mate's set leader is held by another host.
    /// While it is, campaigns wait longer (<see cref="CampaignDelay"/>) and no -P request is
    /// filed: the set follows its leader. A campaign already due is counted again from now.
    /// </summary>
    public override void DeferCampaigns(bool defer, long now)
    {
        if (defer == _deferred)
        {
            return;
        }
        _deferred = defer;
        if (_campaignAt is not null && _previous.Key is null)
        {
            _campaignAt = null;
            MaybeCampaign(now);
        }
    }

    protected override long? DecisionDeadline => Min(_campaignAt, _release.RetryAt);

    public override IpAddress? MasterAddress(long now) =>
        State == CarpState.Master ? Settings.Source
        : _view.Holder is HolderRecord h && Inet.TryParse(h.Holder, out IpAddress a) ? a
        : null;

    public override void Start(long now)
    {
        SetState(CarpState.Backup, now);
        if (!_session.Attach(this, now))
        {
            throw new InvalidOperationException("two groups with the key " + Key);
        }
    }

    public override void OnTimer(long now)
    {
        _release.OnTimer(now);
        if (_stopping)
        {
            return;
        }
        if (HoldEnds(now))
        {
            MaybeCampaign(now);
        }
        RefreshIfDue(now);
        if (_campaignAt <= now)
        {
            _campaignAt = null;
            if (_session.Lease is long lease && _session.Trusted(now) && State == CarpState.Backup && Eligible && !LinkIsDown
                && HoldUntil is null && _keyKnown && _campaigning is null)
            {
                string record = _record.Campaigning(Skew.Value);
                _campaignRecord = record;
                if (_previous.Key is EtcdKeyValue old)
                {
                    _takingBack = old.CreateRevision;   // a take-back moves the key: it keeps its create revision
                    _campaigning = _requests.Campaign(_previous.Take(lease, Key, record), now);
                }
                else if (_view.Free)
                {
                    _campaigning = _requests.Campaign(new EtcdRequest(0, EtcdOp.Campaign, lease, Key, record), now);
                }
            }
        }
    }

    // ----- what the session says -----

    /// <summary>What the key says now (null: it does not exist), from the sweep or the watch.</summary>
    public void KeyChanged(EtcdKeyValue? kv, long now)
    {
        _keyKnown = true;
        _release.KeySeen(kv);
        if (State == CarpState.Master)
        {
            if (kv is not EtcdKeyValue mine || mine.Lease != _heldOn)
            {
                // Deleted or overwritten under us (by hand), or seen by a sweep after a quiet watch.
                Log.Write(LogLevel.Warning, Messages.EtcdKeyLost);
                LeaveMaster(now, release: false);
            }
            else
            {
                return;
            }
        }
        if (_previous.Look(kv, _session.Lease) is EtcdKeyValue old)
        {
            HolderRecord? before = _view.Holder;
            _view.TakingBack(old);
            HolderShown(before);
            Log.Write(LogLevel.Info, Messages.EtcdTakingBack(old.Lease));
            MaybeCampaign(now);
            return;
        }
        Holder(kv, now);
        MaybeCampaign(now);
    }

    /// <summary>The -P request under our key (null: none).</summary>
    public void PreemptChanged(EtcdKeyValue? kv, long now)
    {
        if (State == CarpState.Master && _preempt.Asked(kv, Skew.Value, Settings.Source.ToString(), now))
        {
            Resign(now);
        }
    }

    /// <summary>The session's watch broke: nothing is known of the key until its next sweep.</summary>
    public void KeysUnknown(long now)
    {
        _keyKnown = false;
        _campaignAt = null;
    }

    /// <summary>A lease is there to campaign with.</summary>
    public void LeaseReady(long now) => MaybeCampaign(now);

    /// <summary>The lease is gone, or can no longer be vouched for: the address is given up now (nothing to delete: etcd will).</summary>
    public void LeaseGone(long now)
    {
        _preempt.Forget();
        if (State == CarpState.Master)
        {
            LeaveMaster(now, release: false);
        }
    }

    /// <summary>The answer to one of our requests; <paramref name="lease"/> is the lease it was sent with.</summary>
    public void OnReply(in EtcdReply reply, long lease, long now)
    {
        if (_release.OnReply(reply, now))
        {
            // Nothing on its way can delete a key won now: a free key is campaigned for.
            MaybeCampaign(now);
            return;
        }
        switch (reply.Op)
        {
            case EtcdOp.Campaign:
            case EtcdOp.TakeBack:
                if (reply.Id != _campaigning)
                {
                    return;
                }
                _campaigning = null;
                if (!reply.Ok)
                {
                    // Whether it was applied is unknown. The watch tells: if it already showed the
                    // key on our lease, we won; if it shows it later, Holder() takes it. Meanwhile
                    // no campaign in a tight loop against a key nobody can win.
                    if (_session.Lease is long ours && _view.Lease == ours && lease == ours
                        && !_release.WouldDelete(new EtcdKeyValue(Key, "", ours, 0, _view.CreateRevision)))
                    {
                        Won(ours, _view.CreateRevision, now);
                        return;
                    }
                    _campaignAt = null;
                    long retry = _campaignBackoff.Next();
                    if (CanCampaign)
                    {
                        _campaignAt = now + retry;
                    }
                    return;
                }
                _campaignBackoff.Reset();
                if (reply.Succeeded)
                {
                    // Written at the reply's revision: a watch event older than that (a deletion
                    // of the key before we created it) no longer reads as news.
                    long created = reply.Op == EtcdOp.Campaign ? reply.CreateRevision : _takingBack;
                    _session.Learn(Key, new EtcdKeyValue(Key, _campaignRecord, lease, reply.Revision, created), reply.Revision);
                    Won(lease, created, now);
                }
                else if (reply.Op == EtcdOp.Campaign)
                {
                    // Lost: the key was there (or, in a batch lost over another key, this one may
                    // still be absent: free, not a key written by hand), as of the reply's
                    // revision; a later change the watch told of already stands.
                    EtcdKeyValue? read = reply.Exists ? new EtcdKeyValue(Key, reply.Value ?? "", reply.ValueLease, reply.Revision, reply.CreateRevision) : null;
                    if (_session.Learn(Key, read, reply.Revision))
                    {
                        Holder(read, now);
                    }
                    LookAgain(now);
                    MaybeCampaign(now);
                }
                else
                {
                    _previous.Reread(reply, Key, _session.Lease);
                    LookAgain(now);
                    MaybeCampaign(now);
                }
                break;
            case EtcdOp.PutPreempt:
                if (!reply.Ok)
                {
                    _preempt.Forget();
                }
                break;
            case EtcdOp.Refresh:
                if (!reply.Ok)
                {
                    _record.RefreshFailed();
                }
                break;
        }
    }

    // ----- the election -----

    /// <summary>What the key says now; on our lease (a campaign whose answer was lost did win), the role is taken, or the key given back.</summary>
    void Holder(EtcdKeyValue? kv, long now)
    {
        HolderRecord? before = _view.Holder;
        if (_view.See(kv, _session.Lease, kv is EtcdKeyValue k && _release.WouldDelete(k)) && State == CarpState.Backup && _campaigning is null)
        {
            Won(kv!.Value.Lease, kv.Value.CreateRevision, now);
        }
        HolderShown(before);
    }

    /// <summary>
    /// A campaign or take-back was lost: what the watch said of our key while it was out was
    /// passed over (Holder() takes no key as won meanwhile), and an earlier attempt that
    /// timed out may have been applied after all, putting the key on our lease. Looked at
    /// again, or the key would stay ours in etcd's eyes with nobody holding the address.
    /// </summary>
    void LookAgain(long now)
    {
        if (State == CarpState.Backup && _campaigning is null && _session.Lookup(Key) is EtcdKeyValue seen && seen.Lease == _session.Lease)
        {
            Holder(seen, now);
        }
    }

    /// <summary>The holder shown as master (<see cref="MasterAddress"/>) changed: the watchers are told.</summary>
    void HolderShown(HolderRecord? before)
    {
        if (!Equals(_view.Holder, before))
        {
            StandingChanged();
        }
    }

    bool CanCampaign => State == CarpState.Backup && Eligible && !LinkIsDown && HoldUntil is null && !_stopping
                        && _keyKnown && (_view.Free || _previous.Key is not null) && _campaigning is null
                        && _session.Lease is not null && _release.Lease is null && !_release.InFlight(_session.Lease);

    /// <summary>Campaigns advskew ms after the key is seen free; with -P asks a slower holder to hand over.</summary>
    void MaybeCampaign(long now)
    {
        if (CanCampaign)
        {
            // A take-back goes at once: the address is still here, nobody else may take it.
            _campaignAt ??= _previous.Key is null ? now + CampaignDelay : now;
            return;
        }
        _campaignAt = null;
        if (Settings.Preempt && !_deferred && State == CarpState.Backup && Eligible && !LinkIsDown && HoldUntil is null && !_stopping
            && _view.Holder is HolderRecord h && h.AdvSkew > Skew.Value && _session.Lease is long lease && !_preempt.Filed && _previous.Key is null)
        {
            _preempt.File(h, lease, _record.Json(Skew.Value), now);
        }
    }

    /// <summary>MASTER: rewrites our record when the advskew in use has changed (--check-weight), so -P nodes compare with it.</summary>
    void RefreshRecord(long now)
    {
        if (State == CarpState.Master && _heldOn is long lease)
        {
            _record.Refresh(lease, Skew.Value, now);
        }
    }

    /// <summary>
    /// Our key is on <paramref name="lease"/>, created at <paramref name="created"/> (0: not
    /// known): the address is ours, unless we may not hold it now.
    /// </summary>
    void Won(long lease, long created, long now)
    {
        if (State != CarpState.Backup)
        {
            return;
        }
        HolderRecord? before = _view.Holder;
        _view.Won(lease, created);
        HolderShown(before);
        _campaignAt = null;
        _previous.Drop();
        // Lost the right to it while the transaction was out, or the lease is no longer the
        // session's or can no longer be vouched for (the answer came late, or etcd was out of
        // reach): hand it straight back rather than hold it on a lease we cannot trust.
        if (!Eligible || _stopping || LinkIsDown || HoldUntil is not null || lease == 0 || lease != _session.Lease || !_session.Trusted(now))
        {
            if (lease != 0)
            {
                _release.Start(lease, created, now, afterScripts: false);
            }
            return;
        }
        _heldOn = lease;
        _heldCreated = created;
        SetState(CarpState.Master, now);
        RefreshRecord(now);
        // Our own -P request is answered; another already there (filed while we were
        // BACKUP, or a stale one) is looked at now.
        if (!_preempt.Withdraw(now) && _session.Lookup(PreemptKey) is EtcdKeyValue standing)
        {
            PreemptChanged(standing, now);
        }
    }

    /// <summary>Leaves MASTER on purpose (SIGUSR2, -P, a failing check, a lost link): downscript, then our key is deleted.</summary>
    void Resign(long now) => LeaveMaster(now, release: true);

    /// <summary>
    /// MASTER to BACKUP: the downscript, then (when asked) our key deleted, after the
    /// downscript so the address is gone before anyone can take it, and no later than the
    /// lease could expire anyway.
    /// </summary>
    void LeaveMaster(long now, bool release)
    {
        long? lease = _heldOn;
        _heldOn = null;
        _preempt.Forget();
        SetState(CarpState.Backup, now);
        if (release && lease is long l && !_session.Stopping)
        {
            _release.Start(l, _heldCreated, now, afterScripts: true);
        }
        MaybeCampaign(now);
    }
}
