using System.Buffers.Binary;
using System.Security.Cryptography;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>The CARP HMAC against .NET's own HMACSHA1 (an independent implementation), and its cost.</summary>
public class HmacTests
{
    static byte[] Reference(byte[] password, byte vhid, IpAddress vip, ulong counter)
    {
        byte[] message = new byte[15];
        message[0] = 2;
        message[1] = 1;
        message[2] = vhid;
        vip.CopyTo(message.AsSpan(3));
        BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(7), counter);
        return HMACSHA1.HashData(password, message);
    }

    [TestCase("", (byte)1)]
    [TestCase("love", (byte)42)]
    [TestCase("nineteen-bytes-long", (byte)255)]
    public void One_key_gives_the_reference_digest_for_counter_after_counter(string password, byte vhid)
    {
        byte[] key = System.Text.Encoding.ASCII.GetBytes(password);
        var vip = new IpAddress(203, 0, 113, 7);
        var hmac = new CarpHmac(key, vhid, vip);
        var random = new Random(vhid);
        Span<byte> counter = stackalloc byte[8];
        Span<byte> digest = stackalloc byte[CarpHmac.Length];
        for (int i = 0; i < 1000; i++)
        {
            ulong value = i < 3 ? (ulong)i : (ulong)random.NextInt64() * 3;
            BinaryPrimitives.WriteUInt64BigEndian(counter, value);
            hmac.Compute(counter, digest);
            Assert.That(digest.ToArray(), Is.EqualTo(Reference(key, vhid, vip, value)), $"counter {value:x}");
        }
    }

    [Test]
    public void An_ipv6_key_gives_the_reference_digest()
    {
        Assert.That(Inet.TryParse6("2001:db8::1:ff", out IpAddress vip), Is.True);
        byte[] key = "nineteen-bytes-long"u8.ToArray();
        var hmac = new CarpHmac(key, 9, vip);
        var random = new Random(9);
        Span<byte> counter = stackalloc byte[8];
        Span<byte> digest = stackalloc byte[CarpHmac.Length];
        for (int i = 0; i < 200; i++)
        {
            random.NextBytes(counter);
            hmac.Compute(counter, digest);
            byte[] message = [2, 1, 9, .. Enumerable.Range(0, 16).Select(b => vip[b]), .. counter.ToArray()];
            Assert.That(digest.ToArray(), Is.EqualTo(HMACSHA1.HashData(key, message)));
        }
    }

    [Test]
    public void The_compression_alone_gives_sha1_of_one_block_messages()
    {
        var random = new Random(1);
        Span<uint> state = stackalloc uint[Sha1Block.StateWords];
        Span<byte> digest = stackalloc byte[20];
        for (int length = 0; length <= Sha1Block.Size - 9; length++)
        {
            byte[] message = new byte[length];
            random.NextBytes(message);
            Sha1Block.Initial(state);
            Sha1Block.Finish(state, 0, message, digest);
            Assert.That(digest.ToArray(), Is.EqualTo(SHA1.HashData(message)), $"{length} bytes");
        }
    }

    [Test]
    public void A_digest_allocates_nothing()
    {
        var hmac = new CarpHmac("secret"u8, 7, new IpAddress(192, 0, 2, 100));
        Span<byte> counter = stackalloc byte[8];
        Span<byte> digest = stackalloc byte[CarpHmac.Length];
        // Warm up both calls: a first call may run a type's initialiser, which allocates.
        hmac.Compute(counter, digest);
        hmac.Verify(counter, digest, digest);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            counter[7] = (byte)i;
            hmac.Verify(counter, digest, digest);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
