using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// Where an advert must come from and go to, CARP's and VRRP's alike: with unicast peers,
/// from one of them and to our own address; else to the group.
/// </summary>
static class AdvertAddressing
{
    /// <returns>The reason to reject, or <see cref="Rejection.None"/>; <paramref name="named"/> is the address the log line names.</returns>
    public static Rejection Check(IpAddress own, IpAddress group, IpAddress[] peers, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination,
                                  out IpAddress named)
    {
        named = default;
        if (peers.Length != 0)
        {
            if (!IsPeer(peers, source))
            {
                named = new IpAddress(source);
                return Rejection.NotFromPeer;
            }
            if (!own.Equals(destination))
            {
                named = new IpAddress(destination);
                return Rejection.NotToUs;
            }
            return Rejection.None;
        }
        if (!group.Equals(destination))
        {
            named = new IpAddress(destination);
            return Rejection.OtherGroup;
        }
        return Rejection.None;
    }

    static bool IsPeer(IpAddress[] peers, ReadOnlySpan<byte> address)
    {
        foreach (IpAddress peer in peers)
        {
            if (peer.Equals(address))
            {
                return true;
            }
        }
        return false;
    }
}
