using System.Text;
using Ucarp.Core.Monitoring;

namespace Ucarp.Core.Tests.Monitoring;

public class MetricsHttpTests
{
    static readonly byte[] Document = Encoding.UTF8.GetBytes("ucarp_master 1\n");

    static string? Answer(string head, bool full = false, byte[]? document = null) =>
        MetricsHttp.Answer(Encoding.ASCII.GetBytes(head), full, document ?? Document) is byte[] reply ? Encoding.UTF8.GetString(reply) : null;

    [Test]
    public void Get_of_metrics_is_the_document_with_prometheuss_content_type_and_head_is_its_headers()
    {
        Assert.That(Answer("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"), Is.EqualTo(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 15\r\nConnection: close\r\n\r\nucarp_master 1\n"));
        Assert.That(Answer("GET /metrics?name[]=x HTTP/1.0\n\n"), Does.EndWith("\r\n\r\nucarp_master 1\n"), "a query is ignored; bare newlines are taken");
        Assert.That(Answer("HEAD /metrics HTTP/1.1\r\n\r\n"), Does.StartWith("HTTP/1.1 200 OK\r\n").And.Contain("Content-Length: 15\r\n").And.EndWith("\r\n\r\n"));
    }

    [Test]
    public void An_unfinished_head_waits_and_a_full_one_is_refused()
    {
        Assert.That(Answer("GET /metrics HTTP/1.1\r\nHost: a\r\n"), Is.Null);
        Assert.That(Answer("GET /metrics HTTP/1.1\r\nX: aaaa", full: true), Does.StartWith("HTTP/1.1 431 "));
    }

    [TestCase("POST /metrics HTTP/1.1", "HTTP/1.1 405 Method Not Allowed\r\n")]
    [TestCase("get /metrics HTTP/1.1", "HTTP/1.1 405 Method Not Allowed\r\n")]
    [TestCase("GET / HTTP/1.1", "HTTP/1.1 404 Not Found\r\n")]
    [TestCase("GET /metrics/ HTTP/1.1", "HTTP/1.1 404 Not Found\r\n")]
    [TestCase("GET /metrics", "HTTP/1.1 400 Bad Request\r\n")]
    [TestCase("GET /metrics SPDY/3", "HTTP/1.1 400 Bad Request\r\n")]
    [TestCase("\u00ff\u0000 x y", "HTTP/1.1 400 Bad Request\r\n")]
    public void Anything_else_is_refused_with_its_status(string line, string status)
    {
        string reply = Answer(line + "\r\n\r\n")!;
        Assert.That(reply, Does.StartWith(status).And.Contain("Connection: close\r\n"));
        Assert.That(reply.Contains("ucarp_master", StringComparison.Ordinal), Is.False);
        if (status.Contains("405", StringComparison.Ordinal))
        {
            Assert.That(reply, Does.Contain("Allow: GET, HEAD\r\n"));
        }
    }

    [Test]
    public void Before_the_first_document_the_answer_is_503()
    {
        byte[] reply = MetricsHttp.Answer("GET /metrics HTTP/1.1\r\n\r\n"u8, false, null)!;
        Assert.That(Encoding.ASCII.GetString(reply), Does.StartWith("HTTP/1.1 503 "));
    }

    [TestCase("192.0.2.1:9155", "192.0.2.1:9155")]
    [TestCase("0.0.0.0:1", "0.0.0.0:1")]
    [TestCase("[2001:db8::1]:65535", "[2001:db8::1]:65535")]
    public void Listen_addresses_parse(string text, string shown)
    {
        Assert.That(ListenAddress.TryParse(text, out ListenAddress at, out string error), Is.True, error);
        Assert.That(at.ToString(), Is.EqualTo(shown));
    }

    [TestCase(":9155")]
    [TestCase("9155")]
    [TestCase("localhost:9155")]
    [TestCase("192.0.2.1:0")]
    [TestCase("192.0.2.1:65536")]
    [TestCase("192.0.2.1:+80")]
    [TestCase("2001:db8::1:9155")]
    [TestCase("[192.0.2.1]x:80")]
    public void Listen_addresses_refused_say_what_is_wanted(string text)
    {
        Assert.That(ListenAddress.TryParse(text, out _, out string error), Is.False);
        Assert.That(error, Does.StartWith("--metrics-listen takes ADDRESS:PORT"));
    }
}
