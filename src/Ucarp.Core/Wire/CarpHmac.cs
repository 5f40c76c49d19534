using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;
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
/// BouncyCastle's HMac keeps the key's inner and outer SHA-1 states once initialised, so
/// each digest costs two compressions and allocates nothing; and, unlike .NET's HMACSHA1,
/// it does not load OpenSSL's libcrypto (3.5 MiB resident) for 15 bytes of input.
/// </summary>
public sealed class CarpHmac
{
    public const int Length = 20;
    public const int MaxPasswordBytes = 19;

    readonly HMac _mac = new(new Sha1Digest());
    readonly byte[] _message;
    readonly byte[] _digest = new byte[Length];
    readonly int _counterAt;

    public CarpHmac(ReadOnlySpan<byte> password, byte vhid, IpAddress virtualAddress)
    {
        if (password.Length > MaxPasswordBytes)
        {
            throw new ArgumentException("CARP keys hold at most 19 password bytes", nameof(password));
        }
        _mac.Init(new KeyParameter(password.ToArray()));
        _message = new byte[3 + virtualAddress.Length + 8];
        _message[0] = CarpHeader.Version;
        _message[1] = CarpHeader.TypeAdvertisement;
        _message[2] = vhid;
        virtualAddress.CopyTo(_message.AsSpan(3, virtualAddress.Length));
        _counterAt = 3 + virtualAddress.Length;
    }

    /// <summary>How many digests this key has computed: lets tests show the HMAC runs last.</summary>
    public long Computations { get; private set; }

    /// <summary>Writes the digest of <paramref name="counter"/> (8 bytes, as on the wire) into <paramref name="digest"/>.</summary>
    public void Compute(ReadOnlySpan<byte> counter, Span<byte> digest)
    {
        Computations++;
        counter.CopyTo(_message.AsSpan(_counterAt));
        _mac.BlockUpdate(_message, 0, _message.Length);
        _mac.DoFinal(_digest, 0); // and back to the keyed inner state
        _digest.CopyTo(digest);
    }

    public bool Verify(ReadOnlySpan<byte> counter, ReadOnlySpan<byte> received, Span<byte> computed)
    {
        Compute(counter, computed);
        return CryptographicOperations.FixedTimeEquals(computed, received);
    }
}
