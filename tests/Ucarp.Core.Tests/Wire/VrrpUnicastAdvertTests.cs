using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>UnicastAdvert.Readdress on VRRP frames: the length from the IP header, and the v3 checksum per peer.</summary>
public class VrrpUnicastAdvertTests
{
    static readonly IpAddress Peer = new(198, 51, 100, 7);
    static readonly IpAddress Peer6 = KeepalivedVectors.ReceiverLinkLocal;

    static byte[] Build(byte version, bool v6, bool rfc, int count = 2, string password = "")
    {
        IpAddress source = v6 ? KeepalivedVectors.LinkLocal : KeepalivedVectors.Sender;
        IpAddress group = v6 ? KeepalivedVectors.Group6 : KeepalivedVectors.Group4;
        IpAddress[] addresses = [.. Enumerable.Range(1, count).Select(i => v6 ? KeepalivedVectors.A($"2001:db8::{i}") : new IpAddress(192, 0, 2, (byte)(100 + i)))];
        var builder = new VrrpAdvertBuilder(version, source, group, 9, addresses, System.Text.Encoding.ASCII.GetBytes(password), rfc, KeepalivedVectors.Mac);
        byte[] frame = new byte[builder.FrameSize];
        builder.Build(100, 100, 77, frame);
        return frame;
    }

    static (byte[] Packet, byte[] Frame) Readdressed(byte[] frame, IpAddress peer, bool plain = false)
    {
        byte[] packet = new byte[UnicastAdvert.MaxSize];
        int length = UnicastAdvert.Readdress(frame, peer, packet, plain);
        Assert.That(length, Is.EqualTo(frame.Length - 14), "the whole IP packet, however many addresses");
        // As the peer's packet socket would see it: any Ethernet header, then the packet.
        return (packet[..length], [.. frame.AsSpan(0, 14), .. packet.AsSpan(0, length)]);
    }

    static VrrpReadResult ReadAsPeer(byte version, byte[] frame, bool v6, string password = "") =>
        new VrrpReader(version, v6 ? Peer6 : Peer, v6 ? KeepalivedVectors.Group6 : KeepalivedVectors.Group4, 9,
                       System.Text.Encoding.ASCII.GetBytes(password), 100, [v6 ? KeepalivedVectors.LinkLocal : KeepalivedVectors.Sender]).Read(frame);

    [Test]
    public void A_vrrp3_pseudo_header_checksum_is_summed_for_the_peer()
    {
        byte[] frame = Build(3, v6: false, rfc: false);
        var (packet, received) = Readdressed(frame, Peer);
        Assert.That(Peer.Equals(packet.AsSpan(16)), Is.True);
        Assert.That(VrrpChecksum.PseudoValid(packet.AsSpan(12, 4), packet.AsSpan(16, 4), packet.AsSpan(20)), Is.True);
        Assert.That(InternetChecksum.Compute(packet.AsSpan(0, 20)), Is.Zero);
        Assert.That(ReadAsPeer(3, received, v6: false).Rejection, Is.EqualTo(Rejection.None));
    }

    [Test]
    public void A_vrrp3_rfc_checksum_is_left_as_built()
    {
        byte[] frame = Build(3, v6: false, rfc: true);
        var (packet, received) = Readdressed(frame, Peer, plain: true);
        Assert.That(packet.AsSpan(20).ToArray(), Is.EqualTo(frame.AsSpan(34).ToArray()));
        Assert.That(VrrpChecksum.PlainValid(packet.AsSpan(20)), Is.True);
        Assert.That(ReadAsPeer(3, received, v6: false).Rejection, Is.EqualTo(Rejection.None));
    }

    [Test]
    public void A_vrrp3_ipv6_checksum_is_summed_for_the_peer()
    {
        byte[] frame = Build(3, v6: true, rfc: false, count: 5);
        var (packet, received) = Readdressed(frame, Peer6);
        Assert.That(Peer6.Equals(packet.AsSpan(24)), Is.True);
        Assert.That(packet.AsSpan(46, 2).ToArray(), Is.Not.EqualTo(frame.AsSpan(60, 2).ToArray()), "the checksum changed with the destination");
        Assert.That(ReadAsPeer(3, received, v6: true).Rejection, Is.EqualTo(Rejection.None));
    }

    [Test]
    public void A_vrrp2_packet_changes_only_its_destination_and_ip_checksum()
    {
        byte[] frame = Build(2, v6: false, rfc: false, count: 3, password: "pw");
        var (packet, received) = Readdressed(frame, Peer);
        byte[] expected = frame[14..];
        Peer.CopyTo(expected.AsSpan(16));
        expected[10] = expected[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(expected.AsSpan(10), InternetChecksum.Compute(expected.AsSpan(0, 20)));
        Assert.That(packet, Is.EqualTo(expected));
        Assert.That(ReadAsPeer(2, received, v6: false, "pw").Rejection, Is.EqualTo(Rejection.None));
    }
}
