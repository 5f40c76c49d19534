using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

public class CNumbersTests
{
    [TestCase("42", 42UL)]
    [TestCase("0x2a", 42UL)]
    [TestCase("0X2A", 42UL)]
    [TestCase("052", 42UL)]
    [TestCase("42abc", 42UL)]
    [TestCase("  \t42", 42UL)]
    [TestCase("+42", 42UL)]
    [TestCase("abc", 0UL)]
    [TestCase("", 0UL)]
    [TestCase("0x", 0UL)]
    [TestCase("0xg", 0UL)]
    [TestCase("09", 0UL)]
    [TestCase("-1", ulong.MaxValue)]
    [TestCase("-0", 0UL)]
    [TestCase("18446744073709551615", ulong.MaxValue)]
    [TestCase("18446744073709551616", ulong.MaxValue)]
    [TestCase("99999999999999999999999", ulong.MaxValue)]
    [TestCase("4294967296", 4294967296UL)]
    public void StrToUL_reads_as_glibc(string text, ulong expected) => Assert.That(CNumbers.StrToUL(text), Is.EqualTo(expected));

    [TestCase("42", 42L)]
    [TestCase("-1", -1L)]
    [TestCase("-0x10", -16L)]
    [TestCase("9223372036854775807", long.MaxValue)]
    [TestCase("9223372036854775808", long.MaxValue)]
    [TestCase("-9223372036854775808", long.MinValue)]
    [TestCase("-9223372036854775809", long.MinValue)]
    [TestCase("x", 0L)]
    public void StrToL_reads_as_glibc(string text, long expected) => Assert.That(CNumbers.StrToL(text), Is.EqualTo(expected));
}
