using Ucarp.Core.Cli;
using Ucarp.Core.Election;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Carp;

/// <summary>
/// A port of ucarp 1.5.2's carp.c state machine. Method names follow carp.c
/// (SetState = carp_set_state, SetRun = carp_setrun, MasterDown = carp_master_down,
/// SendAdvertisement = carp_send_ad) so the two can be read side by side.
///
/// Pure: it never reads a clock or sleeps. Every entry point takes "now" in
/// microseconds of a monotonic clock, adverts go to <see cref="ICarpHost"/> and what
/// follows the role to the base's follower, and
/// <see cref="NextDeadline"/> says when <see cref="OnTimer"/> must run next.
/// Three entry points drive the protocol, as in OpenBSD's carp: a frame, the
/// advertisement timer and the master-down timer; signals and link state are the rest.
/// </summary>
public sealed partial class CarpMachine : ElectionBase, IFrameInput
{
    const int SendErrorsBeforeSuppress = 3;   // CARP_SENDAD_MAX_ERRORS
    const int SuccessesBeforeRecovery = 3;    // CARP_SENDAD_MIN_SUCCESS

    readonly ICarpHost _host;
    readonly ICarpRandom _random;
    readonly CarpHmac _hmac;
    readonly AdvertReader _reader;
    readonly WarningLimiter _warnings;
    readonly byte[] _advert;        // sized for the family: 70 bytes (IPv4) or 90 (IPv6)

    long? _advertAt;       // sc_ad_tmo
    long? _masterDownAt;   // sc_md_tmo
    int _delayedArp = -1;  // adverts left before the follow-up gratuitous ARP
    bool _initCounter = true;
    ulong _counter;
    int _sendErrors;
    int _sendSuccesses;
    int _suppressPreempt;
    bool _resendInFlight;   // the advert sent at once on the third failure, not yet judged
    // The last advert heard during the demotion hold, when it was a bow-out (null otherwise).
    ReceivedAdvert? _bowOutInHold;
    HeardMaster _heard;              // the master we last heard, while we are not master

    public CarpMachine(CarpSettings settings, ICarpHost host, ICarpRandom random) : base(settings, host, host)
    {
        _host = host;
        _random = random;
        _hmac = new CarpHmac(settings.Password, settings.Vhid, settings.VirtualAddress);
        _reader = new AdvertReader(settings.Source, settings.Group, settings.Vhid, _hmac, settings.Peers);
        bool ipv6 = settings.VirtualAddress.IsV6;
        _advert = new byte[CarpHeader.FrameSize(ipv6)];
        _warnings = new WarningLimiter(host);
    }

    /// <summary>
    /// The current master as far as this node knows: itself when MASTER, else the sender
    /// of the last valid advert heard within a master-down interval; null when unknown.
    /// </summary>
    public override IpAddress? MasterAddress(long now) =>
        State == CarpState.Master ? Settings.Source
        : _heard.Known(now, MasterDownInterval) ? _heard.Address
        : null;

    /// <summary>True while advertising with advskew 240 after repeated send errors.</summary>
    public bool PreemptionSuppressed => _suppressPreempt != 0;

    /// <summary>How many rejected frames the machine has seen, by reason (OpenBSD's carpstats).</summary>
    public IReadOnlyDictionary<Rejection, long> Rejections => _warnings.Counts;

    /// <summary>All rejected frames, every reason together: cheap to read on every wake-up.</summary>
    public long RejectedTotal => _warnings.Total;

    /// <summary>The next advert, master-down, end of hold or announcement refresh: the protocol's own timers.</summary>
    public long? ProtocolDeadline => Min(Min(_advertAt, _masterDownAt), SharedDeadline);

    /// <summary>The advert and master-down timers, a log summary, or the master heard forgotten.</summary>
    protected override long? DecisionDeadline => Min(Min(Min(_advertAt, _masterDownAt), _warnings.FlushAt), _heard.ForgetAt);

    /// <summary>Start-up: INIT to BACKUP (downscript unless -n) and the master-down timer armed, <see cref="ElectionBase.StartPhase"/> later.</summary>
    public override void Start(long now)
    {
        SetRun(now);
        _masterDownAt += StartPhase;
    }

    public override void OnTimer(long now)
    {
        _warnings.Flush(now);
        if (HoldEnds(now))
        {
            // The demotion hold is over: "now listen for 3 heartbeats, as usual".
            SetRun(now);
            // Unless the master bowed out meanwhile, and nobody has advertised since: that
            // master is gone, and waiting a whole master-down for it (after a sync mate's
            // hold, 3 s more than its mate) would leave the address without a holder.
            if (_bowOutInHold is ReceivedAdvert bowOut)
            {
                _bowOutInHold = null;
                HandleAdvert(bowOut, now);
            }
        }
        if (_masterDownAt <= now)
        {
            _masterDownAt = null;
            MasterDown(now);
        }
        if (_advertAt <= now)
        {
            SendAdvertisement(now);
        }
        if (_heard.ForgetDue(now))
        {
            StandingChanged();
        }
        RefreshIfDue(now);
    }

    // A backup's frame reads the reader and the key; a master's advert the key, its buffer and the host.
    protected override void PrefetchParts()
    {
        CacheLines.Prefetch(_reader, 1);
        CacheLines.Prefetch(_hmac, 1);
        CacheLines.Prefetch(_warnings, 1);
        CacheLines.Prefetch(_advert, 2);
        CacheLines.Prefetch(_host, 1);
    }

    protected override void PrefetchArrays() => _hmac.Prefetch();

    public void OnFrame(ReadOnlySpan<byte> frame, long now)
    {
        if (LinkIsDown)
        {
            // ucarp sleeps while the link is down and reads nothing.
            return;
        }
        if (Log.DebugEnabled)
        {
            LogFrameDebug(frame);
        }
        ReadResult read = _reader.Read(frame);
        if (!read.IsValid)
        {
            _warnings.Report(read, now);
            return;
        }
        // A valid advert: from now on count on from the peer's counter.
        Counters.AdvertsReceived++;
        _initCounter = false;
        _counter = read.Advert.Counter;
        if (HoldUntil is not null)
        {
            // ucarp is asleep during the hold; its state logic sees nothing until SetRun.
            // The frames wait in its socket meanwhile: a bow-out among them is acted on
            // when the hold ends (see OnTimer).
            _bowOutInHold = read.Advert.AdvBase == CarpHeader.BowOutAdvBase && read.Advert.AdvSkew == CarpHeader.BowOutAdvSkew
                ? read.Advert : null;
            return;
        }
        IpAddress? shown = MasterAddress(now);
        HandleAdvert(read.Advert, now);
        if (!Nullable.Equals(shown, MasterAddress(now)))
        {
            StandingChanged();
        }
    }

    /// <summary>
    /// Out of the election: a master steps down at once (downscript, bow-out) and the
    /// master-down timer stays off; it still reads adverts and follows the counter. Back:
    /// it listens as at start-up (master-down timer, then the -P rules).
    /// </summary>
    protected override void EligibilityChanged(long now)
    {
        if (!Eligible)
        {
            if (State == CarpState.Master)
            {
                SetState(CarpState.Backup, now);
                BowOut(now);
            }
            _advertAt = null;
            _masterDownAt = null;
            return;
        }
        // During the SIGUSR2 hold or with the link down, SetRun comes when those end.
        if (State != CarpState.Init && HoldUntil is null && !LinkIsDown)
        {
            SetRun(now);
        }
    }

    /// <summary>
    /// --check-weight: the node advertises the new advskew as if started with that -k, and
    /// its master-down deadline moves by the difference. A master stays master and
    /// advertises at once, so a -P backup now preferred preempts it without waiting a
    /// whole interval.
    /// </summary>
    protected override void SkewChanged(SkewInUse before, long now)
    {
        long masterDownBefore = Timing.MasterDown(Settings.AdvBase, Settings.DeadRatio, before.Value);
        if (Skew.Value == before.Value)
        {
            return;
        }
        _heard.MasterDownChanged(MasterDownInterval);
        if (State == CarpState.Master)
        {
            SendAdvertisement(now);
        }
        else if (_masterDownAt is long due)
        {
            _masterDownAt = due + MasterDownInterval - masterDownBefore;
        }
    }

    /// <summary>SIGUSR2: a master steps down to BACKUP, holds 3 s, then runs the normal master-down timer.</summary>
    public override void Demote(long now)
    {
        Debug(Messages.Usr2);
        if (State == CarpState.Backup)
        {
            return;
        }
        SetState(CarpState.Backup, now);
        BowOut(now);
        _advertAt = null;
        _masterDownAt = null;
        _bowOutInHold = null;
        Hold(now);
    }

    /// <summary>
    /// The interface stopped RUNNING (without -S): BACKUP, all timers off, frames ignored.
    /// RUNNING again: listen for a master as at start-up.
    /// </summary>
    protected override void LinkChanged(long now)
    {
        if (!LinkIsDown)
        {
            SetRun(now);
            return;
        }
        SetState(CarpState.Backup, now);
        _advertAt = null;
        _masterDownAt = null;
        HoldUntil = null;
        _bowOutInHold = null;
    }

    /// <summary>
    /// A termination signal with -z: the downscript when not BACKUP, then (a master) the
    /// bow-out; the host exits 0 once both are done.
    /// </summary>
    protected override void Stop(long now, bool runDownscript, bool interfaceGone)
    {
        if (State != CarpState.Backup && runDownscript)
        {
            Effects.RunDown();
        }
        // Nothing can be sent on a vanished interface.
        if (State == CarpState.Master && !interfaceGone)
        {
            BowOut(now);
        }
    }

    void HandleAdvert(in ReceivedAdvert advert, long now)
    {
        // Whoever advertises is master, or about to learn it is not; a master of ours
        // stepping down below records the preferred one.
        _heard.Heard(advert.Source, now, MasterDownInterval);
        // Our interval as we advertise it: advskew 240 while send errors suppress preemption.
        byte ourSkew = _suppressPreempt != 0 && Skew.Value < CarpHeader.BulkUpdateMinDelay
            ? CarpHeader.BulkUpdateMinDelay
            : Skew.Value;
        long ours = Timing.Interval(Settings.AdvBase, ourSkew);
        long theirs = Timing.Interval(advert.AdvBase, advert.AdvSkew);
        if (Log.DebugEnabled)
        {
            Debug($"sc_tv(local) = [{Settings.AdvBase}] ch_tv(remote) = [{advert.AdvBase}]");
        }
        // ucarp compares the raw in_addr as a host integer (see IpAddress.TieBreakCompare).
        int addressOrder = advert.Source.TieBreakCompare(Settings.Source);

        switch (State)
        {
            case CarpState.Master:
                // A master that advertises more often than us, or as often from a lower
                // address, is preferred: tell it once more that we are here, then step down.
                if (ours > theirs || (ours == theirs && addressOrder < 0))
                {
                    SendAdvertisement(now);
                    SetState(CarpState.Backup, now);
                    SetRun(now);
                    Log.Write(LogLevel.Warning, Messages.PreferredMaster);
                }
                // A less preferred master: reassert the VIP with another gratuitous ARP now
                // and one more two adverts later.
                if (ours < theirs || (ours == theirs && addressOrder > 0))
                {
                    Announce();
                    _delayedArp = 2;
                    Log.Write(LogLevel.Warning, Messages.NonPreferredMaster);
                }
                break;

            case CarpState.Backup:
                if (!Eligible)
                {
                    // Out of the election: the counter was adopted above, nothing more.
                    break;
                }
                // With -P, a master slower than us is treated as down.
                if (Settings.Preempt && ours < theirs)
                {
                    MasterDown(now);
                    Log.Write(LogLevel.Warning, Messages.Preemption);
                    break;
                }
                // A master so slow it is bound to time out might as well have timed out.
                // ucarp keeps our skew here, undivided by the ratio (but for advbase 0).
                long deadline = Timing.MasterDown(Settings.AdvBase, Settings.DeadRatio, ourSkew);
                if (deadline < theirs)
                {
                    MasterDown(now);
                    Log.Write(LogLevel.Warning, Messages.GoingToTimeOut);
                    break;
                }
                // The master is alive: wait for its next advert.
                SetRun(now);
                break;
        }
    }

    void SetRun(long now)
    {
        Debug(Messages.SetRun);
        switch (State)
        {
            case CarpState.Init:
                SetState(CarpState.Backup, now);
                SetRun(now);
                break;
            case CarpState.Backup:
                _advertAt = null;
                _masterDownAt = Eligible ? now + MasterDownInterval : null;
                break;
            case CarpState.Master:
                // ucarp arms sc_md_tmo here too, but master_down does nothing in MASTER,
                // so that timer can only cause idle wake-ups; we leave it off.
                _masterDownAt = null;
                break;
        }
    }

    void MasterDown(long now)
    {
        Debug(Messages.MasterDownEvent);
        if (State != CarpState.Backup || !Eligible)
        {
            return;
        }
        SetState(CarpState.Master, now);
        SendAdvertisement(now);
        // A second gratuitous ARP two adverts later, for L3 switches that miss the first.
        _delayedArp = 2;
        SetRun(now);
    }

    long MasterDownInterval => Timing.MasterDown(Settings.AdvBase, Settings.DeadRatio, Skew.Value);

    void Announce() => Effects.Announce();
}
