using System.Text;
using Ucarp.Core.Etcd;
using Ucarp.Fuzz;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>The HTTP response reader on what etcd sends, on each bound, and on each malformed form.</summary>
public class HttpResponseReaderTests
{
    static HttpResponseReader Reader(string response, int piece = int.MaxValue) =>
        new(new FuzzTargets.ArraySource(Encoding.Latin1.GetBytes(response), piece));

    static string Body(HttpResponseReader reader) => Encoding.UTF8.GetString(reader.ReadBody().Span);

    static string? Line(HttpResponseReader reader) => reader.TryReadLine(out ReadOnlyMemory<byte> line) ? Encoding.UTF8.GetString(line.Span) : null;

    const string Json = "{\"header\":{\"revision\":\"3\"}}";

    [TestCase(int.MaxValue)]
    [TestCase(1)]
    public void Reads_a_content_length_body(int piece)
    {
        var reader = Reader($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Json.Length}\r\n\r\n{Json}", piece);
        Assert.That(reader.ReadHead(), Is.EqualTo(200));
        Assert.That(Body(reader), Is.EqualTo(Json));
    }

    [TestCase(int.MaxValue)]
    [TestCase(1)]
    [TestCase(7)]
    public void Reads_a_chunked_body_with_extensions_and_trailers(int piece)
    {
        var reader = Reader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\n{\"a\":\r\n3\r\n\"b\"\r\n1 \r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n", piece);
        Assert.That(reader.ReadHead(), Is.EqualTo(200));
        Assert.That(Body(reader), Is.EqualTo("{\"a\":\"b\"}"));
    }

    [Test]
    public void Reads_a_body_to_the_end_of_the_stream_and_a_bare_lf()
    {
        var reader = Reader("HTTP/1.0 404 Not Found\nServer: x\n\n{}");
        Assert.That(reader.ReadHead(), Is.EqualTo(404));
        Assert.That(Body(reader), Is.EqualTo("{}"));
    }

    [Test]
    public void Reads_a_watch_stream_line_by_line_across_chunks()
    {
        var reader = Reader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n6\r\n:1}\n{}\r\n1\r\n\n\r\n0\r\n\r\n");
        reader.ReadHead();
        Assert.That(Line(reader), Is.EqualTo("{\"a\":1}"));
        Assert.That(Line(reader), Is.EqualTo("{}"));
        Assert.That(Line(reader), Is.Null);
    }

    [Test]
    public void An_empty_reason_is_allowed() => Assert.That(Reader("HTTP/1.1 204\r\n\r\n").ReadHead(), Is.EqualTo(204));

    // Each malformed form: a FormatException, which the client turns into a failed request.
    [TestCase("", TestName = "Nothing at all")]
    [TestCase("SSH-2.0-OpenSSH\r\n\r\n", TestName = "Not HTTP")]
    [TestCase("HTTP/1.1 2000 OK\r\n\r\n", TestName = "A four-digit status")]
    [TestCase("HTTP/1.1 20 OK\r\n\r\n", TestName = "A two-digit status")]
    [TestCase("HTTP/1.1 +20 OK\r\n\r\n", TestName = "A signed status")]
    [TestCase("HTTP/1.1 099 OK\r\n\r\n", TestName = "A status below 100")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", TestName = "Headers cut short")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", TestName = "A negative Content-Length")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", TestName = "A Content-Length that is not a number")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", TestName = "A Content-Length beyond int64")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", TestName = "Two Content-Lengths")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 5000000000\r\n\r\n", TestName = "A 5 GB Content-Length")]
    public void A_malformed_head_is_a_format_error(string response) =>
        Assert.Throws<FormatException>(() => Reader(response).ReadHead());

    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", TestName = "A body shorter than its length")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n", TestName = "A chunk size of 17 hex digits")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n", TestName = "A chunk size of -1 in 16 hex digits")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7FFFFFFF\r\n", TestName = "A chunk of 2 GiB")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", TestName = "A negative chunk size")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", TestName = "A chunk size that is not hex")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", TestName = "An empty chunk size")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n", TestName = "A chunk size with 0x")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", TestName = "A chunk without its CRLF")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}", TestName = "A chunk cut short")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n", TestName = "No last chunk")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2", TestName = "A chunk size line cut short")]
    public void A_malformed_body_is_a_format_error(string response)
    {
        var reader = Reader(response);
        reader.ReadHead();
        Assert.Throws<FormatException>(() => reader.ReadBody());
        // Its connection carries no other request.
        Assert.That(reader.Reusable, Is.False);
        Assert.Throws<InvalidOperationException>(reader.Reset);
    }

    [Test]
    public void A_header_line_is_bounded()
    {
        var source = new CountingPrefix("HTTP/1.1 200 OK\r\nX: ", new EndlessSource((byte)'a'));
        Assert.That(() => new HttpResponseReader(source).ReadHead(), Throws.InstanceOf<FormatException>().With.Message.Contains("8192"));
        Assert.That(source.Served, Is.LessThan(HttpResponseReader.MaxHeaderLine + 32 * 1024));
    }

    [Test]
    public void The_status_line_is_bounded()
    {
        var source = new CountingPrefix("HTTP/1.1 200 ", new EndlessSource((byte)'a'));
        Assert.Throws<FormatException>(() => new HttpResponseReader(source).ReadHead());
        Assert.That(source.Served, Is.LessThan(HttpResponseReader.MaxHeaderLine + 32 * 1024));
    }

    [Test]
    public void The_header_count_is_bounded()
    {
        string many = string.Concat(Enumerable.Repeat("X-A: b\r\n", HttpResponseReader.MaxHeaders));
        Assert.That(Reader("HTTP/1.1 200 OK\r\n" + many + "\r\n").ReadHead(), Is.EqualTo(200));
        var e = Assert.Throws<FormatException>(() => Reader("HTTP/1.1 200 OK\r\n" + many + "X-A: b\r\n\r\n").ReadHead());
        Assert.That(e!.Message, Does.Contain("headers"));
    }

    [Test]
    public void The_trailer_count_is_bounded()
    {
        string many = string.Concat(Enumerable.Repeat("X-A: b\r\n", HttpResponseReader.MaxHeaders + 1));
        var reader = Reader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + many + "\r\n");
        reader.ReadHead();
        Assert.Throws<FormatException>(() => reader.ReadBody());
    }

    [Test]
    public void A_body_to_the_end_of_the_stream_is_bounded()
    {
        var source = new CountingPrefix("HTTP/1.1 200 OK\r\n\r\n", new EndlessSource((byte)'a'));
        var reader = new HttpResponseReader(source);
        reader.ReadHead();
        Assert.That(() => reader.ReadBody(), Throws.InstanceOf<FormatException>().With.Message.Contains(HttpResponseReader.MaxBody.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(source.Served, Is.LessThan(HttpResponseReader.MaxBody + 32 * 1024));
    }

    [Test]
    public void A_chunked_body_of_many_small_chunks_is_bounded()
    {
        var chunks = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        string chunk = "1000\r\n" + new string('a', 4096) + "\r\n";
        for (int i = 0; i <= HttpResponseReader.MaxBody / 4096; i++)
        {
            chunks.Append(chunk);
        }
        var reader = Reader(chunks.Append("0\r\n\r\n").ToString());
        reader.ReadHead();
        Assert.Throws<FormatException>(() => reader.ReadBody());
    }

    [Test]
    public void A_body_of_exactly_the_limit_is_read()
    {
        string body = new('a', HttpResponseReader.MaxBody);
        var reader = Reader($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        reader.ReadHead();
        Assert.That(reader.ReadBody().Length, Is.EqualTo(HttpResponseReader.MaxBody));
    }

    [Test]
    public void A_watch_line_is_bounded_while_the_stream_is_not()
    {
        var source = new CountingPrefix("HTTP/1.1 200 OK\r\n\r\n", new EndlessSource((byte)'a'));
        var reader = new HttpResponseReader(source);
        reader.ReadHead();
        Assert.Throws<FormatException>(() => Line(reader));
        Assert.That(source.Served, Is.LessThan(HttpResponseReader.MaxLine + 32 * 1024));
        // Many short lines are a long-lived stream, as a watch is.
        var lines = new HttpResponseReader(new CountingPrefix("HTTP/1.1 200 OK\r\n\r\n", new EndlessSource((byte)'\n')));
        lines.ReadHead();
        for (int i = 0; i < 3 * HttpResponseReader.MaxLine / 1024; i++)
        {
            Assert.That(Line(lines), Is.EqualTo(""));
        }
    }

    /// <summary>An endless stream of one byte: what a hostile member can send for ever.</summary>
    sealed class EndlessSource(byte value) : IByteSource
    {
        public int Read(Span<byte> into)
        {
            into.Fill(value);
            return into.Length;
        }
    }

    /// <summary>A fixed start, then another source.</summary>
    sealed class CountingPrefix(string prefix, IByteSource rest) : IByteSource
    {
        readonly byte[] _prefix = Encoding.Latin1.GetBytes(prefix);
        int _at;

        public long Served { get; private set; }

        public int Read(Span<byte> into)
        {
            int n = _at < _prefix.Length ? Math.Min(into.Length, _prefix.Length - _at) : rest.Read(into);
            if (_at < _prefix.Length)
            {
                _prefix.AsSpan(_at, n).CopyTo(into);
                _at += n;
            }
            Served += n;
            return n;
        }
    }
}
