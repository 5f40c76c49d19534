using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

public class ChecksumTests
{
    [Test]
    public void Rfc1071_example() =>
        // RFC 1071 section 3: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, complemented 220d.
        Assert.That(InternetChecksum.Compute([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), Is.EqualTo(0x220d));

    [Test]
    public void Odd_length_pads_with_a_zero_byte() =>
        Assert.That(InternetChecksum.Compute([0x12, 0x34, 0x56]), Is.EqualTo(InternetChecksum.Compute([0x12, 0x34, 0x56, 0x00])));

    [Test]
    public void Empty_is_zero() => Assert.That(InternetChecksum.Compute([]), Is.EqualTo(0));

    [Test]
    public void Data_with_its_checksum_sums_to_zero()
    {
        byte[] data = [0x45, 0x10, 0x00, 0x38, 0xed, 0xf3, 0x40, 0x00, 0xff, 0x70, 0, 0, 192, 0, 2, 1, 224, 0, 0, 18];
        ushort sum = InternetChecksum.Compute(data);
        data[10] = (byte)(sum >> 8);
        data[11] = (byte)sum;
        Assert.That(sum, Is.EqualTo(0xeb3d)); // as in the first captured advert
        Assert.That(InternetChecksum.Compute(data), Is.EqualTo(0));
    }
}
