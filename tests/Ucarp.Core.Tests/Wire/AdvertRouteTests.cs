using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>One socket serves every group of an interface: each frame must reach the group its destination and vhid name.</summary>
public class AdvertRouteTests
{
    [TestCaseSource(typeof(CapturedVectors), nameof(CapturedVectors.Senders))]
    public void A_captured_ucarp_advert_routes_to_its_group_and_vhid(Sender s)
    {
        int seen = 0;
        foreach (byte[] frame in CapturedVectors.Adverts(s))
        {
            Assert.That(AdvertRoute.TryRead(frame, v6: false, out IpAddress destination, out byte vhid), Is.True);
            // ucarp's -M changes the Ethernet destination only: the IP destination stays the group.
            Assert.That((destination, vhid), Is.EqualTo((s.Group, s.Vhid)));
            seen++;
        }
        Assert.That(seen, Is.GreaterThan(0));
    }

    [Test]
    public void An_ipv6_advert_routes_to_its_group_and_vhid()
    {
        Inet.TryParse("2001:db8::1", out IpAddress source);
        Inet.TryParse("ff02::12", out IpAddress group);
        Inet.TryParse("2001:db8::100", out IpAddress vip);
        var hmac = new CarpHmac("pw"u8.ToArray(), 77, vip);
        byte[] frame = new byte[CarpHeader.Advert6FrameSize];
        AdvertFrame.Build(new AdvertFields(source, group, false, 77, 1, 0, 0, 1), hmac, frame);
        Assert.That(AdvertRoute.TryRead(frame, v6: true, out IpAddress destination, out byte vhid), Is.True);
        Assert.That((destination, vhid), Is.EqualTo((group, (byte)77)));
    }

    /// <summary>Hostile frames: every truncation and every IPv4 header length is answered, none throws, none routes past its end.</summary>
    [Test]
    public void Short_frames_and_bad_header_lengths_do_not_route()
    {
        byte[] frame = CapturedVectors.Adverts(CapturedVectors.Senders[0]).First();
        for (int length = 0; length < frame.Length; length++)
        {
            bool routed = AdvertRoute.TryRead(frame.AsSpan(0, length), v6: false, out _, out _);
            // Room for the vhid is enough: VRRP's adverts are shorter than CARP's.
            Assert.That(routed, Is.EqualTo(length >= CarpHeader.EthernetSize + CarpHeader.Ipv4Size + 8), length.ToString());
        }
        for (int ihl = 0; ihl < 16; ihl++)
        {
            byte[] copy = [.. frame];
            copy[CarpHeader.EthernetSize] = (byte)(0x40 | ihl);
            bool routed = AdvertRoute.TryRead(copy, v6: false, out _, out byte vhid);
            // Below 5 words there is no IPv4 header; above, the vhid is read further on, while the frame holds it.
            Assert.That(routed, Is.EqualTo(ihl >= 5 && CarpHeader.EthernetSize + 4 * ihl + 8 <= frame.Length), ihl.ToString());
            Assert.That(!routed || ihl != 5 || vhid == 42);
        }
        Assert.That(AdvertRoute.TryRead(new byte[CarpHeader.EthernetSize + CarpHeader.Ipv6Size + 7], v6: true, out _, out _), Is.False);
    }
}
