using System.Text;
using Ucarp.Core.Control;

namespace Ucarp.Core.Tests.Control;

/// <summary>Request and reply bytes on the control socket, hostile ones included.</summary>
public class ControlFramingTests
{
    static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    [Test]
    public void A_request_is_its_words_and_a_newline()
    {
        Assert.That(ControlFraming.EncodeRequest(new ControlCommand(ControlVerb.Status, Json: true)), Is.EqualTo(B("status --json\n")));
        Assert.That(ControlFraming.EncodeRequest(new ControlCommand(ControlVerb.Demote)), Is.EqualTo(B("demote --all\n")));
        Assert.That(ControlFraming.EncodeRequest(new ControlCommand(ControlVerb.Promote, Group: "web")), Is.EqualTo(B("promote web\n")));
    }

    [Test]
    public void A_request_is_complete_at_its_newline_or_when_the_peer_closes()
    {
        Assert.That(ControlFraming.ScanRequest(B("stat"), ended: false, out _), Is.EqualTo(RequestScan.Incomplete));
        Assert.That(ControlFraming.ScanRequest(B(""), ended: false, out _), Is.EqualTo(RequestScan.Incomplete));
        Assert.That(ControlFraming.ScanRequest(B("status\nrest"), ended: false, out ReadOnlySpan<byte> line), Is.EqualTo(RequestScan.Complete));
        Assert.That(line.ToArray(), Is.EqualTo(B("status")));
        Assert.That(ControlFraming.ScanRequest(B("reload"), ended: true, out line), Is.EqualTo(RequestScan.Complete));
        Assert.That(line.ToArray(), Is.EqualTo(B("reload")));
    }

    [Test]
    public void A_request_longer_than_the_limit_is_refused_as_soon_as_it_is_known()
    {
        byte[] longest = B(new string(' ', ControlFraming.MaxRequest - 1) + "\n");
        Assert.That(ControlFraming.ScanRequest(longest, ended: false, out _), Is.EqualTo(RequestScan.Complete));
        byte[] over = B(new string(' ', ControlFraming.MaxRequest) + "\n");
        Assert.That(ControlFraming.ScanRequest(over, ended: false, out _), Is.EqualTo(RequestScan.TooLong));
        // No newline yet, but the buffer is full: it cannot become a valid request.
        Assert.That(ControlFraming.ScanRequest(over.AsSpan(0, ControlFraming.MaxRequest), ended: false, out _), Is.EqualTo(RequestScan.TooLong));
        Assert.That(ControlFraming.ScanRequest(over.AsSpan(0, ControlFraming.MaxRequest), ended: true, out _), Is.EqualTo(RequestScan.TooLong));
    }

    [TestCase("status", true)]
    [TestCase("  status   --json ", true)]
    [TestCase("status\r", false)]
    [TestCase("status\0", false)]
    [TestCase("demote w\u00e9b", false)]
    [TestCase("", false)]
    [TestCase("status a b c d e f g h i", false)]
    public void Request_lines_are_printable_ascii_words(string text, bool valid)
    {
        Assert.That(ControlFraming.ParseRequest(B(text), out string error) is not null, Is.EqualTo(valid), error);
        Assert.That(error, valid ? Is.Empty : Is.Not.Empty);
    }

    [Test]
    public void Random_bytes_never_throw()
    {
        var random = new Random(18);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = new byte[random.Next(0, 1200)];
            random.NextBytes(data);
            if (random.Next(2) == 0 && data.Length > 8)
            {
                B("demote ").CopyTo(data, 0);
            }
            if (ControlFraming.ScanRequest(data, random.Next(2) == 0, out ReadOnlySpan<byte> line) == RequestScan.Complete)
            {
                ControlFraming.ParseRequest(line, out _);
            }
            if (ControlFraming.TryDecodeReply(data, out int code, out _))
            {
                Assert.That(code, Is.InRange(0, 255));
            }
        }
    }

    [Test]
    public void A_reply_is_its_status_line_then_its_body()
    {
        byte[] reply = ControlFraming.EncodeReply(1, "ucarp.conf:3: bad\n\u00e9\n");
        Assert.That(reply, Is.EqualTo(Encoding.UTF8.GetBytes("1\nucarp.conf:3: bad\n\u00e9\n")));
        Assert.That(ControlFraming.TryDecodeReply(reply, out int code, out ReadOnlySpan<byte> body), Is.True);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(Encoding.UTF8.GetString(body), Is.EqualTo("ucarp.conf:3: bad\n\u00e9\n"));
        Assert.That(ControlFraming.EncodeReply(0, ""), Is.EqualTo(B("0\n")));
        Assert.That(ControlFraming.EncodeReply(300, ""), Is.EqualTo(B("255\n")));
    }

    [TestCase("0\n", true, 0)]
    [TestCase("255\nbody", true, 255)]
    [TestCase("256\n", false, 0)]
    [TestCase("1000\n", false, 0)]
    [TestCase("\n", false, 0)]
    [TestCase("-1\n", false, 0)]
    [TestCase("1 \n", false, 0)]
    [TestCase("1", false, 0)]
    [TestCase("", false, 0)]
    public void Reply_status_lines_are_zero_to_255(string reply, bool valid, int expected)
    {
        Assert.That(ControlFraming.TryDecodeReply(B(reply), out int code, out _), Is.EqualTo(valid));
        if (valid)
        {
            Assert.That(code, Is.EqualTo(expected));
        }
    }
}
