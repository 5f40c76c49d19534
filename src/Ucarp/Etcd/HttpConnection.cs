using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>
/// One HTTP/1.1 exchange with an etcd member over a TCP socket of libc's, through
/// OpenSSL for https: a POST with "Connection: close", then the status, the headers and
/// the body (plain or chunked), read with a timeout. This is all the JSON gateway needs;
/// .NET's HttpClient would have added 4.5 MB to the binary, and about 2.8 MB to the
/// resident memory of every daemon, CARP ones included.
/// </summary>
internal sealed class HttpConnection : IDisposable
{
    int _fd;
    nint _ssl;
    readonly byte[] _buffer = new byte[16384];
    int _start, _end;
    bool _chunked;
    long _chunkLeft = -1;    // bytes left in the current chunk; -1 before the first
    long _bodyLeft = -1;     // Content-Length left, -1 when none (until EOF)

    HttpConnection(int fd) => _fd = fd;

    /// <summary>Connects (and shakes hands, for https) within <paramref name="timeoutMs"/>; throws <see cref="HttpFailure"/>.</summary>
    public static unsafe HttpConnection Open(EtcdEndpoint endpoint, TlsContext? tls, int timeoutMs)
    {
        var connection = new HttpConnection(-1);
        try
        {
            connection._fd = ConnectTcp(endpoint.Host, endpoint.Port, timeoutMs);
            connection.SetTimeout(Libc.SO_RCVTIMEO, timeoutMs);
            connection.SetTimeout(Libc.SO_SNDTIMEO, timeoutMs);
            int one = 1;
            Libc.SetSockOpt(connection._fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &one, sizeof(int));
            if (tls is not null)
            {
                connection._ssl = tls.Handshake(connection._fd, endpoint.Host);
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Receive timeout from now on; 0: none (a watch waits as long as it takes).</summary>
    public void SetReceiveTimeout(int milliseconds) => SetTimeout(Libc.SO_RCVTIMEO, milliseconds);

    unsafe void SetTimeout(int option, int milliseconds)
    {
        var timeout = new TimeVal { Seconds = milliseconds / 1000, Microseconds = milliseconds % 1000 * 1000 };
        Libc.SetSockOpt(_fd, Libc.SOL_SOCKET, option, &timeout, (uint)sizeof(TimeVal));
    }

    static unsafe int ConnectTcp(string host, int port, int timeoutMs)
    {
        AddrInfo hints = default;
        hints.SockType = Libc.SOCK_STREAM;
        hints.Flags = 0x0400; // AI_NUMERICSERV
        AddrInfo* found;
        int code = Libc.GetAddrInfo(host, port.ToString(CultureInfo.InvariantCulture), &hints, &found);
        if (code != 0)
        {
            throw new HttpFailure(Marshal.PtrToStringUTF8((nint)Libc.GaiStrError(code)) ?? "cannot resolve " + host);
        }
        try
        {
            string error = "no address";
            for (AddrInfo* a = found; a is not null; a = a->Next)
            {
                int fd = Libc.Socket(a->Family, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, 0);
                if (fd < 0)
                {
                    error = Libc.StrError(Libc.LastErrno);
                    continue;
                }
                if (Libc.Connect(fd, a->Addr, a->AddrLen) == 0 || (Libc.LastErrno == Libc.EINPROGRESS && Connected(fd, timeoutMs, out error)))
                {
                    Libc.Fcntl(fd, Libc.F_SETFL, Libc.Fcntl(fd, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK);
                    return fd;
                }
                if (Libc.LastErrno != Libc.EINPROGRESS && error == "no address")
                {
                    error = Libc.StrError(Libc.LastErrno);
                }
                Libc.Close(fd);
            }
            throw new HttpFailure(error);
        }
        finally
        {
            Libc.FreeAddrInfo(found);
        }
    }

    static unsafe bool Connected(int fd, int timeoutMs, out string error)
    {
        var poll = new PollFd { Fd = fd, Events = Libc.POLLOUT };
        var timeout = new TimeSpec { Seconds = timeoutMs / 1000, Nanoseconds = timeoutMs % 1000 * 1_000_000L };
        int ready = Libc.PPoll(&poll, 1, &timeout, null);
        if (ready <= 0)
        {
            error = "connection timed out";
            return false;
        }
        int status = 0;
        uint length = sizeof(int);
        Libc.GetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &status, &length);
        error = status == 0 ? "" : Libc.StrError(status);
        return status == 0;
    }

    /// <summary>Sends a POST; the response is then read with <see cref="ReadHead"/> and <see cref="ReadBody"/> or <see cref="ReadLine"/>.</summary>
    public void Post(EtcdEndpoint endpoint, string path, string body, string? token)
    {
        var request = new StringBuilder(256 + body.Length);
        request.Append("POST ").Append(path).Append(" HTTP/1.1\r\nHost: ").Append(endpoint.Authority)
               .Append("\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ")
               .Append(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (token is not null)
        {
            request.Append("Authorization: ").Append(token).Append("\r\n");
        }
        request.Append("\r\n").Append(body);
        Write(Encoding.UTF8.GetBytes(request.ToString()));
    }

    /// <summary>The status line and headers; returns the status code.</summary>
    public int ReadHead()
    {
        string? status = RawLine() ?? throw new HttpFailure("connection closed before a response");
        string[] parts = status.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int code))
        {
            throw new HttpFailure("not an HTTP response: " + status);
        }
        while (RawLine() is string header && header.Length != 0)
        {
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
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, CultureInfo.InvariantCulture, out long length))
            {
                _bodyLeft = length;
            }
        }
        return code;
    }

    /// <summary>The whole body (to the end of the response).</summary>
    public string ReadBody()
    {
        var body = new MemoryStream();
        Span<byte> chunk = stackalloc byte[4096];
        int n;
        while ((n = ReadBodyBytes(chunk)) > 0)
        {
            body.Write(chunk[..n]);
        }
        return Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
    }

    /// <summary>The body's next line (the gateway ends each streamed message with one), or null at its end.</summary>
    public string? ReadLine()
    {
        var line = new MemoryStream();
        Span<byte> one = stackalloc byte[1];
        while (ReadBodyBytes(one) == 1)
        {
            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length);
            }
            line.WriteByte(one[0]);
        }
        return line.Length == 0 ? null : Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length);
    }

    int ReadBodyBytes(Span<byte> into)
    {
        if (!_chunked)
        {
            if (_bodyLeft == 0)
            {
                return 0;
            }
            int want = _bodyLeft > 0 ? (int)Math.Min(into.Length, _bodyLeft) : into.Length;
            int n = Take(into[..want]);
            if (_bodyLeft > 0)
            {
                _bodyLeft -= n;
            }
            return n;
        }
        if (_chunkLeft == 0)
        {
            RawLine(); // the CRLF after a chunk
            _chunkLeft = -1;
        }
        if (_chunkLeft < 0)
        {
            string size = RawLine() ?? "0";
            int semicolon = size.IndexOf(';');
            _chunkLeft = long.Parse(semicolon >= 0 ? size[..semicolon] : size, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (_chunkLeft == 0)
            {
                _chunked = false;
                _bodyLeft = 0;
                return 0;
            }
        }
        int got = Take(into[..(int)Math.Min(into.Length, _chunkLeft)]);
        _chunkLeft -= got;
        return got;
    }

    /// <summary>Up to <paramref name="into"/>'s length from the buffer or the socket; 0 at the end of the stream.</summary>
    int Take(Span<byte> into)
    {
        if (_start == _end && !Fill())
        {
            return 0;
        }
        int n = Math.Min(into.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(into);
        _start += n;
        return n;
    }

    string? RawLine()
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !Fill())
            {
                return line.Length == 0 ? null : line.ToString();
            }
            byte b = _buffer[_start++];
            if (b == (byte)'\n')
            {
                return line.ToString().TrimEnd('\r');
            }
            line.Append((char)b);
        }
    }

    unsafe bool Fill()
    {
        _start = 0;
        int n;
        fixed (byte* p = _buffer)
        {
            if (_ssl != 0)
            {
                n = OpenSsl.Read(_ssl, p, _buffer.Length);
                if (n <= 0)
                {
                    int error = OpenSsl.GetError(_ssl, n);
                    if (error == OpenSsl.SSL_ERROR_ZERO_RETURN)
                    {
                        _end = 0;
                        return false;
                    }
                    throw new HttpFailure(TlsContext.LastError("TLS read failed"), tls: true);
                }
            }
            else
            {
                n = (int)Libc.Recv(_fd, p, (nuint)_buffer.Length, 0);
                if (n < 0)
                {
                    int errno = Libc.LastErrno;
                    throw new HttpFailure(errno == Libc.EAGAIN ? "timed out" : Libc.StrError(errno));
                }
            }
        }
        _end = n;
        return n > 0;
    }

    unsafe void Write(byte[] data)
    {
        fixed (byte* p = data)
        {
            int sent = 0;
            while (sent < data.Length)
            {
                int n = _ssl != 0
                    ? OpenSsl.Write(_ssl, p + sent, data.Length - sent)
                    : (int)Libc.Send(_fd, p + sent, (nuint)(data.Length - sent), Libc.MSG_NOSIGNAL);
                if (n <= 0)
                {
                    if (_ssl == 0 && Libc.LastErrno == Libc.EINTR)
                    {
                        continue;
                    }
                    throw _ssl != 0 ? new HttpFailure(TlsContext.LastError("TLS write failed"), tls: true)
                                    : new HttpFailure(Libc.StrError(Libc.LastErrno));
                }
                sent += n;
            }
        }
    }

    public void Dispose()
    {
        if (_ssl != 0)
        {
            OpenSsl.Free(_ssl);
            _ssl = 0;
        }
        if (_fd >= 0)
        {
            Libc.Close(_fd);
            _fd = -1;
        }
    }
}

/// <summary>A request that failed on the way: no connection, a timeout, or (<see cref="Tls"/>) the TLS layer.</summary>
internal sealed class HttpFailure(string message, bool tls = false) : Exception(message)
{
    public bool Tls { get; } = tls;
}

/// <summary>
/// The OpenSSL context of an https:// client: the authority to trust (--etcd-cacert, else
/// the system's), the client certificate and key, peer verification with the endpoint's
/// host name or IP address checked.
/// </summary>
internal sealed class TlsContext : IDisposable
{
    nint _ctx;

    TlsContext(nint ctx) => _ctx = ctx;

    /// <summary>The context, or null with <paramref name="error"/> saying which file OpenSSL could not use.</summary>
    public static TlsContext? Create(string? ca, string? cert, string? key, out string error)
    {
        error = "";
        nint ctx;
        try
        {
            ctx = OpenSsl.CtxNew(OpenSsl.TlsClientMethod());
        }
        catch (DllNotFoundException)
        {
            error = "https:// needs OpenSSL 3 (libssl3)";
            return null;
        }
        var context = new TlsContext(ctx);
        if (ca is not null ? OpenSsl.CtxLoadVerifyLocations(ctx, ca, null) != 1 : OpenSsl.CtxSetDefaultVerifyPaths(ctx) != 1)
        {
            error = LastError($"--etcd-cacert [{ca}]");
        }
        else if (cert is not null && OpenSsl.CtxUseCertificateChainFile(ctx, cert) != 1)
        {
            error = LastError($"--etcd-cert [{cert}]");
        }
        else if (key is not null && (OpenSsl.CtxUsePrivateKeyFile(ctx, key, OpenSsl.SSL_FILETYPE_PEM) != 1 || OpenSsl.CtxCheckPrivateKey(ctx) != 1))
        {
            error = LastError($"--etcd-key [{key}]");
        }
        if (error.Length != 0)
        {
            context.Dispose();
            return null;
        }
        OpenSsl.CtxSetVerify(ctx, OpenSsl.SSL_VERIFY_PEER, 0);
        return context;
    }

    /// <summary>TLS on a connected socket; throws <see cref="HttpFailure"/> (Tls) when the handshake fails.</summary>
    public nint Handshake(int fd, string host)
    {
        nint ssl = OpenSsl.New(_ctx);
        OpenSsl.SetFd(ssl, fd);
        if (Core.Cli.Inet.TryParse(host, out _))
        {
            OpenSsl.VerifyParamSet1IpAsc(OpenSsl.Get0Param(ssl), host);
        }
        else
        {
            OpenSsl.Set1Host(ssl, host);
            OpenSsl.Ctrl(ssl, OpenSsl.SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, host);
        }
        if (OpenSsl.Connect(ssl) != 1)
        {
            long verify = OpenSsl.GetVerifyResult(ssl);
            string reason = verify != 0 ? VerifyError(verify) : LastError("handshake failed");
            OpenSsl.Free(ssl);
            throw new HttpFailure(reason, tls: true);
        }
        return ssl;
    }

    static unsafe string VerifyError(long code) =>
        "certificate verify failed: " + (Marshal.PtrToStringUTF8((nint)OpenSsl.VerifyCertErrorString(code)) ?? code.ToString(CultureInfo.InvariantCulture));

    /// <summary>OpenSSL's last error, after <paramref name="what"/>.</summary>
    public static unsafe string LastError(string what)
    {
        ulong code = OpenSsl.ErrGetError();
        if (code == 0)
        {
            return what;
        }
        byte* text = stackalloc byte[256];
        OpenSsl.ErrErrorStringN(code, text, 256);
        return what + ": " + Marshal.PtrToStringUTF8((nint)text);
    }

    public void Dispose()
    {
        if (_ctx != 0)
        {
            OpenSsl.CtxFree(_ctx);
            _ctx = 0;
        }
    }
}
