using System.Security.Cryptography;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>
/// The advert's authentication: HMAC-SHA1 keyed with the password over
/// version 2, type 1, vhid, the virtual address and the 64-bit counter (carp.c:carp_hmac_prepare).
/// ucarp keys with the password NUL-padded to 20 bytes; HMAC pads keys with zeros to
/// 64 bytes anyway, so the password alone is the same key.
/// </summary>
public sealed class CarpHmac
{
    public const int Length = 20;
    public const int MaxPasswordBytes = 19;

    readonly byte[] _key;
    readonly byte[] _message = new byte[15];

    public CarpHmac(ReadOnlySpan<byte> password, byte vhid, IPv4 virtualAddress)
    {
        if (password.Length > MaxPasswordBytes)
        {
            throw new ArgumentException("CARP keys hold at most 19 password bytes", nameof(password));
        }
        _key = password.ToArray();
        _message[0] = CarpHeader.Version;
        _message[1] = CarpHeader.TypeAdvertisement;
        _message[2] = vhid;
        virtualAddress.CopyTo(_message.AsSpan(3, 4));
    }

    /// <summary>How many digests this key has computed: lets tests show the HMAC runs last.</summary>
    public long Computations { get; private set; }

    /// <summary>Writes the digest of <paramref name="counter"/> (8 bytes, as on the wire) into <paramref name="digest"/>.</summary>
    public void Compute(ReadOnlySpan<byte> counter, Span<byte> digest)
    {
        Computations++;
        Span<byte> message = stackalloc byte[15];
        _message.AsSpan(0, 7).CopyTo(message);
        counter.CopyTo(message[7..]);
        HMACSHA1.HashData(_key, message, digest);
    }

    public bool Verify(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> received, Span<byte> computed)
    {
        Compute(counter, computed);
        return CryptographicOperations.FixedTimeEquals(computed, received);
    }
}
