using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>
/// Adverts captured from Debian's keepalived 2.2.7 (Vectors/README.md): ours must be
/// identical, and theirs must read as configured.
/// </summary>
public class VrrpGoldenFrameTests
{
    static IEnumerable<KeepalivedCase> Cases => KeepalivedVectors.Cases;

    static IEnumerable<KeepalivedCase> Multicast => KeepalivedVectors.Cases.Where(c => c.Peers.Length == 0);

    static IEnumerable<KeepalivedCase> Unicast => KeepalivedVectors.Cases.Where(c => c.Peers.Length != 0);

    [TestCaseSource(nameof(Cases))]
    public void Every_captured_advert_reads_as_configured(KeepalivedCase c)
    {
        List<byte[]> frames = c.Frames();
        int perRound = Math.Max(1, c.Peers.Length);
        Assert.That(frames, Has.Count.GreaterThanOrEqualTo(3 * perRound), "a few adverts, then the priority-0 one");
        for (int i = 0; i < frames.Count; i++)
        {
            bool last = i >= frames.Count - perRound;
            IpAddress us = c.Peers.Length == 0 ? (c.V6 ? KeepalivedVectors.ReceiverLinkLocal : KeepalivedVectors.Receiver) : KeepalivedVectors.Destination(frames[i]);
            VrrpReadResult r = c.Reader(us).Read(frames[i]);
            Assert.That(r.Rejection, Is.EqualTo(Rejection.None), $"frame {i}");
            Assert.That(r.Advert, Is.EqualTo(new VrrpAdvert(c.Source, last ? VrrpHeader.PriorityStop : c.Priority, c.IntervalCentis, (byte)c.Addresses.Length)), $"frame {i}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void The_ip_id_counts_adverts_from_one(KeepalivedCase c)
    {
        if (c.V6)
        {
            Assert.Pass("IPv6 has no identification");
        }
        // One id per round: every peer of a round gets the same one (vrrp_update_pkt counts only multicast sends).
        int perRound = Math.Max(1, c.Peers.Length);
        List<byte[]> frames = c.Frames();
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(frames[i].AsSpan(18)), Is.EqualTo(1 + i / perRound));
        }
    }

    [TestCaseSource(nameof(Multicast))]
    public void Every_multicast_advert_is_rebuilt_byte_for_byte(KeepalivedCase c)
    {
        VrrpAdvertBuilder builder = c.Builder();
        List<byte[]> frames = c.Frames();
        for (int i = 0; i < frames.Count; i++)
        {
            byte[] captured = frames[i];
            byte[] built = new byte[builder.FrameSize];
            Assert.That(builder.Build(Priority(captured, c), c.IntervalCentis, IpId(captured, c), built), Is.EqualTo(captured.Length));
            if (c.V6)
            {
                // The one difference: the kernel's automatic flow label (a hash of the flow
                // with a secret drawn at boot) in the low 20 bits of the IPv6 header's first word.
                Assert.That(built.AsSpan(15, 3).ToArray(), Is.EqualTo(new byte[] { 0x00, 0x00, 0x00 }));
                built[15] |= (byte)(captured[15] & 0x0f);
                built[16] = captured[16];
                built[17] = captured[17];
            }
            Assert.That(built, Is.EqualTo(captured), $"frame {i}");
        }
    }

    /// <summary>
    /// keepalived's unicast packets are its multicast packet readdressed per peer, as the
    /// daemon's UnicastSocket does with ours: build for the group, readdress, compare the
    /// IP packet (the Ethernet header is the kernel's, to the peer's MAC).
    /// </summary>
    [TestCaseSource(nameof(Unicast))]
    public void Every_unicast_advert_is_the_group_advert_readdressed(KeepalivedCase c)
    {
        VrrpAdvertBuilder builder = c.Builder();
        byte[] built = new byte[builder.FrameSize];
        byte[] packet = new byte[UnicastAdvert.MaxSize];
        foreach (byte[] captured in c.Frames())
        {
            builder.Build(Priority(captured, c), c.IntervalCentis, IpId(captured, c), built);
            int length = UnicastAdvert.Readdress(built, KeepalivedVectors.Destination(captured), packet);
            Assert.That(packet.AsSpan(0, length).ToArray(), Is.EqualTo(captured.AsSpan(14).ToArray()));
        }
    }

    [Test]
    public void Keepalived_sums_the_v3_pseudo_header_per_peer()
    {
        List<byte[]> round = KeepalivedVectors.Case("v3-unicast").Frames().Take(2).ToList();
        Assert.That(round[0].AsSpan(40, 2).ToArray(), Is.Not.EqualTo(round[1].AsSpan(40, 2).ToArray()), "the checksum names the destination");
        List<byte[]> v2 = KeepalivedVectors.Case("v2-unicast").Frames().Take(2).ToList();
        Assert.That(v2[0].AsSpan(34).ToArray(), Is.EqualTo(v2[1].AsSpan(34).ToArray()), "VRRPv2's does not");
    }

    static byte Priority(byte[] frame, KeepalivedCase c) => frame[14 + CarpHeader.IpSize(c.V6) + VrrpHeader.Priority];

    static ushort IpId(byte[] frame, KeepalivedCase c) => c.V6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(18));
}
