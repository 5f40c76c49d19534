using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// Where an advert frame goes and for which vhid, read just far enough to hand it to its
/// group (one socket serves every group of an interface); the group's reader checks the rest.
/// </summary>
public static class AdvertRoute
{
    /// <summary>VRRP's fixed header (version/type, vrid, priority, count, interval, checksum): the shortest advert of protocol 112.</summary>
    const int MinimumHeader = 8;

    /// <returns>false for a frame too short (or with an IPv4 header too short) to say.</returns>
    public static bool TryRead(ReadOnlySpan<byte> frame, bool v6, out IpAddress destination, out byte vhid)
    {
        destination = default;
        vhid = 0;
        const int eth = CarpHeader.EthernetSize;
        int ipLength = v6 ? CarpHeader.Ipv6Size : frame.Length > eth ? (frame[eth] & 0x0f) << 2 : 0;
        // Room for the vhid is all routing needs: a VRRP advert with one IPv4 address is 16
        // bytes past the IP header, a CARP one 36, and the group's own reader checks the size.
        if (ipLength < CarpHeader.IpSize(v6) || frame.Length < eth + ipLength + MinimumHeader)
        {
            return false;
        }
        ReadOnlySpan<byte> ip = frame[eth..];
        destination = new IpAddress(ip.Slice(v6 ? 24 : 16, v6 ? 16 : 4));
        vhid = ip[ipLength + CarpHeader.Vhid];
        return true;
    }
}
