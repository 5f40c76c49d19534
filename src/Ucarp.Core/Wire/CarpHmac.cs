using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// The advert's authentication: HMAC-SHA1 keyed with the password over
/// version 2, type 1, vhid, the virtual address and the 64-bit counter (carp.c:carp_hmac_prepare).
/// For IPv6 the address is its 16 bytes, as FreeBSD's carp_hmac_prepare (ip_carp.c) feeds
/// each IPv6 address of the virtual host (one here) after the vhid.
/// ucarp keys with the password NUL-padded to 20 bytes; HMAC pads keys with zeros to
/// 64 bytes anyway, so the password alone is the same key.
///
/// The key's inner and outer SHA-1 states (ten words) are computed once, when the group is
/// made: each digest is then two compressions (<see cref="Sha1Block"/>), on the stack, and
/// allocates nothing. .NET's HMACSHA1 would load OpenSSL's libcrypto (3.5 MiB resident)
/// for 15 bytes of input; BouncyCastle's HMac, used before, kept three digests' 80-word
/// schedules per group (1.2 KiB of a 4,000-group daemon's every group).
/// </summary>
public sealed class CarpHmac
{
    public const int Length = 20;
    public const int MaxPasswordBytes = 19;

    readonly uint[] _keyed = new uint[2 * Sha1Block.StateWords];   // the inner state, then the outer
    readonly byte[] _message;
    readonly int _counterAt;

    public CarpHmac(ReadOnlySpan<byte> password, byte vhid, IpAddress virtualAddress)
    {
        if (password.Length > MaxPasswordBytes)
        {
            throw new ArgumentException("CARP keys hold at most 19 password bytes", nameof(password));
        }
        // RFC 2104: the key, zero-padded to a block, XORed with ipad and opad, each hashed first.
        Span<byte> pad = stackalloc byte[Sha1Block.Size];
        foreach ((int at, byte with) in (ReadOnlySpan<(int, byte)>)[(0, 0x36), (Sha1Block.StateWords, 0x5c)])
        {
            pad.Fill(with);
            for (int i = 0; i < password.Length; i++)
            {
                pad[i] ^= password[i];
            }
            Span<uint> state = _keyed.AsSpan(at, Sha1Block.StateWords);
            Sha1Block.Initial(state);
            Sha1Block.Compress(state, pad);
        }
        _message = new byte[3 + virtualAddress.Length + 8];
        _message[0] = CarpHeader.Version;
        _message[1] = CarpHeader.TypeAdvertisement;
        _message[2] = vhid;
        virtualAddress.CopyTo(_message.AsSpan(3, virtualAddress.Length));
        _counterAt = 3 + virtualAddress.Length;
    }

    /// <summary>The key's states and the message's buffer (see <see cref="CacheLines"/>).</summary>
    public void Prefetch()
    {
        CacheLines.Prefetch(_keyed, 1);
        CacheLines.Prefetch(_message, 1);
    }

    /// <summary>How many digests this key has computed: lets tests show the HMAC runs last.</summary>
    public long Computations { get; private set; }

    /// <summary>Writes the digest of <paramref name="counter"/> (8 bytes, as on the wire) into <paramref name="digest"/>.</summary>
    public void Compute(ReadOnlySpan<byte> counter, Span<byte> digest)
    {
        Computations++;
        counter.CopyTo(_message.AsSpan(_counterAt));
        Span<uint> state = stackalloc uint[Sha1Block.StateWords];
        Span<byte> inner = stackalloc byte[Length];
        _keyed.AsSpan(0, Sha1Block.StateWords).CopyTo(state);
        Sha1Block.Finish(state, Sha1Block.Size, _message, inner);
        _keyed.AsSpan(Sha1Block.StateWords).CopyTo(state);
        Sha1Block.Finish(state, Sha1Block.Size, inner, digest[..Length]);
    }

    // The last counter verified and its digest. A flood of one captured advert replayed
    // (tcpreplay, or a frame looping between bridges) repeats its counter, and the digest
    // of a counter never changes under one key: each repeat is checked against the digest
    // already computed, without the two compressions, which were a third of the daemon's
    // CPU under such a flood. A real master counts up, so its adverts are computed as before.
    ulong _lastCounter;
    bool _hasLast;
    Digest _lastDigest;

    [InlineArray(Length)]
    struct Digest
    {
        byte _first;
    }

    /// <summary>
    /// Whether <paramref name="received"/> is the digest of <paramref name="counter"/>;
    /// the digest computed (or remembered from the same counter's last check) is left in
    /// <paramref name="computed"/> for the log line.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> received, Span<byte> computed)
    {
        ulong value = BinaryPrimitives.ReadUInt64BigEndian(counter);
        Span<byte> last = _lastDigest;
        if (_hasLast && value == _lastCounter)
        {
            last.CopyTo(computed);
        }
        else
        {
            Compute(counter, computed);
            computed[..Length].CopyTo(last);
            _lastCounter = value;
            _hasLast = true;
        }
        return CryptographicOperations.FixedTimeEquals(computed[..Length], received);
    }
}
