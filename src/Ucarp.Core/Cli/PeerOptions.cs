using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>--peer: unicast addresses (of -a's family) to advertise to instead of the multicast group.</summary>
public static class PeerOptions
{
    public static bool TryApply(string arg, Configuration config, ILog log)
    {
        if (!Inet.TryParse(arg, out IpAddress peer))
        {
            log.Write(LogLevel.Error, Messages.PeerNotAnAddress(arg));
            return false;
        }
        if (!IsUnicast(peer))
        {
            log.Write(LogLevel.Error, Messages.PeerNotUnicast(arg));
            return false;
        }
        if (!config.Peers.Contains(peer))
        {
            config.Peers.Add(peer);
        }
        return true;
    }

    /// <summary>After ucarp's own checks: peers exclude our own address and any multicast or broadcast option.</summary>
    public static int Validate(Configuration config, ILog log)
    {
        if (config.Peers.Count == 0)
        {
            return 0;
        }
        if (config.NoMulticast || config.MulticastGiven)
        {
            log.Write(LogLevel.Error, Messages.PeerWithMulticast);
            return 1;
        }
        if (config.Peers.Contains(config.SourceAddress))
        {
            log.Write(LogLevel.Error, Messages.PeerIsUs(config.SourceAddress.ToString()));
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// IPv4: not 0.0.0.0/8, loopback, multicast (224/4), reserved (240/4) or the limited
    /// broadcast. IPv6: not ::, ::1 or multicast (ff00::/8).
    /// </summary>
    public static bool IsUnicast(IpAddress a) => a.IsV6
        ? !a.IsZero && a[0] != 0xff && !a.Equals(Loopback6)
        : a[0] is not (0 or 127) && a[0] < 224;

    static readonly IpAddress Loopback6 = new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
}
