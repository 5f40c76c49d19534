using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

public class InetTests
{
    [TestCase("192.0.2.1", 192, 0, 2, 1)]
    [TestCase("0.0.0.0", 0, 0, 0, 0)]
    [TestCase("255.255.255.255", 255, 255, 255, 255)]
    [TestCase("10.0.0.10", 10, 0, 0, 10)]
    public void Accepts_dotted_quads(string text, int a, int b, int c, int d)
    {
        Assert.That(Inet.TryParse(text, out IpAddress address), Is.True);
        Assert.That(address, Is.EqualTo(new IpAddress((byte)a, (byte)b, (byte)c, (byte)d)));
    }

    [TestCase("")]
    [TestCase("1.2.3")]
    [TestCase("1.2.3.4.5")]
    [TestCase("01.2.3.4")]
    [TestCase("1.2.3.04")]
    [TestCase("256.0.0.1")]
    [TestCase("1.2.3.4 ")]
    [TestCase(" 1.2.3.4")]
    [TestCase("1..3.4")]
    [TestCase(".1.2.3")]
    [TestCase("1.2.3.")]
    [TestCase("0x1.2.3.4")]
    [TestCase("1.2.3.1000")]
    public void Refuses_what_inet_pton_refuses(string text) => Assert.That(Inet.TryParse(text, out _), Is.False);

    [Test]
    public void Host_order_raw_weighs_the_last_octet_most()
    {
        // ucarp's tie-break on x86: 10.99.1.1 is "higher" than 10.99.0.2.
        Inet.TryParse("10.99.1.1", out IpAddress a);
        Inet.TryParse("10.99.0.2", out IpAddress b);
        Assert.That(a.HostOrderRaw, Is.LessThan(b.HostOrderRaw));
        Inet.TryParse("192.0.2.1", out IpAddress c);
        Inet.TryParse("192.0.2.2", out IpAddress d);
        Assert.That(c.HostOrderRaw, Is.LessThan(d.HostOrderRaw));
    }
}
