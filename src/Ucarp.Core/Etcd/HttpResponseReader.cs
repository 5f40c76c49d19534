using System.Globalization;
using System.Text;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>
/// The response half of an HTTP/1.1 exchange with an etcd member: the status line, the
/// headers, then the body (Content-Length, chunked, or to the end of the stream) whole or
/// line by line (a watch's stream). The member is not trusted: every size is bounded, and
/// anything malformed, oversized or cut short throws <see cref="FormatException"/>, which
/// the caller turns into a failed request. A body or a line is kept as the UTF-8 it came
/// as (text would double it), and is taken from <paramref name="budget"/>, with the tree
/// read from it (<see cref="Memory"/>), until the next one is read or the reader disposed.
///
/// A response read whole says whether its connection may carry another request
/// (<see cref="Reusable"/>); <see cref="Reset"/> then readies the reader for the next
/// response on that connection, holding nothing while it waits.
/// </summary>
public sealed class HttpResponseReader(IByteSource source, MemoryBudget? budget = null) : IDisposable
{
    // Far above what etcd sends for one key (a few hundred bytes per answer), far below
    // what would hurt a daemon's memory.
    public const int MaxHeaderLine = 8 * 1024;
    public const int MaxHeaders = 100;
    // 8 MiB: a sweep of 10,000 keys is 2.4 MB, a watch message of as many events 2.5 MB, and
    // what one answer may keep (Json.MaxKept) is reached at about 13,000 keys. A buffer
    // that doubles to this size holds 12 MiB while it copies: within the budget, beside a tree.
    public const int MaxBody = 8 * 1024 * 1024;
    public const int MaxLine = 8 * 1024 * 1024;    // one watch message: a lease that expires takes every key on it

    // What a Content-Length may reserve before the bytes arrive: a member that announces
    // 8 MiB and sends one byte must not take the budget (nor force a collection) for free.
    const int MaxReserved = 1024 * 1024;

    const int BufferSize = 16384;

    // Allocated when the first byte is read and dropped by Reset: a connection kept idle
    // for its next request holds no read buffer.
    byte[]? _buffer;
    int _start, _end;
    bool _eof;
    bool _chunked;
    long _chunkLeft = -1;    // bytes left in the current chunk; -1 before the first
    long _bodyLeft = -1;     // Content-Length left, -1 when none (until EOF)
    bool _bodyDone;
    byte[] _answer = [];     // the body, or the line, being read
    int _answerLength;
    bool _http11;            // the status line said HTTP/1.1
    bool _close;             // a Connection header said close
    bool _received;          // a byte of this response arrived

    /// <summary>
    /// Whether the connection may carry another request: an HTTP/1.1 response, without
    /// "Connection: close", whose body was read to the end its framing gives (the
    /// Content-Length, or the last chunk and its trailers), with nothing after it, and the
    /// stream still open (a body without either ends only with the stream). An HTTP/1.0
    /// response is never reused, even one that says keep-alive: etcd speaks 1.1, and
    /// something that does not is not worth the doubt. Anything cut short has thrown
    /// before, and leaves this false.
    /// </summary>
    public bool Reusable => _http11 && !_close && _bodyDone && !_eof && _start == _end;

    /// <summary>Whether any byte of the response arrived (a request on a kept connection that failed before any is safe to send again).</summary>
    public bool Received => _received;

    /// <summary>What the last body or line holds, for the tree read from it to be charged to as well; null without a budget.</summary>
    public MemoryBudget.Hold? Memory { get; } = budget is null ? null : new MemoryBudget.Hold(budget);

    /// <summary>The status line and headers; returns the status code.</summary>
    public int ReadHead()
    {
        string status = Line(MaxHeaderLine) ?? throw new FormatException("connection closed before a response");
        // "HTTP/1.1 200 OK": the version, a three-digit code, a reason that may be empty.
        if (status.Length < 12 || !status.StartsWith("HTTP/1.", StringComparison.Ordinal) || status[8] != ' '
            || !int.TryParse(status.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int code)
            || code < 100 || (status.Length > 12 && status[12] != ' '))
        {
            throw new FormatException("not an HTTP response: " + Printable.Cut(status));
        }
        _http11 = status[7] == '1';
        for (int count = 0; ; count++)
        {
            string header = Line(MaxHeaderLine) ?? throw new FormatException("connection closed in the headers");
            if (header.Length == 0)
            {
                break;
            }
            if (count == MaxHeaders)
            {
                throw new FormatException($"more than {MaxHeaders} headers");
            }
            int colon = header.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            string name = header[..colon].Trim(), value = header[(colon + 1)..].Trim();
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                _chunked = true;
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long length) || (_bodyLeft >= 0 && _bodyLeft != length))
                {
                    throw new FormatException("bad Content-Length: " + Printable.Cut(value));
                }
                _bodyLeft = length;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && HasCloseToken(value))
            {
                _close = true;
            }
        }
        if (_chunked)
        {
            _bodyLeft = -1; // chunked wins over a length (RFC 9112 6.3)
        }
        else if (_bodyLeft > MaxBody)
        {
            throw new FormatException($"a body of {_bodyLeft} bytes (at most {MaxBody})");
        }
        return code;
    }

    /// <summary>The whole body (at most <see cref="MaxBody"/> bytes), as the UTF-8 it came as.</summary>
    public ReadOnlyMemory<byte> ReadBody()
    {
        Release();
        Span<byte> chunk = stackalloc byte[4096];
        int n;
        while ((n = ReadBodyBytes(chunk)) > 0)
        {
            if (_answerLength + n > MaxBody)
            {
                throw new FormatException($"a body of more than {MaxBody} bytes");
            }
            // A Content-Length says how much room the body needs: up to 1 MiB at once (most
            // answers), then doublings capped at that length, never beyond it.
            int whole = _bodyLeft >= 0 ? (int)Math.Min(MaxBody, _answerLength + _bodyLeft + n) : 0;
            Append(chunk[..n], whole > 0 ? whole : MaxBody, Math.Min(whole, MaxReserved));
        }
        return _answer.AsMemory(0, _answerLength);
    }

    /// <summary>
    /// The body's next line, as UTF-8 without its LF (the gateway ends each streamed message
    /// with one; at most <see cref="MaxLine"/> bytes); false at the body's end.
    /// </summary>
    public bool TryReadLine(out ReadOnlyMemory<byte> line)
    {
        Release();
        Span<byte> one = stackalloc byte[1];
        bool any = false;
        while (ReadBodyBytes(one) == 1)
        {
            any = true;
            if (one[0] == (byte)'\n')
            {
                break;
            }
            if (_answerLength == MaxLine)
            {
                throw new FormatException($"a line of more than {MaxLine} bytes");
            }
            Append(one, MaxLine, 0);
        }
        line = _answer.AsMemory(0, _answerLength);
        return any;
    }

    /// <summary>
    /// The last body or line, and the tree read from it, are done with: their memory is
    /// given back (a watch does so after each message, rather than hold it until the next).
    /// </summary>
    public void Release()
    {
        Memory?.Dispose();
        _answer = [];
        _answerLength = 0;
    }

    /// <summary>
    /// Appends to the answer, its buffer grown as needed: to <paramref name="expected"/>
    /// bytes at once when that is known, else doubled, up to <paramref name="most"/>. The
    /// buffer is what is held.
    /// </summary>
    void Append(ReadOnlySpan<byte> bytes, int most, int expected)
    {
        if (_answerLength + bytes.Length > _answer.Length)
        {
            int want = Math.Min(most, Math.Max(Math.Max(_answerLength + bytes.Length, expected), Math.Max(1024, 2 * _answer.Length)));
            Memory?.Take(want);
            byte[] bigger = new byte[want];
            _answer.AsSpan(0, _answerLength).CopyTo(bigger);
            Memory?.Give(_answer.Length);
            _answer = bigger;
        }
        bytes.CopyTo(_answer.AsSpan(_answerLength));
        _answerLength += bytes.Length;
    }

    public void Dispose() => Release();

    /// <summary>
    /// Readies the reader for the next response on the same connection, once this one was
    /// read whole (<see cref="Reusable"/>): what the answer held is given back and the read
    /// buffer dropped, so that a connection waiting for its next request costs little.
    /// </summary>
    public void Reset()
    {
        if (!Reusable)
        {
            throw new InvalidOperationException("the response was not read whole: its connection cannot carry another");
        }
        Release();
        _buffer = null;
        _start = _end = 0;
        _chunked = _bodyDone = _http11 = _close = _received = false;
        _chunkLeft = -1;
        _bodyLeft = -1;
    }

    /// <summary>Whether a Connection header's comma-separated options include "close".</summary>
    static bool HasCloseToken(string value)
    {
        foreach (string option in value.Split(','))
        {
            if (option.Trim().Equals("close", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    int ReadBodyBytes(Span<byte> into)
    {
        if (_bodyDone)
        {
            return 0;
        }
        if (!_chunked)
        {
            if (_bodyLeft == 0)
            {
                _bodyDone = true;
                return 0;
            }
            int want = _bodyLeft > 0 ? (int)Math.Min(into.Length, _bodyLeft) : into.Length;
            int n = Take(into[..want]);
            if (n == 0 && _bodyLeft > 0)
            {
                throw new FormatException("connection closed in the body");
            }
            if (_bodyLeft > 0)
            {
                _bodyLeft -= n;
            }
            _bodyDone = n == 0;
            return n;
        }
        if (_chunkLeft == 0)
        {
            // The CRLF that ends a chunk's data.
            if (Line(2) is not "")
            {
                throw new FormatException("a chunk not followed by CRLF");
            }
            _chunkLeft = -1;
        }
        if (_chunkLeft < 0)
        {
            _chunkLeft = ChunkSize();
            if (_chunkLeft == 0)
            {
                SkipTrailers();
                _bodyDone = true;
                return 0;
            }
        }
        int got = Take(into[..(int)Math.Min(into.Length, _chunkLeft)]);
        if (got == 0)
        {
            throw new FormatException("connection closed in a chunk");
        }
        _chunkLeft -= got;
        return got;
    }

    /// <summary>A chunk-size line: hex digits, then an extension after ';' that is ignored.</summary>
    long ChunkSize()
    {
        string line = Line(MaxHeaderLine) ?? throw new FormatException("connection closed before a chunk");
        int end = line.IndexOf(';');
        ReadOnlySpan<char> digits = (end >= 0 ? line.AsSpan(0, end) : line.AsSpan()).TrimEnd(" \t");
        // Eight hex digits reach 4 GiB, more than any chunk we accept: longer is malformed,
        // not a number to overflow.
        if (digits.Length is 0 or > 8 || !long.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size))
        {
            throw new FormatException("bad chunk size: " + Printable.Cut(line));
        }
        if (size > MaxBody)
        {
            throw new FormatException($"a chunk of {size} bytes (at most {MaxBody})");
        }
        return size;
    }

    void SkipTrailers()
    {
        for (int count = 0; ; count++)
        {
            string? trailer = Line(MaxHeaderLine);
            if (trailer is null or "")
            {
                return; // the end of the stream counts as the end of the trailers (Connection: close)
            }
            if (count == MaxHeaders)
            {
                throw new FormatException($"more than {MaxHeaders} trailers");
            }
        }
    }

    /// <summary>Up to <paramref name="into"/>'s length from the buffer or the source; 0 at the end of the stream.</summary>
    int Take(Span<byte> into)
    {
        if (_start == _end && !Fill())
        {
            return 0;
        }
        int n = Math.Min(into.Length, _end - _start);
        _buffer!.AsSpan(_start, n).CopyTo(into);
        _start += n;
        return n;
    }

    /// <summary>A line without its CRLF (or LF), Latin-1; null at the end of the stream before any byte.</summary>
    string? Line(int max)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !Fill())
            {
                if (line.Length == 0)
                {
                    return null;
                }
                throw new FormatException("connection closed in a line");
            }
            byte b = _buffer![_start++];
            if (b == (byte)'\n')
            {
                return line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
            }
            // The CR before the LF may take the line one over.
            if (line.Length >= max + 1)
            {
                throw new FormatException($"a line of more than {max} bytes before the body");
            }
            line.Append((char)b);
        }
    }

    bool Fill()
    {
        if (_eof)
        {
            return false;
        }
        _buffer ??= new byte[BufferSize];
        _start = 0;
        _end = source.Read(_buffer);
        if (_end < 0 || _end > _buffer.Length)
        {
            throw new InvalidOperationException("byte source returned " + _end);
        }
        _eof = _end == 0;
        _received |= !_eof;
        return !_eof;
    }
}
