using System.Globalization;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

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
/// A restart faster than the TTL finds the key still on the previous run's lease with
/// the previous run's record (same host name, address, interface and vhid): the first
/// look after start moves it to the new lease in one transaction that only succeeds if
/// it is unchanged, so the address stays here and nobody else ever sees it free.
/// </summary>
public sealed class EtcdElection : ElectionBase
{
    const long Ms = 1_000;

    readonly EtcdSettings _etcd;
    readonly IEtcdHost _host;
    readonly EtcdSession _session;

    bool _keyKnown;             // the session has told what our key says since its watch last broke
    bool _fresh = true;         // nothing seen of the key since start: a take-back is still possible
    EtcdKeyValue? _takeBack;    // our previous run's key, to move to our lease
    HolderRecord? _holder;
    long _holderLease;
    long? _heldOn;              // MASTER: the lease our key is on
    long? _campaignAt;
    int? _campaigning;          // the campaign (or take-back) transaction's id
    Backoff _campaignBackoff = Backoff.Etcd;
    bool _preemptFiled;
    string? _preemptHonoured;   // MASTER: the -P request (lease:revision:value) already handed over for once
    bool _foreign;              // the key stands but is not a holder record on a lease: nobody holds it
    string? _foreignLogged;     // which such value was logged (once each)
    bool _stopping;
    byte? _recordSkew;          // the advskew our record in the key carries, as last written
    long? _releasing;           // the lease whose key we delete (sent, or waiting for the downscript)
    int? _releaseId;
    long? _releaseRetryAt;
    Backoff _releaseBackoff = Backoff.Etcd;

    public EtcdElection(CarpSettings settings, EtcdSettings etcd, IEtcdHost host, EtcdSession session) : base(settings, host, host)
    {
        _etcd = etcd;
        _host = host;
        _session = session;
    }

    public string Key => _etcd.Key;
    public string PreemptKey => _etcd.PreemptKey;
    public EtcdSession Session => _session;

    /// <summary>Stopped (the daemon ends, or a reload removed the group): only its release is still awaited.</summary>
    public bool Stopped => _stopping;

    /// <summary>The lease's TTL as etcd granted it, in µs (0 before the first grant).</summary>
    public long Ttl => _session.Ttl;

    /// <summary>True while our key's deletion (giving the address up) is unanswered.</summary>
    public bool Releasing => _releasing is not null || _session.Stopping && _session.Releasing;

    /// <summary>How long before campaigning: advskew milliseconds, so a lower advskew campaigns first.</summary>
    long CampaignDelay => Skew.Value * Ms;

    long Margin => _session.Ttl / 3;

    /// <summary>Our holder record, with the advskew in use: what a -P node compares its own with.</summary>
    string Record() => new HolderRecord(Settings.Source.ToString(), Skew.Value, _etcd.Host, Settings.Interface, Settings.Vhid).ToJson();

    protected override long? DecisionDeadline => Min(_campaignAt, _releaseRetryAt);

    public override IpAddress? MasterAddress(long now) =>
        State == CarpState.Master ? Settings.Source
        : _holder is HolderRecord h && Inet.TryParse(h.Holder, out IpAddress a) ? a
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
        if (_releaseRetryAt <= now)
        {
            _releaseRetryAt = null;
            if (_releasing is long lease && _releaseId is null)
            {
                SendRelease(lease, now, afterScripts: false);
            }
        }
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
                _recordSkew = Skew.Value;
                if (_takeBack is EtcdKeyValue old)
                {
                    _takeBack = null;
                    _campaigning = _session.Campaign(this, new EtcdRequest(0, EtcdOp.TakeBack, lease, Key, Record(), OldLease: old.Lease, OldValue: old.Value), now);
                }
                else if (_holderLease == 0 && !_foreign)
                {
                    _campaigning = _session.Campaign(this, new EtcdRequest(0, EtcdOp.Campaign, lease, Key, Record()), now);
                }
            }
        }
    }

    // ----- what the session says -----

    /// <summary>What the key says now (null: it does not exist), from the sweep or the watch.</summary>
    public void KeyChanged(EtcdKeyValue? kv, long now)
    {
        _keyKnown = true;

        if (_releasing is long released && (kv is null || kv.Value.Lease != released))
        {
            Released();
        }
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
        bool fresh = _fresh;
        _fresh = false;
        _takeBack = fresh && kv is EtcdKeyValue k && IsOurPreviousRun(k) ? k : null;
        if (_takeBack is not null)
        {
            _holder = HolderRecord.Parse(kv!.Value.Value);
            _holderLease = kv.Value.Lease;
            _foreign = false;
            Log.Write(LogLevel.Info, Messages.EtcdTakingBack(kv.Value.Lease));
            MaybeCampaign(now);
            return;
        }
        Holder(kv, now);
        MaybeCampaign(now);
    }

    /// <summary>The key names this host, address, interface and vhid, on a lease that is not the session's: our previous run.</summary>
    bool IsOurPreviousRun(EtcdKeyValue kv) =>
        kv.Lease != 0 && kv.Lease != _session.Lease
        && HolderRecord.Parse(kv.Value) is HolderRecord r
        && r.Host == _etcd.Host && r.Holder == Settings.Source.ToString() && r.Interface == Settings.Interface && r.Vhid == Settings.Vhid;

    /// <summary>The -P request under our key (null: none).</summary>
    public void PreemptChanged(EtcdKeyValue? kv, long now)
    {
        if (State != CarpState.Master)
        {
            return;
        }
        if (kv is not EtcdKeyValue request)
        {
            _preemptHonoured = null;
            return;
        }
        if (HolderRecord.Parse(request.Value) is not HolderRecord candidate
            || candidate.AdvSkew >= Skew.Value || candidate.Holder == Settings.Source.ToString())
        {
            return;
        }
        // A -P request is handed over for once. Found again after that, its author did not
        // take over (it left the election, or could not): it is stale, and deleted rather
        // than obeyed, so a candidate that cannot hold never makes the holder resign in a loop.
        // Told apart by revision: the same candidate asking again (same lease, same record)
        // writes the key anew; a stale request keeps its revision.
        string seen = string.Create(CultureInfo.InvariantCulture, $"{request.Lease}:{request.ModRevision}:{request.Value}");
        if (seen == _preemptHonoured)
        {
            Log.Write(LogLevel.Warning, Messages.EtcdPreemptStale(candidate.Holder, candidate.AdvSkew));
            Send(new EtcdRequest(0, EtcdOp.DeletePreempt, Key: PreemptKey), now);
            return;
        }
        _preemptHonoured = seen;
        Log.Write(LogLevel.Warning, Messages.EtcdPreemptAsked(candidate.Holder, candidate.AdvSkew));
        Resign(now);
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
        _preemptFiled = false;
        if (State == CarpState.Master)
        {
            LeaveMaster(now, release: false);
        }
    }

    /// <summary>The answer to one of our requests; <paramref name="lease"/> is the lease it was sent with.</summary>
    public void OnReply(in EtcdReply reply, long lease, long now)
    {
        if (reply.Id == _releaseId)
        {
            _releaseId = null;
            if (reply.Ok)
            {
                Released();
            }
            else if (_releasing is not null)
            {
                // Still on our lease, the key would keep the address ours in etcd's eyes: retried until gone.
                _releaseRetryAt = now + _releaseBackoff.Next();
            }
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
                    if (_session.Lease is long ours && _holderLease == ours && lease == ours)
                    {
                        Won(ours, now);
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
                    Won(lease, now);
                }
                else if (reply.Op == EtcdOp.Campaign)
                {
                    Holder(new EtcdKeyValue(Key, reply.Value ?? "", reply.ValueLease, reply.Revision), now);
                    MaybeCampaign(now);
                }
                else
                {
                    // The key changed since (the watch says how), or, in a batch, another key
                    // did: this one, read by the batch, may still be ours to take back.
                    var seen = new EtcdKeyValue(Key, reply.Value ?? "", reply.ValueLease, reply.Revision);
                    _takeBack = reply.Exists && IsOurPreviousRun(seen) ? seen : null;
                    MaybeCampaign(now);
                }
                break;
            case EtcdOp.PutPreempt:
                if (!reply.Ok)
                {
                    _preemptFiled = false; // asked again at the next chance
                }
                break;
            case EtcdOp.Refresh:
                if (!reply.Ok)
                {
                    _recordSkew = null; // written again at the next chance
                }
                break;
        }
    }

    // ----- the election -----

    /// <summary>What the key says now; logged when the holder changes.</summary>
    void Holder(EtcdKeyValue? kv, long now)
    {
        HolderRecord? before = _holder;
        long beforeLease = _holderLease;
        bool wasForeign = _foreign;
        bool exists = kv is not null;
        long lease = kv?.Lease ?? 0;
        HolderRecord? record = exists ? HolderRecord.Parse(kv!.Value.Value) : null;
        // Written by hand (no lease), or not a holder record: nobody holds the address, and
        // nobody can create the key while it stands. Said once per value; no campaign until it changes.
        _foreign = exists && (lease == 0 || record is null);
        _holder = exists && !_foreign ? record : null;
        _holderLease = lease;
        if (_foreign)
        {
            string seen = string.Create(CultureInfo.InvariantCulture, $"{lease}:{kv!.Value.Value}");
            if (seen != _foreignLogged)
            {
                _foreignLogged = seen;
                Log.Write(LogLevel.Warning, Messages.EtcdForeignKey(Key, Printable.Cut(kv.Value.Value), lease));
            }
            return;
        }
        _foreignLogged = null;
        if (exists && lease == _session.Lease && _releasing != lease)
        {
            // Our own key: a campaign whose answer was lost did win. Take the role, or
            // give the key back if we may not hold it now.
            _holder = null;
            if (State == CarpState.Backup && _campaigning is null)
            {
                Won(lease, now);
            }
            return;
        }
        if (!wasForeign && _holderLease == beforeLease && Equals(_holder, before))
        {
            return;
        }
        if (exists && lease == _releasing)
        {
            return; // our own key, on its way out
        }
        Log.Write(LogLevel.Info, _holder is HolderRecord h ? Messages.EtcdHeldBy(h.Holder, h.AdvSkew, h.Host) : Messages.EtcdFree);
    }

    bool CanCampaign => State == CarpState.Backup && Eligible && !LinkIsDown && HoldUntil is null && !_stopping
                        && _keyKnown && (_holderLease == 0 && !_foreign || _takeBack is not null) && _campaigning is null
                        && _session.Lease is not null && _releasing is null;

    /// <summary>Campaigns advskew ms after the key is seen free; with -P asks a slower holder to hand over.</summary>
    void MaybeCampaign(long now)
    {
        if (CanCampaign)
        {
            // A take-back goes at once: the address is still here, nobody else may take it.
            _campaignAt ??= _takeBack is null ? now + CampaignDelay : now;
            return;
        }
        _campaignAt = null;
        if (Settings.Preempt && State == CarpState.Backup && Eligible && !LinkIsDown && HoldUntil is null && !_stopping
            && _holder is HolderRecord h && h.AdvSkew > Skew.Value && _session.Lease is long lease && !_preemptFiled && _takeBack is null)
        {
            _preemptFiled = true;
            Log.Write(LogLevel.Warning, Messages.EtcdPreempting(h.Holder, h.AdvSkew));
            Send(new EtcdRequest(0, EtcdOp.PutPreempt, lease, PreemptKey, Record()), now);
        }
    }

    /// <summary>MASTER: rewrites our record when the advskew in use has changed (--check-weight), so -P nodes compare with it.</summary>
    void RefreshRecord(long now)
    {
        if (State == CarpState.Master && _heldOn is long lease && _recordSkew != Skew.Value)
        {
            _recordSkew = Skew.Value;
            Send(new EtcdRequest(0, EtcdOp.Refresh, lease, Key, Record()), now);
        }
    }

    /// <summary>Our key is on <paramref name="lease"/>: the address is ours, unless we may not hold it now.</summary>
    void Won(long lease, long now)
    {
        if (State != CarpState.Backup)
        {
            return;
        }
        _holder = null;
        _holderLease = lease;
        _campaignAt = null;
        _takeBack = null;
        // Lost the right to it while the transaction was out, or the lease is no longer the
        // session's or can no longer be vouched for (the answer came late, or etcd was out of
        // reach): hand it straight back rather than hold it on a lease we cannot trust.
        if (!Eligible || _stopping || LinkIsDown || HoldUntil is not null || lease == 0 || lease != _session.Lease || !_session.Trusted(now))
        {
            if (lease != 0)
            {
                _releasing = lease;
                SendRelease(lease, now, afterScripts: false);
            }
            return;
        }
        _heldOn = lease;
        SetState(CarpState.Master, now);
        RefreshRecord(now);
        if (_preemptFiled)
        {
            _preemptFiled = false;
            Send(new EtcdRequest(0, EtcdOp.DeletePreempt, Key: PreemptKey), now);
        }
        else if (_session.Lookup(PreemptKey) is EtcdKeyValue standing)
        {
            // A -P request already there (filed while we were BACKUP, or a stale one): looked at now.
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
        _preemptFiled = false;
        SetState(CarpState.Backup, now);
        if (release && lease is long l && !_session.Stopping)
        {
            _releasing = l;
            SendRelease(l, now, afterScripts: true);
        }
        MaybeCampaign(now);
    }

    void SendRelease(long lease, long now, bool afterScripts)
    {
        EtcdRequest request = _session.Track(this, new EtcdRequest(0, EtcdOp.Release, lease, Key), now);
        _releaseId = request.Id;
        if (afterScripts)
        {
            Follower.AfterScripts(Deferred.Send(request), now + Math.Max(_session.Ttl - Margin, 0));
        }
        else
        {
            _host.Send(request);
        }
    }

    void Released()
    {
        if (_releaseId is int id)
        {
            _session.Forget(id);
        }
        _releasing = null;
        _releaseId = null;
        _releaseRetryAt = null;
        _releaseBackoff.Reset();
    }

    /// <summary>Out of the election: a -P request of ours would make the holder resign for nothing.</summary>
    void WithdrawPreempt(long now)
    {
        if (_preemptFiled)
        {
            _preemptFiled = false;
            Send(new EtcdRequest(0, EtcdOp.DeletePreempt, Key: PreemptKey), now);
        }
    }

    int Send(EtcdRequest request, long now)
    {
        EtcdRequest tracked = _session.Track(this, request, now);
        _host.Send(tracked);
        return tracked.Id;
    }

    /// <summary>
    /// --check-weight: campaign and compare with the new advskew. A holder rewrites its
    /// record so -P nodes see it and ask for the address; a backup that is now preferred
    /// asks at once.
    /// </summary>
    protected override void SkewChanged(SkewInUse before, long now)
    {
        if (State == CarpState.Master)
        {
            RefreshRecord(now);
        }
        else if (State == CarpState.Backup)
        {
            // A -P request filed with a lower advskew than we now have would make the holder
            // hand over to a node no better than itself.
            if (_preemptFiled && _holder is HolderRecord h && h.AdvSkew <= Skew.Value)
            {
                WithdrawPreempt(now);
            }
            MaybeCampaign(now);
        }
    }

    protected override void EligibilityChanged(long now)
    {
        if (!Eligible)
        {
            _campaignAt = null;
            _takeBack = null;
            WithdrawPreempt(now);
            if (State == CarpState.Master)
            {
                Resign(now);
            }
            return;
        }
        MaybeCampaign(now);
    }

    public override void Demote(long now)
    {
        if (State != CarpState.Master)
        {
            return;
        }
        Hold(now);
        Resign(now);
    }

    public override void LinkDown(long now)
    {
        LinkIsDown = true;
        _campaignAt = null;
        _takeBack = null;
        WithdrawPreempt(now);
        if (State == CarpState.Master)
        {
            Resign(now);
        }
    }

    public override void LinkUp(long now)
    {
        if (!LinkIsDown)
        {
            return;
        }
        LinkIsDown = false;
        MaybeCampaign(now);
    }

    /// <summary>
    /// The group is leaving: the downscript when asked and not BACKUP, then its key is
    /// deleted; when the whole daemon is leaving, the session's revoke deletes every key
    /// at once instead.
    /// </summary>
    protected override void Stop(long now, bool runDownscript, bool interfaceGone)
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        bool holding = State == CarpState.Master;
        if (holding && runDownscript)
        {
            Effects.RunDown();
        }
        _campaignAt = HoldUntil = null;
        WithdrawPreempt(now);
        if (holding && _heldOn is long lease && !_session.Stopping)
        {
            _releasing = lease;
            SendRelease(lease, now, afterScripts: true);
        }
    }
}
