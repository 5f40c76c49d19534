using Ucarp.Core.Carp;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Vrrp;

// What the machine puts on the wire: the periodic advert and the priority-0 resignation.
public sealed partial class VrrpMachine : IAdvertSender
{
    /// <summary>An ADVERTISEMENT with the priority in use now; the Adver_Timer restarts.</summary>
    void Advertise(long now)
    {
        Debug(Messages.SendAdvert);
        int length = _builder.Build(PriorityInUse, _vrrp.IntervalCentis, _random.NextIpId(), _advert);
        // Due with others in the same pass, it leaves with them (one sendmmsg); see CarpMachine.
        if (!_host.TryQueueAdvert(_advert.AsSpan(0, length), this))
        {
            AdvertSent(_host.SendAdvert(_advert.AsSpan(0, length)), now);
        }
        _advertAt = now + OwnInterval;
    }

    /// <summary>A sent advert's result: a write error is logged and counted.</summary>
    public void AdvertSent(string? error, long now)
    {
        if (error is not null)
        {
            Counters.AdvertSendErrors++;
            Log.Write(LogLevel.Warning, Messages.WriteFailed(error));
        }
        else
        {
            Counters.AdvertsSent++;
        }
    }

    /// <summary>
    /// A master leaving on purpose sends priority 0 (RFC 5798 6.4.3), so backups take over
    /// after Skew_Time. As CARP's bow-out, it goes after the downscript, and at the latest
    /// when backups would have timed out anyway.
    /// </summary>
    void Resign(long now)
    {
        Log.Write(LogLevel.Info, Messages.VrrpResigning);
        int length = _builder.Build(VrrpSettings.ResignPriority, _vrrp.IntervalCentis, _random.NextIpId(), _advert);
        Follower.AfterScripts(Deferred.BowOut(_advert.AsSpan(0, length)), now + MasterDownInterval);
    }
}
