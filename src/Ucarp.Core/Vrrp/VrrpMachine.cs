using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Vrrp;

/// <summary>
/// VRRP's election, version 2 (RFC 3768) or 3 (RFC 5798, RFC 9568), as keepalived 2.2
/// runs it: only the decisions. What follows the role (scripts, addresses, gratuitous
/// ARPs or neighbour adverts, the priority-0 advert after the downscript) is the base's
/// and its follower's, as for CARP.
///
/// Pure: "now" comes with every call, adverts leave by <see cref="ICarpHost.SendAdvert"/>,
/// and <see cref="ElectionBase.NextDeadline"/> says when <see cref="OnTimer"/> runs next.
/// The RFC's states map onto ucarp's: Initialize is INIT, Backup BACKUP, Master MASTER.
/// </summary>
public sealed partial class VrrpMachine : ElectionBase, IFrameInput
{
    /// <summary>keepalived's garp_master_delay: a new master announces its addresses again 5 s later.</summary>
    static readonly long SecondAnnouncementDelay = 5 * Timing.Second;

    readonly ICarpHost _host;
    readonly ICarpRandom _random;
    readonly VrrpSettings _vrrp;
    readonly VrrpAdvertBuilder _builder;
    readonly VrrpReader _reader;
    readonly WarningLimiter _warnings;
    readonly byte[] _advert;

    long? _advertAt;            // Adver_Timer
    long? _masterDownAt;        // Master_Down_Timer
    long? _secondAnnouncementAt;
    long? _preemptAt;           // --preempt-delay: no preemption before (keepalived's preempt_time)
    ushort _masterCentis;       // Master_Adver_Interval: version 3 learns it from the master
    bool _stopped;
    // The last advert heard during SIGUSR2's hold, when the master resigned (priority 0).
    VrrpAdvert? _resignedInHold;
    HeardMaster _heard;              // the master we last heard, while we are not master
    byte _lastMasterPriority;        // and the priority it advertised

    public VrrpMachine(CarpSettings settings, VrrpSettings vrrp, ICarpHost host, ICarpRandom random) : base(settings, host, host)
    {
        _host = host;
        _random = random;
        _vrrp = vrrp;
        _masterCentis = vrrp.IntervalCentis;
        _builder = new VrrpAdvertBuilder(vrrp.Version, settings.Source, settings.Group, settings.Vhid, settings.Addresses,
                                         vrrp.Password, vrrp.RfcChecksum, settings.Mac);
        _reader = new VrrpReader(vrrp.Version, settings.Source, settings.Group, settings.Vhid, vrrp.Password,
                                 vrrp.IntervalCentis, settings.Peers);
        _advert = new byte[_builder.FrameSize];
        _warnings = new WarningLimiter(host);
    }

    /// <summary>2 or 3.</summary>
    public byte Version => _vrrp.Version;

    /// <summary>
    /// The priority advertised now: the configured one less --check-weight while the check
    /// fails (never below 1); the owner's 255 is never lowered, as keepalived has it.
    /// </summary>
    public byte PriorityInUse => IsOwner ? VrrpSettings.OwnerPriority : (byte)Math.Max(1, _vrrp.Priority - Skew.Value);

    /// <summary>The master's priority as last heard (ours when MASTER); null when no master is known.</summary>
    public byte? MasterPriority(long now) =>
        State == CarpState.Master ? PriorityInUse
        : MasterHeard(now) ? _lastMasterPriority
        : null;

    public override IpAddress? MasterAddress(long now) =>
        State == CarpState.Master ? Settings.Source
        : MasterHeard(now) ? _heard.Address
        : null;

    /// <summary>What monitoring shows of the group's VRRP side.</summary>
    public Monitoring.VrrpView View(long now) => new(_vrrp.Version, _vrrp.Priority, PriorityInUse, MasterPriority(now));

    public IReadOnlyDictionary<Rejection, long> Rejections => _warnings.Counts;

    public long RejectedTotal => _warnings.Total;

    bool IsOwner => _vrrp.Priority == VrrpSettings.OwnerPriority;

    long OwnInterval => VrrpTiming.Interval(_vrrp.IntervalCentis);

    long MasterDownInterval => VrrpTiming.MasterDown(_vrrp.Version, PriorityInUse, _masterCentis);

    bool MasterHeard(long now) => _heard.Known(now, MasterDownInterval);

    protected override long? DecisionDeadline =>
        Min(Min(Min(_advertAt, _masterDownAt), Min(_secondAnnouncementAt, _warnings.FlushAt)), _heard.ForgetAt);

    /// <summary>Initialize: the owner becomes MASTER at once, anyone else BACKUP with the Master_Down_Timer.</summary>
    public override void Start(long now)
    {
        Rejoin(now);
        _masterDownAt += StartPhase;
    }

    public override void OnTimer(long now)
    {
        _warnings.Flush(now);
        if (_stopped)
        {
            return;
        }
        if (HoldEnds(now))
        {
            Rejoin(now);
            // The master resigned during the hold and nobody has advertised since: wait
            // only Skew_Time for it, as a backup that heard it would have.
            if (_resignedInHold is VrrpAdvert resigned)
            {
                _resignedInHold = null;
                Handle(resigned, now);
            }
        }
        if (_masterDownAt <= now)
        {
            _masterDownAt = null;
            if (State == CarpState.Backup && Eligible && !LinkIsDown)
            {
                BecomeMaster(now);
            }
        }
        if (_advertAt <= now)
        {
            Advertise(now);
        }
        if (_secondAnnouncementAt <= now)
        {
            _secondAnnouncementAt = null;
            if (State == CarpState.Master)
            {
                Effects.Announce();
            }
        }
        if (_heard.ForgetDue(now))
        {
            StandingChanged();
        }
        RefreshIfDue(now);
    }

    public void OnFrame(ReadOnlySpan<byte> frame, long now)
    {
        if (LinkIsDown || _stopped)
        {
            return;
        }
        VrrpReadResult read = _reader.Read(frame);
        if (!read.IsValid)
        {
            _warnings.Report(read, now);
            return;
        }
        Counters.AdvertsReceived++;
        if (HoldUntil is not null)
        {
            // Out of the election for SIGUSR2's hold: only a resignation is remembered.
            _resignedInHold = read.Advert.Priority == VrrpSettings.ResignPriority ? read.Advert : null;
            return;
        }
        IpAddress? shown = MasterAddress(now);
        byte? shownPriority = MasterPriority(now);
        Handle(read.Advert, now);
        if (!Nullable.Equals(shown, MasterAddress(now)) || shownPriority != MasterPriority(now))
        {
            StandingChanged();
        }
    }

    /// <summary>RFC 5798 section 6.4.2 (Backup) and 6.4.3 (Master) on receiving an ADVERTISEMENT.</summary>
    void Handle(in VrrpAdvert advert, long now)
    {
        NoteMaster(advert, now);
        switch (State)
        {
            case CarpState.Backup:
                if (!Eligible)
                {
                    Learn(advert);
                    break;
                }
                if (advert.Priority == VrrpSettings.ResignPriority)
                {
                    // The master leaves on purpose: take over after Skew_Time, not Master_Down_Interval.
                    _masterDownAt = now + VrrpTiming.Skew(_vrrp.Version, PriorityInUse, _masterCentis);
                    break;
                }
                if (!_vrrp.Preempt || advert.Priority >= PriorityInUse || PreemptionDelayed(now))
                {
                    NotePreemptDelay(advert, now);
                    Learn(advert);
                    _masterDownAt = now + MasterDownInterval;
                }
                // Else a less preferred master, and we preempt: the advert is discarded,
                // so the Master_Down_Timer runs out and we take over.
                break;

            case CarpState.Master:
                if (advert.Priority == VrrpSettings.ResignPriority)
                {
                    // Another master resigned: make sure every backup hears the one left.
                    Advertise(now);
                    break;
                }
                if (Preferred(advert))
                {
                    _advertAt = null;
                    Learn(advert);
                    SetState(CarpState.Backup, now);
                    _masterDownAt = now + MasterDownInterval;
                    Log.Write(LogLevel.Warning, Messages.VrrpPreferredMaster(advert.Source.ToString(), advert.Priority, PriorityInUse));
                    break;
                }
                // A less preferred master: as keepalived, answer at once and announce the
                // addresses again, so the other side steps down and neighbours come back.
                Log.Write(LogLevel.Warning, Messages.VrrpLesserMaster(advert.Source.ToString(), advert.Priority, PriorityInUse));
                Advertise(now);
                Effects.Announce();
                break;
        }
    }

    /// <summary>Version 3 follows the master's interval (RFC 5798 6.4.2), from the adverts it accepts only.</summary>
    void Learn(in VrrpAdvert advert)
    {
        if (_vrrp.Version == 3 && advert.Priority != VrrpSettings.ResignPriority)
        {
            _masterCentis = advert.IntervalCentis;
        }
    }

    void NoteMaster(in VrrpAdvert advert, long now)
    {
        if (advert.Priority == VrrpSettings.ResignPriority)
        {
            if (_heard.Address == advert.Source)
            {
                _heard.Forget();
            }
            return;
        }
        _heard.Heard(advert.Source, now, MasterDownInterval);
        _lastMasterPriority = advert.Priority;
    }

    /// <summary>Back in the election (start, the link's return, eligibility, the hold's end): the owner takes the role, anyone else listens.</summary>
    void Rejoin(long now)
    {
        if (IsOwner && Eligible && !LinkIsDown && HoldUntil is null)
        {
            BecomeMaster(now);
            return;
        }
        SetState(CarpState.Backup, now);
        _advertAt = null;
        _masterCentis = _vrrp.IntervalCentis;   // RFC 5798 6.4.1: our own, until a master is heard
        _masterDownAt = Eligible && !LinkIsDown && HoldUntil is null ? now + MasterDownInterval : null;
    }

    void BecomeMaster(long now)
    {
        SetState(CarpState.Master, now);
        Advertise(now);
        _masterDownAt = null;
        _masterCentis = _vrrp.IntervalCentis;
        _secondAnnouncementAt = now + SecondAnnouncementDelay;
    }

    /// <summary>Out of the election: a master resigns at once; a backup never takes the role. Back: it listens again.</summary>
    protected override void EligibilityChanged(long now)
    {
        if (!Eligible)
        {
            StepDown(now);
            return;
        }
        if (State != CarpState.Init && HoldUntil is null && !LinkIsDown)
        {
            Rejoin(now);
        }
    }

    /// <summary>--check-weight moved the priority: a master says so at once; a backup's Skew_Time follows.</summary>
    protected override void SkewChanged(SkewInUse before, long now)
    {
        long masterDownBefore = VrrpTiming.MasterDown(_vrrp.Version, IsOwner ? VrrpSettings.OwnerPriority : (byte)Math.Max(1, _vrrp.Priority - before.Value),
                                                      _masterCentis);
        _heard.MasterDownChanged(MasterDownInterval);
        if (State == CarpState.Master)
        {
            Advertise(now);
        }
        else if (_masterDownAt is long due)
        {
            _masterDownAt = due + MasterDownInterval - masterDownBefore;
        }
    }

    protected override string DescribeSkew(SkewInUse skew) => skew.DescribePriority(_vrrp.Priority, PriorityInUse);

    /// <summary>SIGUSR2 (ucarpctl demote): a master resigns, holds off 3 s, then listens as at start.</summary>
    public override void Demote(long now)
    {
        Debug(Messages.Usr2);
        if (State == CarpState.Backup)
        {
            return;
        }
        StepDown(now);
        _resignedInHold = null;
        Hold(now);
    }

    protected override void LinkChanged(long now)
    {
        if (!LinkIsDown)
        {
            Rejoin(now);
            return;
        }
        SetState(CarpState.Backup, now);
        _advertAt = null;
        _masterDownAt = null;
        _secondAnnouncementAt = null;
        HoldUntil = null;
        _resignedInHold = null;
    }

    /// <summary>Leaving: the downscript when asked and not BACKUP, then (a master) priority 0; nothing more is sent.</summary>
    protected override void Stop(long now, bool runDownscript, bool interfaceGone)
    {
        if (State != CarpState.Backup && runDownscript)
        {
            Effects.RunDown();
        }
        if (State == CarpState.Master && !interfaceGone)
        {
            Resign(now);
        }
        StopRefresh(now);
        _stopped = true;
        _advertAt = null;
        _masterDownAt = null;
        _secondAnnouncementAt = null;
    }

    /// <summary>MASTER to BACKUP on our side's decision: the downscript, then priority 0 so a backup takes over after Skew_Time.</summary>
    void StepDown(long now)
    {
        if (State == CarpState.Master)
        {
            SetState(CarpState.Backup, now);
            Resign(now);
        }
        _advertAt = null;
        _masterDownAt = null;
        _secondAnnouncementAt = null;
    }
}
