using System.Buffers.Binary;
using System.Numerics;

namespace Ucarp.Core.Wire;

/// <summary>
/// SHA-1's compression function (FIPS 180-4 §6.1.2), alone: what an HMAC whose key's inner
/// and outer states are computed once needs per message of less than 56 bytes (one block
/// each). Its schedule lives on the stack: nothing is allocated and no state but the five
/// words the caller holds.
/// </summary>
public static class Sha1Block
{
    public const int Size = 64;
    public const int StateWords = 5;

    /// <summary>The state before the first block.</summary>
    public static void Initial(Span<uint> state)
    {
        state[0] = 0x67452301;
        state[1] = 0xEFCDAB89;
        state[2] = 0x98BADCFE;
        state[3] = 0x10325476;
        state[4] = 0xC3D2E1F0;
    }

    /// <summary>Folds one 64-byte block into <paramref name="state"/>.</summary>
    public static void Compress(Span<uint> state, ReadOnlySpan<byte> block)
    {
        Span<uint> w = stackalloc uint[80];
        for (int i = 0; i < 16; i++)
        {
            w[i] = BinaryPrimitives.ReadUInt32BigEndian(block.Slice(i * 4, 4));
        }
        for (int i = 16; i < 80; i++)
        {
            w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        }
        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int i = 0; i < 80; i++)
        {
            uint f, k;
            if (i < 20)
            {
                f = (b & c) | (~b & d);
                k = 0x5A827999;
            }
            else if (i < 40)
            {
                f = b ^ c ^ d;
                k = 0x6ED9EBA1;
            }
            else if (i < 60)
            {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8F1BBCDC;
            }
            else
            {
                f = b ^ c ^ d;
                k = 0xCA62C1D6;
            }
            uint t = BitOperations.RotateLeft(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = BitOperations.RotateLeft(b, 30);
            b = a;
            a = t;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }

    /// <summary>
    /// Finishes a message whose first <paramref name="before"/> bytes (whole blocks) are in
    /// <paramref name="state"/> and whose rest, <paramref name="tail"/> (at most 55 bytes), is
    /// not: its padding and length go in the same block. The digest goes to <paramref name="digest"/> (20 bytes).
    /// </summary>
    public static void Finish(Span<uint> state, long before, ReadOnlySpan<byte> tail, Span<byte> digest)
    {
        if (tail.Length > Size - 9)
        {
            throw new ArgumentException("one block's tail at most", nameof(tail));
        }
        Span<byte> block = stackalloc byte[Size];
        block.Clear();
        tail.CopyTo(block);
        block[tail.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(block[(Size - 8)..], (ulong)(before + tail.Length) * 8);
        Compress(state, block);
        for (int i = 0; i < StateWords; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest.Slice(i * 4, 4), state[i]);
        }
    }
}
