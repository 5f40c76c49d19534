using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>Each of packethandler's checks on its own, and their order.</summary>
public class AdvertReaderTests
{
    static readonly Sender Peer = CapturedVectors.Senders[0];
    static readonly IpAddress Us = new(192, 0, 2, 9);

    static AdvertReader Reader() => new(Us, Peer.Group, Peer.Vhid, Peer.Hmac());

    static byte[] Valid() => CapturedVectors.Adverts(Peer).First();

    /// <summary>Rewrites the IP checksum (over IP + CARP, as ucarp sums it) after a test edits the frame.</summary>
    static byte[] Resum(byte[] f, int ipLength = 20)
    {
        f[24] = f[25] = 0;
        ushort sum = InternetChecksum.Compute(f.AsSpan(14, ipLength + CarpHeader.Size));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(24), sum);
        return f;
    }

    [Test]
    public void The_captured_advert_is_valid() => Assert.That(Reader().Read(Valid()).Rejection, Is.EqualTo(Rejection.None));

    [Test]
    public void Too_short_for_ethernet_and_ip() => Assert.That(Reader().Read(Valid().AsSpan(0, 34)).Rejection, Is.EqualTo(Rejection.TooShort));

    [Test]
    public void Not_ipv4()
    {
        byte[] f = Valid();
        f[12] = 0x86; f[13] = 0xdd;
        Assert.That(Reader().Read(f).Rejection, Is.EqualTo(Rejection.WrongFamily));
    }

    [Test]
    public void Our_own_source_address()
    {
        var reader = new AdvertReader(Peer.Source, Peer.Group, Peer.Vhid, Peer.Hmac());
        Assert.That(reader.Read(Valid()).Rejection, Is.EqualTo(Rejection.OwnAddress));
    }

    [Test]
    public void Another_protocol()
    {
        byte[] f = Valid();
        f[23] = 17;
        Assert.That(Reader().Read(f).Rejection, Is.EqualTo(Rejection.NotCarp));
    }

    [Test]
    public void Truncated_carp_header_is_a_bogus_size()
    {
        ReadResult r = Reader().Read(Valid().AsSpan(0, 69));
        Assert.That(r.Rejection, Is.EqualTo(Rejection.BogusSize));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Bogus size: caplen=[55], ip_len=[20] ch_len=[36]"));
        Assert.That(RejectionLog.Level(r.Rejection), Is.EqualTo(LogLevel.Debug));
    }

    [Test]
    public void Ip_options_move_the_carp_header()
    {
        // An IP header of 6 words: the CARP header starts at byte 24 of the IP packet.
        byte[] v = Valid();
        byte[] f = [.. v.AsSpan(0, 34), 1, 1, 1, 1, .. v.AsSpan(34)];
        f[14] = 0x46;
        Assert.That(Reader().Read(Resum(f, 24)).Rejection, Is.EqualTo(Rejection.None));
    }

    [TestCase(64)]
    [TestCase(254)]
    public void Routed_adverts_have_a_bad_ttl(int ttl)
    {
        byte[] f = Valid();
        f[22] = (byte)ttl;
        ReadResult r = Reader().Read(f);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.BadTtl));
        Assert.That(RejectionLog.Message(r), Is.EqualTo($"Bad TTL: [{ttl}]"));
        Assert.That(RejectionLog.Level(r.Rejection), Is.EqualTo(LogLevel.Warning));
    }

    [Test]
    public void Version_3_is_a_bad_version()
    {
        byte[] f = Valid();
        f[34] = 0x31;
        ReadResult r = Reader().Read(f);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.BadVersion));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Bad version: [3]"));
    }

    [Test]
    public void Another_vhid_is_ignored()
    {
        byte[] f = Valid();
        f[35] = 43;
        ReadResult r = Reader().Read(f);
        Assert.That(r.Rejection, Is.EqualTo(Rejection.OtherVhid));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Ignoring vhid: [43]"));
    }

    [Test]
    public void Unicast_adverts_are_never_accepted()
    {
        byte[] f = Valid();
        f[30] = 192; f[31] = 0; f[32] = 2; f[33] = 9;
        ReadResult r = Reader().Read(Resum(f));
        Assert.That(r.Rejection, Is.EqualTo(Rejection.OtherGroup));
        Assert.That(RejectionLog.Message(r), Is.EqualTo("Ignoring different multicast ip: [192.0.2.9]"));
    }

    [Test]
    public void A_flipped_bit_is_a_bad_checksum()
    {
        byte[] f = Valid();
        f[40] ^= 1;
        Assert.That(Reader().Read(f).Rejection, Is.EqualTo(Rejection.BadChecksum));
    }

    [Test]
    public void A_changed_counter_with_a_fixed_checksum_is_a_bad_digest()
    {
        byte[] f = Valid();
        f[45] ^= 0x80;
        f[40] = f[41] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(40), InternetChecksum.Compute(f.AsSpan(34, 36)));
        ReadResult r = Reader().Read(Resum(f));
        Assert.That(r.Rejection, Is.EqualTo(Rejection.BadDigest));
        Assert.That(RejectionLog.Message(r), Does.Match(@"^Bad digest - md2=\[[0-9a-f]{8}\.\.\.\] md=\[ed955b71\.\.\.\] - Check vhid, password and virtual IP address$"));
    }

    [Test]
    public void Checks_run_in_ucarps_order()
    {
        // Bad TTL and bad version and other vhid at once: TTL is checked first.
        byte[] f = Valid();
        f[22] = 1; f[34] = 0x31; f[35] = 1;
        Assert.That(Reader().Read(f).Rejection, Is.EqualTo(Rejection.BadTtl));
        f[22] = 255;
        Assert.That(Reader().Read(f).Rejection, Is.EqualTo(Rejection.BadVersion));
        f[34] = 0x21;
        Assert.That(Reader().Read(f).Rejection, Is.EqualTo(Rejection.OtherVhid));
    }

    [Test]
    public void Type_authlen_and_demote_bytes_are_not_checked()
    {
        // ucarp reads neither the type nor the authlen, nor the demote byte (pad1).
        byte[] f = Valid();
        f[34] = 0x2f; f[37] = 3; f[38] = 9;
        f[40] = f[41] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(40), InternetChecksum.Compute(f.AsSpan(34, 36)));
        Assert.That(Reader().Read(Resum(f)).Rejection, Is.EqualTo(Rejection.None));
    }
}
