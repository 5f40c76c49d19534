using Ucarp.Core.Cli;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Carp;

// What the machine puts on the wire: carp_send_ad with its send-error suppression, the
// delayed gratuitous ARP, the advert's counter, the bow-out; and -D's view of a frame.
public sealed partial class CarpMachine : IAdvertSender
{
    void SendAdvertisement(long now)
    {
        Debug(Messages.SendAdvert);
        byte advbase = Settings.AdvBase;
        byte advskew = _suppressPreempt == 0 || Skew.Value > CarpHeader.BulkUpdateMinDelay
            ? Skew.Value
            : CarpHeader.BulkUpdateMinDelay;

        BuildAdvert(advbase, advskew);

        // Due with others in the same pass, it leaves with them (one sendmmsg) and its
        // result comes back by AdvertSent; alone, it is sent and judged here, as ucarp does.
        if (!_host.TryQueueAdvert(_advert, this))
        {
            AdvertSent(_host.SendAdvert(_advert), now);
        }
        Debug(Messages.AdvertInjected);

        if (_delayedArp > 0)
        {
            _delayedArp--;
        }
        if (_delayedArp == 0)
        {
            if (State == CarpState.Master)
            {
                Announce();
            }
            _delayedArp = -1;
        }
        // advbase 255 with advskew 255 means "advertise once".
        if (advbase != 255 || advskew != 255)
        {
            _advertAt = now + Timing.Interval(advbase, advskew);
        }
    }

    /// <summary>
    /// What a sent advert's result does (carp_send_ad's error suppression): a write error is
    /// logged and counted, three in a row advertise as a poor candidate, three successes
    /// after that undo it.
    /// </summary>
    public void AdvertSent(string? error, long now)
    {
        bool resend = _resendInFlight;
        _resendInFlight = false;
        if (error is null)
        {
            Counters.AdvertsSent++;
        }
        else
        {
            Counters.AdvertSendErrors++;
        }
        if (error is not null)
        {
            Log.Write(LogLevel.Warning, Messages.WriteFailed(error));
            if (_sendErrors < int.MaxValue)
            {
                _sendErrors++;
            }
            if (_sendErrors == SendErrorsBeforeSuppress)
            {
                // Three failures in a row: advertise as a poor candidate (advskew 240) so
                // a healthier node takes over, and say so at once with another advert.
                Log.Write(LogLevel.Error, Messages.WriteErrorCount(_suppressPreempt, SendErrorsBeforeSuppress));
                _suppressPreempt++;
                if (_suppressPreempt == 1)
                {
                    // The failed advert's own timer, computed before, still decides the
                    // next one (carp.c): whether this runs inside that send or after it.
                    long? next = _advertAt;
                    _resendInFlight = true;
                    SendAdvertisement(now);
                    _advertAt = next;
                }
            }
            _sendSuccesses = 0;
        }
        else if (_sendErrors >= SendErrorsBeforeSuppress)
        {
            // That resend's success never counts: in carp.c the failed send it came from
            // zeroes the count once the resend returns.
            if (!resend && ++_sendSuccesses >= SuccessesBeforeRecovery)
            {
                _suppressPreempt--;
                _sendErrors = 0;
            }
        }
        else
        {
            _sendErrors = 0;
        }
    }

    void BuildAdvert(byte advbase, byte advskew)
    {
        ushort ipId = _random.NextIpId();
        if (_initCounter)
        {
            _counter = _random.NextCounter();
        }
        else
        {
            _counter = unchecked(_counter + 1); // wraps to 0 after 2^64-1, as ucarp
        }
        var fields = new AdvertFields(Settings.Source, Settings.Group, Settings.Broadcast, Settings.Vhid,
                                      advbase, advskew, ipId, _counter) { SourceMac = Settings.VirtualMac ? Settings.Mac : null };
        AdvertFrame.Build(fields, _hmac, _advert);
    }

    /// <summary>
    /// A master leaving on purpose says so with one advert of advbase 255/advskew 255
    /// (OpenBSD carp's bow-out): every backup, ucarp's included, takes it for a master
    /// about to time out and takes over now instead of after the master-down interval.
    /// It goes out after the downscript, and at the latest when backups would have
    /// timed out anyway.
    /// </summary>
    void BowOut(long now)
    {
        if (!Settings.BowOut)
        {
            return;
        }
        Log.Write(LogLevel.Info, Messages.BowingOut);
        BuildAdvert(CarpHeader.BowOutAdvBase, CarpHeader.BowOutAdvSkew);
        Follower.AfterScripts(Deferred.BowOut(_advert), now + MasterDownInterval);
    }

    void LogFrameDebug(ReadOnlySpan<byte> frame)
    {
        bool ipv6 = Settings.Source.IsV6;
        int ipSize = CarpHeader.IpSize(ipv6);
        if (frame.Length <= CarpHeader.EthernetSize + ipSize)
        {
            return;
        }
        Debug(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Ethernet [{Mac(frame[6..12])}]->[{Mac(frame[..6])}] type [{frame[12]:x2}{frame[13]:x2}]"));
        ReadOnlySpan<byte> ip = frame[CarpHeader.EthernetSize..];
        int protocol = ipv6 ? ip[6] : ip[9];
        int addresses = ipv6 ? 8 : 12;
        int length = Settings.Source.Length;
        if (protocol == CarpHeader.Protocol && !Settings.Source.Equals(ip.Slice(addresses, length)))
        {
            var from = new IpAddress(ip.Slice(addresses, length));
            var to = new IpAddress(ip.Slice(addresses + length, length));
            Debug($"\n---------------------------\n\ncarp [{from}] -> [{to}]");
        }
    }

    static string Mac(ReadOnlySpan<byte> m) => $"{m[0]:x2}:{m[1]:x2}:{m[2]:x2}:{m[3]:x2}:{m[4]:x2}:{m[5]:x2}";
}
