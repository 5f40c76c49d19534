using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

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
    /// <remarks>
    /// The schedule is a window of sixteen words, each made when its round needs it (word
    /// t is made of words t-3, t-8, t-14 and t-16), and the rounds are four loops, one per
    /// round function: an 80-word schedule zeroed and then filled, and a choice of function
    /// in every round, made this a tenth of a 4,080-group backup's CPU.
    /// </remarks>
    public static void Compress(Span<uint> state, ReadOnlySpan<byte> block)
    {
        Schedule w = default;
        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int i = 0; i < 16; i++)
        {
            w[i] = BinaryPrimitives.ReadUInt32BigEndian(block.Slice(i * 4, 4));
            Step(ref a, ref b, ref c, ref d, ref e, (d ^ (b & (c ^ d))) + 0x5A827999 + w[i]);
        }
        for (int i = 16; i < 20; i++)
        {
            Step(ref a, ref b, ref c, ref d, ref e, (d ^ (b & (c ^ d))) + 0x5A827999 + Word(ref w, i));
        }
        for (int i = 20; i < 40; i++)
        {
            Step(ref a, ref b, ref c, ref d, ref e, (b ^ c ^ d) + 0x6ED9EBA1 + Word(ref w, i));
        }
        for (int i = 40; i < 60; i++)
        {
            Step(ref a, ref b, ref c, ref d, ref e, ((b & c) | (d & (b | c))) + 0x8F1BBCDC + Word(ref w, i));
        }
        for (int i = 60; i < 80; i++)
        {
            Step(ref a, ref b, ref c, ref d, ref e, (b ^ c ^ d) + 0xCA62C1D6 + Word(ref w, i));
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }

    /// <summary>One round: <paramref name="add"/> is the round's function of b, c and d, its constant and its word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Step(ref uint a, ref uint b, ref uint c, ref uint d, ref uint e, uint add)
    {
        uint t = BitOperations.RotateLeft(a, 5) + e + add;
        e = d;
        d = c;
        c = BitOperations.RotateLeft(b, 30);
        b = a;
        a = t;
    }

    /// <summary>Word <paramref name="t"/> (16 and on) of the schedule, made in place of word t-16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint Word(ref Schedule w, int t)
    {
        uint x = BitOperations.RotateLeft(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1);
        w[t & 15] = x;
        return x;
    }

    [InlineArray(16)]
    struct Schedule
    {
        uint _first;
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
