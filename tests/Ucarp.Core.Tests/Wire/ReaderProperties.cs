using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>
/// Property tests: any byte sequence, and any mutation of a valid advert, gives a result
/// (never an exception), and that result is what a second, plainly written reading of
/// carp.c's checks says it should be.
/// </summary>
public class ReaderProperties
{
    static readonly Sender Peer = CapturedVectors.Senders[1];
    static readonly IpAddress Us = new(192, 0, 2, 9);
    static readonly byte[] Advert = CapturedVectors.Adverts(Peer).First();

    static readonly FsCheck.Config Runs = FsCheck.Config.QuickThrowOnFailure.WithMaxTest(3000);

    /// <summary>The oracle: carp.c's checks in carp.c's order, one by one, on a byte array.</summary>
    static Rejection Expected(byte[] f)
    {
        if (f.Length <= 34) return Rejection.TooShort;
        if (f[12] != 0x08 || f[13] != 0x00) return Rejection.WrongFamily;
        if (f[26] == 192 && f[27] == 0 && f[28] == 2 && f[29] == 9) return Rejection.OwnAddress;
        if (f[23] != 112) return Rejection.NotCarp;
        int ipLength = (f[14] & 15) * 4;
        if (f.Length - 14 < ipLength + 36) return Rejection.BogusSize;
        int carp = 14 + ipLength;
        if (f[22] != 255) return Rejection.BadTtl;
        if (f[carp] >> 4 != 2) return Rejection.BadVersion;
        if (f[carp + 1] != Peer.Vhid) return Rejection.OtherVhid;
        if (!(f[30] == 224 && f[31] == 0 && f[32] == 0 && f[33] == 18)) return Rejection.OtherGroup;
        uint sum = 0;
        for (int i = 0; i < ipLength + 36; i += 2) sum += (uint)(f[14 + i] << 8 | f[15 + i]);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        if (sum != 0xffff) return Rejection.BadChecksum;
        byte[] message = [2, 1, Peer.Vhid, 192, 0, 2, 200, .. f.AsSpan(carp + 8, 8)];
        byte[] digest = System.Security.Cryptography.HMACSHA1.HashData(System.Text.Encoding.ASCII.GetBytes(Peer.Password), message);
        return digest.AsSpan().SequenceEqual(f.AsSpan(carp + 16, 20)) ? Rejection.None : Rejection.BadDigest;
    }

    static Rejection Actual(byte[] f) => new AdvertReader(Us, Peer.Group, Peer.Vhid, Peer.Hmac()).Read(f).Rejection;

    [Test]
    public void Arbitrary_bytes_never_throw_and_match_the_oracle()
    {
        Gen<byte[]> bytes = Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf();
        Prop.ForAll(Arb.From(bytes), f => Actual(f) == Expected(f)).Check(Runs);
    }

    /// <summary>A valid advert with 1 to 4 bytes overwritten and maybe truncated or extended.</summary>
    /// <summary>Edits land mostly on header bytes, often with values the checks care about.</summary>
    static readonly Gen<int> Position = Gen.Frequency((3, Gen.Choose(12, 41)), (1, Gen.Choose(0, Advert.Length + 3)));
    static readonly Gen<int> Value = Gen.Frequency((2, Gen.Choose(0, 255)), (1, Gen.Elements(0, 1, 2, 7, 0x21, 0x31, 0x45, 0x46, 112, 224, 254, 255)));

    static readonly Gen<byte[]> Mutated =
        from edits in Gen.Zip(Position, Value).ListOf().Where(l => l.Count is > 0 and <= 4)
        from length in Gen.Frequency((6, Gen.Constant(Advert.Length)), (1, Gen.Choose(0, Advert.Length + 8)))
        select Mutate(edits, length);

    static byte[] Mutate(IEnumerable<(int At, int Value)> edits, int length)
    {
        byte[] f = new byte[length];
        Advert.AsSpan(0, Math.Min(length, Advert.Length)).CopyTo(f);
        foreach (var (at, value) in edits)
        {
            if (at < f.Length) f[at] = (byte)value;
        }
        return f;
    }

    [Test]
    public void Mutated_adverts_never_throw_and_match_the_oracle() =>
        Prop.ForAll(Arb.From(Mutated), f => Actual(f) == Expected(f)).Check(Runs);

    [Test]
    public void A_mutation_inside_the_authenticated_bytes_is_never_accepted()
    {
        // vhid, counter and digest are what the HMAC protects; checksum fixes do not help a forger.
        Gen<byte[]> forged =
            from at in Gen.Elements(Enumerable.Range(35, 1).Concat(Enumerable.Range(42, 28)).ToArray())
            from delta in Gen.Choose(1, 255)
            select Forge(at, (byte)delta);
        Prop.ForAll(Arb.From(forged), f => Actual(f) != Rejection.None).Check(Runs);
    }

    static byte[] Forge(int at, byte delta)
    {
        byte[] f = (byte[])Advert.Clone();
        f[at] ^= delta;
        f[40] = f[41] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(40), InternetChecksum.Compute(f.AsSpan(34, 36)));
        f[24] = f[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(24), InternetChecksum.Compute(f.AsSpan(14, 56)));
        return f;
    }

    [Test]
    public void The_oracle_itself_accepts_the_capture_and_rejects_a_flip()
    {
        Assert.That(Expected(Advert), Is.EqualTo(Rejection.None));
        byte[] f = (byte[])Advert.Clone();
        f[60] ^= 1;
        Assert.That(Expected(f), Is.EqualTo(Rejection.BadChecksum));
    }
}
