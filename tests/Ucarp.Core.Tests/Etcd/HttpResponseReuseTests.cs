using System.Text;
using Ucarp.Core.Etcd;
using Ucarp.Fuzz;

namespace Ucarp.Core.Tests.Etcd;

/// <summary>
/// When a connection may carry the next request (<see cref="HttpResponseReader.Reusable"/>):
/// only after an HTTP/1.1 response whose framing says where it ends, read to that end
/// (a body cut short: HttpResponseReaderTests.A_malformed_body_is_a_format_error),
/// without "Connection: close"; and whether any byte of a response arrived, which decides
/// whether a request on a kept connection may be sent again.
/// </summary>
public class HttpResponseReuseTests
{
    const string Json = "{\"header\":{\"revision\":\"3\"}}";

    static HttpResponseReader Reader(string response, int piece = int.MaxValue) =>
        new(new FuzzTargets.ArraySource(Encoding.Latin1.GetBytes(response), piece));

    /// <summary>The response read whole (head and body), as the client reads a unary answer; then whether its connection may be kept.</summary>
    static bool ReadWhole(string response, int piece = int.MaxValue)
    {
        HttpResponseReader reader = Reader(response, piece);
        reader.ReadHead();
        reader.ReadBody();
        return reader.Reusable;
    }

    [TestCase(int.MaxValue)]
    [TestCase(1)]
    public void A_content_length_body_read_whole_keeps_the_connection(int piece) =>
        Assert.That(ReadWhole($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Json.Length}\r\n\r\n{Json}", piece), Is.True);

    [Test]
    public void An_empty_content_length_body_keeps_the_connection() =>
        Assert.That(ReadWhole("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), Is.True);

    [TestCase(int.MaxValue)]
    [TestCase(1)]
    [TestCase(7)]
    public void A_chunked_body_read_to_its_last_chunk_and_trailers_keeps_the_connection(int piece) =>
        Assert.That(ReadWhole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n\"b\"\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n", piece), Is.True);

    [TestCase("Connection: close")]
    [TestCase("connection: Close")]
    [TestCase("Connection: keep-alive, close")]
    [TestCase("Connection:close")]
    public void Connection_close_closes_it(string header) =>
        Assert.That(ReadWhole($"HTTP/1.1 200 OK\r\n{header}\r\nContent-Length: 2\r\n\r\n{{}}"), Is.False);

    [Test]
    public void Another_connection_option_does_not() =>
        Assert.That(ReadWhole("HTTP/1.1 200 OK\r\nConnection: keep-alive, closed\r\nContent-Length: 2\r\n\r\n{}"), Is.True);

    [TestCase("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}")]
    [TestCase("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}")]
    public void Http_1_0_closes_it(string response) => Assert.That(ReadWhole(response), Is.False);

    [Test]
    public void A_body_to_the_end_of_the_stream_closes_it() =>
        Assert.That(ReadWhole("HTTP/1.1 200 OK\r\n\r\n{}"), Is.False);

    [Test]
    public void A_chunked_body_whose_trailers_end_with_the_stream_closes_it() =>
        Assert.That(ReadWhole("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"), Is.False);

    [Test]
    public void Bytes_after_the_response_close_it() =>
        Assert.That(ReadWhole("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n"), Is.False);

    [Test]
    public void A_head_alone_does_not_keep_it()
    {
        // One byte per read: nothing of the body is read ahead with the head.
        HttpResponseReader reader = Reader($"HTTP/1.1 200 OK\r\nContent-Length: {Json.Length}\r\n\r\n{Json}", piece: 1);
        reader.ReadHead();
        Assert.That(reader.Reusable, Is.False, "the body is still to be read");
    }

    [Test]
    public void Two_responses_on_one_connection_are_read_one_after_the_other()
    {
        // One byte per read: nothing of the second response is read ahead with the first.
        var budget = new MemoryBudget(1 << 20);
        var reader = new HttpResponseReader(new FuzzTargets.ArraySource(Encoding.Latin1.GetBytes(
            $"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\nHTTP/1.1 503 Unavailable\r\nContent-Length: {Json.Length}\r\n\r\n{Json}"), 1), budget);
        Assert.That(reader.ReadHead(), Is.EqualTo(200));
        Assert.That(Encoding.UTF8.GetString(reader.ReadBody().Span), Is.EqualTo("{}"));
        Assert.That((reader.Reusable, reader.Received), Is.EqualTo((true, true)));
        reader.Reset();
        Assert.That((reader.Received, reader.Memory!.Held), Is.EqualTo((false, 0L)), "a kept connection holds nothing of its last answer");
        Assert.That(reader.ReadHead(), Is.EqualTo(503));
        Assert.That(Encoding.UTF8.GetString(reader.ReadBody().Span), Is.EqualTo(Json));
        Assert.That(reader.Reusable, Is.True);
    }

    [Test]
    public void A_connection_closed_before_any_byte_received_nothing()
    {
        HttpResponseReader reader = Reader("");
        Assert.Throws<FormatException>(() => reader.ReadHead());
        Assert.That((reader.Received, reader.Reusable), Is.EqualTo((false, false)));
    }

    [Test]
    public void A_connection_closed_after_one_byte_received_it()
    {
        HttpResponseReader reader = Reader("H");
        Assert.Throws<FormatException>(() => reader.ReadHead());
        Assert.That((reader.Received, reader.Reusable), Is.EqualTo((true, false)));
    }
}
