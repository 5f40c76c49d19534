using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>
/// One daemon, one address family: the virtual address decides it, and -s, -m and
/// every --peer must agree. An IPv6 daemon's default group is ff02::12, CARP's IPv6
/// group (IANA; FreeBSD's ip_carp.c sends to it).
/// </summary>
public static class FamilyCheck
{
    public static readonly IpAddress DefaultMulticast6 = new([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12]);

    /// <summary>After ucarp's own checks, so -s and -a are known to be given. 0, or the exit status.</summary>
    public static int Validate(Configuration config, ILog log)
    {
        IpAddress vip = config.VirtualAddress;
        string vipText = config.VirtualAddressText ?? vip.ToString();
        if (config.SourceAddress.Family != vip.Family)
        {
            log.Write(LogLevel.Error, Messages.FamilyMismatch("-s", config.SourceAddress.ToString(), vipText));
            return 1;
        }
        if (config.MulticastGiven && config.MulticastAddress.Family != vip.Family)
        {
            log.Write(LogLevel.Error, Messages.FamilyMismatch("-m", config.MulticastAddress.ToString(), vipText));
            return 1;
        }
        foreach (IpAddress peer in config.Peers)
        {
            if (peer.Family != vip.Family)
            {
                log.Write(LogLevel.Error, Messages.FamilyMismatch("--peer", peer.ToString(), vipText));
                return 1;
            }
        }
        if (vip.IsV6 && !config.MulticastGiven)
        {
            config.MulticastAddress = DefaultMulticast6;
        }
        return 0;
    }
}
