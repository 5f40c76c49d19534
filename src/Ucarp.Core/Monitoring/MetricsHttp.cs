using System.Globalization;
using System.Text;

namespace Ucarp.Core.Monitoring;

/// <summary>
/// The answers of --metrics-listen, from a request's head as far as it has come: GET or HEAD
/// of /metrics (a query string is ignored) gets the document; anything else a short error.
/// Every answer closes the connection. Pure: the daemon's endpoint only moves bytes.
/// </summary>
public static class MetricsHttp
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// The whole reply, or null while the head (up to its blank line) is not whole.
    /// <paramref name="full"/>: the head filled the buffer without ending.
    /// <paramref name="document"/>: the metrics, or null before the first is made.
    /// </summary>
    public static byte[]? Answer(ReadOnlySpan<byte> head, bool full, byte[]? document)
    {
        int end = head.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            end = head.IndexOf("\n\n"u8);
        }
        if (end < 0)
        {
            return full ? Reply(431, "Request Header Fields Too Large", "the request's head is over 8 KiB\n", head: false) : null;
        }
        int lineEnd = head.IndexOf((byte)'\n');
        string line = Encoding.ASCII.GetString(head[..lineEnd]).TrimEnd('\r');
        string[] words = line.Split(' ');
        if (words.Length != 3 || !words[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || words[0].Length == 0)
        {
            return Reply(400, "Bad Request", "not an HTTP/1 request line\n", head: false);
        }
        bool isHead = words[0] == "HEAD";
        if (words[0] != "GET" && !isHead)
        {
            return Reply(405, "Method Not Allowed", "only GET and HEAD\n", head: false, extra: "Allow: GET, HEAD\r\n");
        }
        string path = words[1];
        int query = path.IndexOf('?');
        if ((query < 0 ? path : path[..query]) != "/metrics")
        {
            return Reply(404, "Not Found", "the metrics are at /metrics\n", isHead);
        }
        return document is null
            ? Reply(503, "Service Unavailable", "no metrics: the daemon is starting or stopping\n", isHead)
            : Reply(200, "OK", document, isHead, ContentType);
    }

    static byte[] Reply(int status, string reason, string body, bool head, string extra = "") =>
        Reply(status, reason, Encoding.UTF8.GetBytes(body), head, "text/plain; charset=utf-8", extra);

    static byte[] Reply(int status, string reason, byte[] body, bool head, string type, string extra = "")
    {
        byte[] top = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\n{extra}Connection: close\r\n\r\n"));
        if (head)
        {
            return top;
        }
        byte[] all = new byte[top.Length + body.Length];
        top.CopyTo(all, 0);
        body.CopyTo(all, top.Length);
        return all;
    }
}
