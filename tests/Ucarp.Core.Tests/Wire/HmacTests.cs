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

    /// <summary>
    /// A replayed counter is checked against the digest remembered from its last check: the
    /// verdict and the digest left for the log line are a fresh computation's, whatever the
    /// order of counters, right and wrong digests.
    /// </summary>
    [Test]
    public void A_repeated_counter_is_not_computed_again_and_gets_the_same_verdict()
    {
        byte[] key = "love"u8.ToArray();
        var vip = new IpAddress(192, 0, 2, 100);
        var hmac = new CarpHmac(key, 42, vip);
        var random = new Random(7);
        Span<byte> counter = stackalloc byte[8];
        Span<byte> computed = stackalloc byte[CarpHmac.Length];
        ulong[] counters = [5, 5, 5, 6, 5, 5, 0, 0, ulong.MaxValue, ulong.MaxValue];
        long computations = 0;
        for (int i = 0; i < counters.Length * 40; i++)
        {
            ulong value = counters[i % counters.Length];
            bool repeat = i > 0 && counters[(i - 1) % counters.Length] == value;
            BinaryPrimitives.WriteUInt64BigEndian(counter, value);
            byte[] right = Reference(key, 42, vip, value);
            byte[] received = random.Next(3) == 0 ? right : [.. right[..19], (byte)(right[19] ^ 1 << random.Next(8))];
            computed.Clear();
            Assert.That(hmac.Verify(counter, received, computed), Is.EqualTo(received == right), $"step {i}, counter {value}");
            Assert.That(computed.ToArray(), Is.EqualTo(right), $"step {i}: the digest ucarp's line names");
            computations += repeat ? 0 : 1;
            Assert.That(hmac.Computations, Is.EqualTo(computations), $"step {i}");
        }
    }
}
