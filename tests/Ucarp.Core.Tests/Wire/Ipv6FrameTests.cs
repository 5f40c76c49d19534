using System.Buffers.Binary;
using System.Security.Cryptography;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>
/// The IPv6 advert and Neighbour Advertisement against frames built independently from
/// the specifications (Golden/ipv6-frames.py: Python's hmac, its own checksum), and the
/// IPv6 reader's checks, each one alone.
/// </summary>
public class Ipv6FrameTests
{
    // python3 tests/Ucarp.Core.Tests/Golden/ipv6-frames.py
    internal const string Advert =
        "33330000001200005e00002a86dd60000000002470ff20010db8000000000000000000000001ff020000000000000000000000000012" +
        "212a0007000135930123456789abcdef78df0f9ea15313191f12a4a25b0418ad0bd68aee";
    const string AdvertSkewed =
        "33330000001200005e00000786dd60000000002470ff20010db8000000010000000000000007ff020000000000000000000000000012" +
        "210764070003645fffffffffffffffff5aa8cef6104493599c32a554704afa54ca18d312";
    const string NeighbourAdvertisement =
        "33330000000102000000000186dd6000000000203aff20010db8000000000000000000000100ff020000000000000000000000000001" +
        "8800f72c2000000020010db80000000000000000000001000201020000000001";

    static IpAddress A(string text) => Inet.TryParse(text, out IpAddress a) ? a : throw new ArgumentException(text);

    static readonly IpAddress Us = A("2001:db8::1");
    static readonly IpAddress Group = A("ff02::12");
    static readonly IpAddress Vip = A("2001:db8::100");
    static CarpHmac Hmac(string password = "test", byte vhid = 42, string vip = "2001:db8::100") =>
        new(System.Text.Encoding.ASCII.GetBytes(password), vhid, A(vip));

    static byte[] Build(IpAddress source, byte advskew = 0, ulong counter = 0x0123456789abcdef, CarpHmac? hmac = null)
    {
        byte[] frame = new byte[CarpHeader.Advert6FrameSize];
        int length = AdvertFrame.Build(new AdvertFields(source, Group, false, 42, 1, advskew, 0, counter), hmac ?? Hmac(), frame);
        Assert.That(length, Is.EqualTo(90));
        return frame;
    }

    [Test]
    public void The_advert_is_the_independently_built_one()
    {
        Assert.That(Convert.ToHexStringLower(Build(Us)), Is.EqualTo(Advert));
        byte[] skewed = new byte[CarpHeader.Advert6FrameSize];
        AdvertFrame.Build(new AdvertFields(A("2001:db8:0:1::7"), Group, false, 7, 3, 100, 0, ulong.MaxValue),
                          Hmac("nineteen-bytes-long", 7, "fe80::100"), skewed);
        Assert.That(Convert.ToHexStringLower(skewed), Is.EqualTo(AdvertSkewed));
    }

    [Test]
    public void The_neighbour_advertisement_is_the_independently_built_one()
    {
        byte[] frame = new byte[NeighbourAdvert.FrameSize];
        NeighbourAdvert.Build([2, 0, 0, 0, 0, 1], Vip, frame);
        Assert.That(Convert.ToHexStringLower(frame), Is.EqualTo(NeighbourAdvertisement));
    }

    [Test]
    public void The_ipv6_hmac_covers_02_01_vhid_the_16_bytes_and_the_counter()
    {
        byte[] message = [2, 1, 42, .. new byte[16], .. new byte[8]];
        Vip.CopyTo(message.AsSpan(3));
        var hmac = Hmac();
        Span<byte> counter = stackalloc byte[8];
        Span<byte> digest = stackalloc byte[CarpHmac.Length];
        foreach (ulong value in new ulong[] { 0, 1, 0x0123456789abcdef, ulong.MaxValue })
        {
            BinaryPrimitives.WriteUInt64BigEndian(counter, value);
            counter.CopyTo(message.AsSpan(19));
            hmac.Compute(counter, digest);
            Assert.That(digest.ToArray(), Is.EqualTo(HMACSHA1.HashData("test"u8, message)));
        }
    }

    [Test]
    public void Ipv6_multicast_macs_are_33_33_and_the_last_four_bytes()
    {
        byte[] mac = new byte[6];
        AdvertFrame.MulticastMac(A("ff02::1:ff00:12"), mac);
        Assert.That(mac, Is.EqualTo(new byte[] { 0x33, 0x33, 0xff, 0x00, 0x00, 0x12 }));
    }

    static AdvertReader Reader(string own = "2001:db8::2", IReadOnlyList<IpAddress>? peers = null) =>
        new(A(own), Group, 42, Hmac(), peers);

    [Test]
    public void A_peer_reads_the_advert()
    {
        ReadResult r = Reader().Read(Convert.FromHexString(Advert));
        Assert.That(r.Rejection, Is.EqualTo(Rejection.None));
        Assert.That((r.Advert.Source, r.Advert.AdvBase, r.Advert.AdvSkew, r.Advert.Counter), Is.EqualTo((Us, (byte)1, (byte)0, 0x0123456789abcdefUL)));
    }

    [Test]
    public void Each_check_rejects_on_its_own()
    {
        byte[] good = Convert.FromHexString(Advert);
        // Each case changes one thing in a valid frame (offsets: IPv6 at 14, CARP at 54).
        (string Name, Action<byte[]> Change, Rejection Expected)[] cases =
        [
            ("short", _ => { }, Rejection.TooShort),
            ("IPv4 ethertype", f => f[12] = 0x08, Rejection.WrongFamily),
            ("next header 17", f => f[20] = 17, Rejection.NotCarp),
            ("hop limit 254", f => f[21] = 254, Rejection.BadTtl),
            ("CARP version 3", f => f[54] = 0x31, Rejection.BadVersion),
            ("vhid 43", f => f[55] = 43, Rejection.OtherVhid),
            ("to ff02::13", f => f[53] = 0x13, Rejection.OtherGroup),
            ("a flipped counter bit, checksum broken", f => f[70] ^= 1, Rejection.BadChecksum),
        ];
        foreach (var (name, change, expected) in cases)
        {
            byte[] frame = name == "short" ? good[..54] : (byte[])good.Clone();
            change(frame);
            Assert.That(Reader().Read(frame).Rejection, Is.EqualTo(expected), name);
        }
        byte[] truncated = good[..80];
        Assert.That(Reader().Read(truncated).Rejection, Is.EqualTo(Rejection.BogusSize));
    }

    [Test]
    public void The_checksum_covers_the_carp_header_alone()
    {
        // Changing the IPv6 addresses (no pseudo-header) leaves the checksum valid: only
        // the address checks can object. Here the source changes and the frame still reads.
        byte[] frame = Convert.FromHexString(Advert);
        frame[37] = 0x09; // source 2001:db8::9
        ReadResult r = Reader().Read(frame);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.None));
        Assert.That(r.Advert.Source, Is.EqualTo(A("2001:db8::9")));
    }

    [Test]
    public void Our_own_advert_and_a_wrong_password_are_rejected()
    {
        byte[] frame = Convert.FromHexString(Advert);
        Assert.That(Reader(own: "2001:db8::1").Read(frame).Rejection, Is.EqualTo(Rejection.OwnAddress));
        var wrong = new AdvertReader(A("2001:db8::2"), Group, 42, Hmac(password: "tesT"));
        ReadResult r = wrong.Read(frame);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.BadDigest));
        Assert.That(r.ReceivedDigest, Is.EqualTo(0x78df0f9eu));
        // The HMAC covers the virtual address: the same password for another address fails too.
        var otherVip = new AdvertReader(A("2001:db8::2"), Group, 42, Hmac(vip: "2001:db8::101"));
        Assert.That(otherVip.Read(frame).Rejection, Is.EqualTo(Rejection.BadDigest));
    }

    [Test]
    public void Unicast_adverts_are_readdressed_and_read_from_peers_only()
    {
        byte[] frame = Build(Us);
        byte[] packet = new byte[UnicastAdvert.Size6];
        Assert.That(UnicastAdvert.Readdress(frame, A("2001:db8:1::2"), packet), Is.EqualTo(76));
        Assert.That(packet.AsSpan(24, 16).ToArray(), Is.EqualTo(Convert.FromHexString("20010db8000100000000000000000002")));
        Assert.That(packet.AsSpan(0, 24).ToArray(), Is.EqualTo(frame.AsSpan(14, 24).ToArray()));
        Assert.That(packet.AsSpan(40).ToArray(), Is.EqualTo(frame.AsSpan(54).ToArray()));

        // The packet as the peer's packet socket sees it, behind an Ethernet header, one hop down.
        byte[] received = [.. frame.AsSpan(0, 14), .. packet];
        received[21] = 254;
        var peerReader = new AdvertReader(A("2001:db8:1::2"), Group, 42, Hmac(), [Us]);
        ReadResult r = peerReader.Read(received);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.None), "hop limit is not checked from peers");
        var stranger = new AdvertReader(A("2001:db8:1::2"), Group, 42, Hmac(), [A("2001:db8::7")]);
        r = stranger.Read(received);
        Assert.That((r.Rejection, r.Address.ToString()), Is.EqualTo((Rejection.NotFromPeer, "2001:db8::1")));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Ignoring advert from [2001:db8::1]: not a --peer"));
        Assert.That(peerReader.Read(frame).Rejection, Is.EqualTo(Rejection.NotToUs), "the multicast advert is not addressed to us");
    }

    [Test]
    public void The_group_rejection_names_the_ipv6_group()
    {
        byte[] frame = Convert.FromHexString(Advert);
        frame[53] = 0x13;
        ReadResult r = Reader().Read(frame);
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Ignoring different multicast ip: [ff02::13]"));
    }

    [Test]
    public void An_ipv4_reader_is_unchanged_by_ipv6_frames()
    {
        var reader = new AdvertReader(new IpAddress(192, 0, 2, 2), Configuration.DefaultMulticast, 42, Hmac(vip: "2001:db8::100"));
        Assert.That(reader.Read(Convert.FromHexString(Advert)).Rejection, Is.EqualTo(Rejection.WrongFamily));
    }
}
