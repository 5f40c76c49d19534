using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>
/// The builder and the reader together: what one writes the other reads back, for every
/// version, family and address count; the reader copes with any bytes; neither allocates.
/// </summary>
public class VrrpCodecProperties
{
    static readonly byte[] Mac = KeepalivedVectors.Mac;
    static readonly IpAddress Us4 = new(192, 0, 2, 2);
    static readonly IpAddress Us6 = KeepalivedVectors.ReceiverLinkLocal;

    static IpAddress[] Addresses(bool v6, int count) =>
        [.. Enumerable.Range(0, count).Select(i => v6
            ? KeepalivedVectors.A($"2001:db8::{i + 1:x}")
            : new IpAddress(192, 0, 2, (byte)i))];

    public static IEnumerable<TestCaseData> Shapes()
    {
        foreach (byte version in new byte[] { 2, 3 })
        {
            foreach (bool v6 in new[] { false, true })
            {
                foreach (int count in new[] { 1, 2, 3, 17, v6 ? 90 : 255 })
                {
                    foreach (string password in version == 2 && !v6 ? new[] { "", "p", "12345678" } : new[] { "" })
                    {
                        foreach (bool rfc in version == 3 && !v6 ? new[] { false, true } : new[] { false })
                        {
                            yield return new TestCaseData(version, v6, count, password, rfc)
                                .SetName($"v{version} {(v6 ? "IPv6" : "IPv4")} {count} address(es) password '{password}'{(rfc ? " rfc checksum" : "")}");
                        }
                    }
                }
            }
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void What_the_builder_writes_the_reader_reads_back(byte version, bool v6, int count, string password, bool rfc)
    {
        IpAddress source = v6 ? KeepalivedVectors.LinkLocal : KeepalivedVectors.Sender;
        IpAddress group = v6 ? KeepalivedVectors.Group6 : KeepalivedVectors.Group4;
        byte[] pass = System.Text.Encoding.ASCII.GetBytes(password);
        IpAddress[] addresses = Addresses(v6, count);
        var builder = new VrrpAdvertBuilder(version, source, group, 42, addresses, pass, rfc, Mac);
        Assert.That(builder.FrameSize, Is.EqualTo(14 + (v6 ? 40 : 20) + VrrpHeader.Length(version, v6, count)));
        Assert.That(builder.FrameSize, Is.LessThanOrEqualTo(1514));
        ushort interval = version == 2 ? (ushort)300 : (ushort)4095;
        var reader = new VrrpReader(version, v6 ? Us6 : Us4, group, 42, pass, interval, []);
        byte[] frame = new byte[builder.FrameSize];
        foreach (byte priority in new byte[] { 0, 1, 100, 254, 255 })
        {
            Assert.That(builder.Build(priority, interval, (ushort)(priority + 1), frame), Is.EqualTo(frame.Length));
            VrrpReadResult r = reader.Read(frame);
            Assert.That(r.Rejection, Is.EqualTo(Rejection.None));
            Assert.That(r.Advert, Is.EqualTo(new VrrpAdvert(source, priority, interval, (byte)count)));
            // The addresses are in the frame, in order, straight after the fixed part.
            int at = 14 + (v6 ? 40 : 20) + VrrpHeader.Addresses;
            for (int i = 0; i < count; i++)
            {
                Assert.That(addresses[i].Equals(frame.AsSpan(at + i * addresses[i].Length)), Is.True, $"address {i}");
            }
            // The checksum form asked for, and only that one.
            Span<byte> vrrp = frame.AsSpan(14 + (v6 ? 40 : 20));
            bool pseudo = VrrpChecksum.PseudoValid(frame.AsSpan(v6 ? 22 : 26, v6 ? 16 : 4), frame.AsSpan(v6 ? 38 : 30, v6 ? 16 : 4), vrrp);
            Assert.That(pseudo, Is.EqualTo(v6 || (version == 3 && !rfc)));
            if (!v6)
            {
                Assert.That(InternetChecksum.Compute(frame.AsSpan(14, 20)), Is.Zero, "the IPv4 header checksum");
                Assert.That(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(18)), Is.EqualTo(priority + 1), "the IP id");
            }
        }
    }

    [Test]
    public void Vrrp3_intervals_are_12_bits_of_centiseconds_and_vrrp2_whole_seconds()
    {
        var v3 = new VrrpAdvertBuilder(3, KeepalivedVectors.Sender, KeepalivedVectors.Group4, 1, [KeepalivedVectors.Vip], [], false, Mac);
        byte[] f = new byte[v3.FrameSize];
        v3.Build(100, 4095, 1, f);
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(38)), Is.EqualTo(0x0fff));
        v3.Build(100, 1, 1, f);
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(38)), Is.EqualTo(1));
        var v2 = new VrrpAdvertBuilder(2, KeepalivedVectors.Sender, KeepalivedVectors.Group4, 1, [KeepalivedVectors.Vip], [], false, Mac);
        byte[] g = new byte[v2.FrameSize];
        v2.Build(100, 25500, 1, g);
        Assert.That(g[39], Is.EqualTo(255));
        v2.Build(100, 150, 1, g);
        Assert.That(g[39], Is.EqualTo(1), "whole seconds");
    }

    [Test]
    public void The_builder_refuses_what_no_frame_can_carry()
    {
        IpAddress s = KeepalivedVectors.Sender, g = KeepalivedVectors.Group4;
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new VrrpAdvertBuilder(3, s, g, 1, [], [], false, Mac));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new VrrpAdvertBuilder(3, s, g, 1, Addresses(false, 256), [], false, Mac));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new VrrpAdvertBuilder(3, KeepalivedVectors.LinkLocal, KeepalivedVectors.Group6, 1, Addresses(true, 91), [], false, Mac),
                                                   "91 IPv6 addresses need a 1504-byte packet");
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new VrrpAdvertBuilder(2, s, g, 1, [s], new byte[9], false, Mac));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new VrrpAdvertBuilder(4, s, g, 1, [s], [], false, Mac));
        Assert.Throws<ArgumentException>(() => _ = new VrrpAdvertBuilder(3, s, g, 1, [KeepalivedVectors.LinkLocal], [], false, Mac));
    }

    static IEnumerable<VrrpReader> Readers()
    {
        byte[] pass = "secret1"u8.ToArray();
        foreach (byte version in new byte[] { 2, 3 })
        {
            foreach (bool v6 in new[] { false, true })
            {
                IpAddress us = v6 ? Us6 : Us4;
                IpAddress group = v6 ? KeepalivedVectors.Group6 : KeepalivedVectors.Group4;
                IpAddress peer = v6 ? KeepalivedVectors.LinkLocal : KeepalivedVectors.Sender;
                yield return new VrrpReader(version, us, group, 51, version == 2 ? pass : [], 100, []);
                yield return new VrrpReader(version, us, group, 51, [], 100, [peer]);
            }
        }
    }

    /// <summary>Every captured advert, and every one padded as Ethernet would, cut at every length.</summary>
    [Test]
    public void Every_truncation_of_every_captured_advert_gives_a_result()
    {
        VrrpReader[] readers = [.. Readers()];
        int results = 0;
        foreach (KeepalivedCase c in KeepalivedVectors.Cases)
        {
            foreach (byte[] frame in c.Frames().Take(2))
            {
                byte[] padded = [.. frame, .. new byte[Math.Max(0, 60 - frame.Length)], 0xff];
                for (int length = 0; length <= padded.Length; length++)
                {
                    foreach (VrrpReader reader in readers)
                    {
                        VrrpReadResult r = reader.Read(padded.AsSpan(0, length));
                        Assert.That(Enum.IsDefined(r.Rejection), Is.True);
                        results++;
                    }
                }
            }
        }
        Assert.That(results, Is.GreaterThan(1000));
    }

    /// <summary>Random bytes of any length, and captured adverts with a few random bytes overwritten (seeded: repeatable).</summary>
    [Test]
    public void A_seeded_random_corpus_never_throws()
    {
        VrrpReader[] readers = [.. Readers()];
        byte[][] valid = [.. KeepalivedVectors.Cases.Select(c => c.Frames()[0])];
        var random = new Random(20240530);
        var seen = new HashSet<Rejection>();
        for (int i = 0; i < 20_000; i++)
        {
            byte[] frame;
            if (i % 2 == 0)
            {
                frame = new byte[random.Next(0, 200)];
                random.NextBytes(frame);
                if (frame.Length > 14 && random.Next(2) == 0)
                {
                    // Mostly the right EtherType and IP version, so the later checks are reached.
                    bool v6 = random.Next(2) == 0;
                    frame[12] = v6 ? (byte)0x86 : (byte)0x08;
                    frame[13] = v6 ? (byte)0xdd : (byte)0x00;
                    frame[14] = v6 ? (byte)0x60 : (byte)0x45;
                }
            }
            else
            {
                byte[] from = valid[random.Next(valid.Length)];
                frame = new byte[random.Next(4) == 0 ? random.Next(0, from.Length + 8) : from.Length];
                from.AsSpan(0, Math.Min(from.Length, frame.Length)).CopyTo(frame);
                for (int edits = random.Next(1, 4); edits > 0 && frame.Length > 0; edits--)
                {
                    frame[random.Next(12, Math.Max(13, frame.Length)) % frame.Length] = (byte)random.Next(256);
                }
            }
            foreach (VrrpReader reader in readers)
            {
                seen.Add(reader.Read(frame).Rejection);
            }
        }
        Assert.That(seen, Has.Count.GreaterThanOrEqualTo(10), "the corpus reaches most checks");
    }

    [Test]
    public void Reading_and_building_allocate_nothing()
    {
        KeepalivedCase c = KeepalivedVectors.Case("v2-pass");
        byte[] valid = c.Frames()[0];
        byte[] invalid = [.. valid];
        invalid[^1] ^= 1;
        VrrpReader reader = c.Reader(KeepalivedVectors.Receiver);
        VrrpAdvertBuilder builder = c.Builder();
        VrrpAdvertBuilder builder6 = KeepalivedVectors.Case("v3-ipv6").Builder();
        VrrpReader reader6 = KeepalivedVectors.Case("v3-ipv6").Reader(Us6);
        byte[] frame = new byte[builder.FrameSize];
        byte[] frame6 = new byte[builder6.FrameSize];
        byte[] packet = new byte[UnicastAdvert.MaxSize];
        int valids = 0;
        for (int pass = 0; pass < 2; pass++)   // the first pass warms up
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                builder.Build((byte)i, 100, (ushort)i, frame);
                builder6.Build((byte)i, 100, 0, frame6);
                valids += reader.Read(valid).IsValid ? 1 : 0;
                valids += reader.Read(invalid).IsValid ? 1 : 0;
                valids += reader6.Read(frame6).IsValid ? 1 : 0;
                UnicastAdvert.Readdress(frame6, KeepalivedVectors.ReceiverLinkLocal, packet);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (pass == 1)
            {
                Assert.That(allocated, Is.Zero);
            }
        }
        Assert.That(valids, Is.EqualTo(4000), "the valid frames were read as valid, the broken one was not");
    }
}
