using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>
/// One HTTP/1.1 exchange with an etcd member over a TCP socket of libc's, through
/// OpenSSL for https: a POST with "Connection: close", then the response, which
/// <see cref="HttpResponseReader"/> reads (and bounds, with the daemon's other answers:
/// <see cref="MemoryBudget.Answers"/>) from this connection's bytes.
/// The whole exchange, connection and handshake included, has a deadline on the
/// monotonic clock: a member that trickles a byte at a time cannot hold it longer (a
/// watch lifts the deadline once its stream has begun). .NET's HttpClient would have
/// added 4.5 MB to the binary, and about 2.8 MB to the resident memory of every daemon,
/// CARP ones included.
/// </summary>
internal sealed class HttpConnection : IByteSource, IDisposable
{
    int _fd = -1;
    nint _ssl;
    readonly Lock _gate = new();     // _fd against Abort from another thread
    readonly Timer _deadline;
    volatile string? _aborted;       // why the connection was shut down under the reader

    HttpConnection(int timeoutMs)
    {
        Response = new HttpResponseReader(this, MemoryBudget.Answers);
        _deadline = new Timer(static c => ((HttpConnection)c!).Abort("timed out"), this, timeoutMs, Timeout.Infinite);
    }

    /// <summary>The response, once <see cref="Post"/> has sent the request.</summary>
    public HttpResponseReader Response { get; }

    /// <summary>Connects (and shakes hands, for https); the exchange must end within <paramref name="timeoutMs"/>. Throws <see cref="HttpFailure"/>.</summary>
    public static unsafe HttpConnection Open(EtcdEndpoint endpoint, TlsContext? tls, int timeoutMs)
    {
        var connection = new HttpConnection(timeoutMs);
        try
        {
            if (!TryConnectTcp(endpoint.Host, endpoint.Port, timeoutMs, out int fd, out SysError error))
            {
                throw new HttpFailure(error.Text);
            }
            lock (connection._gate)
            {
                connection._fd = fd;
            }
            connection.ThrowIfAborted();
            connection.SetTimeout(Libc.SO_RCVTIMEO, timeoutMs);
            connection.SetTimeout(Libc.SO_SNDTIMEO, timeoutMs);
            int one = 1;
            Libc.SetSockOpt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &one, sizeof(int));
            if (tls is not null)
            {
                connection._ssl = tls.Handshake(fd, endpoint.Host, () => connection._aborted);
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Shuts the socket down, from any thread: a recv blocked on it returns, and the
    /// exchange fails with <paramref name="reason"/>. Used by the deadline and to end a watch.
    /// </summary>
    public void Abort(string reason)
    {
        lock (_gate)
        {
            _aborted ??= reason;
            if (_fd >= 0)
            {
                Libc.Shutdown(_fd, Libc.SHUT_RDWR);
            }
        }
    }

    /// <summary>No deadline from now on (a watch waits for events as long as it takes), and no receive timeout.</summary>
    public void Unbounded()
    {
        _deadline.Change(Timeout.Infinite, Timeout.Infinite);
        SetTimeout(Libc.SO_RCVTIMEO, 0);
    }

    void ThrowIfAborted()
    {
        if (_aborted is string reason)
        {
            throw new HttpFailure(reason);
        }
    }

    unsafe void SetTimeout(int option, int milliseconds)
    {
        var timeout = new TimeVal { Seconds = milliseconds / 1000, Microseconds = milliseconds % 1000 * 1000 };
        Libc.SetSockOpt(_fd, Libc.SOL_SOCKET, option, &timeout, (uint)sizeof(TimeVal));
    }

    /// <summary>A connected socket to one of the host's addresses; false with the resolver's words, or the first address's failure.</summary>
    static unsafe bool TryConnectTcp(string host, int port, int timeoutMs, out int fd, out SysError error)
    {
        fd = -1;
        AddrInfo hints = default;
        hints.SockType = Libc.SOCK_STREAM;
        hints.Flags = 0x0400; // AI_NUMERICSERV
        AddrInfo* found;
        int code = Libc.GetAddrInfo(host, port.ToString(CultureInfo.InvariantCulture), &hints, &found);
        if (code != 0)
        {
            error = new SysError(0, Marshal.PtrToStringUTF8((nint)Libc.GaiStrError(code)) ?? "cannot resolve " + host);
            return false;
        }
        try
        {
            var noAddress = new SysError(0, "no address");
            error = noAddress;
            for (AddrInfo* a = found; a is not null; a = a->Next)
            {
                int socket = Libc.Socket(a->Family, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, 0);
                if (socket < 0)
                {
                    error = SysError.Last();
                    continue;
                }
                if (Libc.Connect(socket, a->Addr, a->AddrLen) == 0 || (Libc.LastErrno == Libc.EINPROGRESS && TryFinishConnect(socket, timeoutMs, out error)))
                {
                    Libc.Fcntl(socket, Libc.F_SETFL, Libc.Fcntl(socket, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK);
                    fd = socket;
                    error = SysError.None;
                    return true;
                }
                if (Libc.LastErrno != Libc.EINPROGRESS && error == noAddress)
                {
                    error = SysError.Last();
                }
                Libc.Close(socket);
            }
            return false;
        }
        finally
        {
            Libc.FreeAddrInfo(found);
        }
    }

    /// <summary>Waits for a non-blocking connect to end; false when it timed out or failed (SO_ERROR).</summary>
    static unsafe bool TryFinishConnect(int fd, int timeoutMs, out SysError error)
    {
        var poll = new PollFd { Fd = fd, Events = Libc.POLLOUT };
        var timeout = new TimeSpec { Seconds = timeoutMs / 1000, Nanoseconds = timeoutMs % 1000 * 1_000_000L };
        int ready = Libc.PPoll(&poll, 1, &timeout, null);
        if (ready <= 0)
        {
            error = new SysError(0, "connection timed out");
            return false;
        }
        int status = 0;
        uint length = sizeof(int);
        Libc.GetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &status, &length);
        error = new SysError(status);
        return status == 0;
    }

    /// <summary>Sends a POST; the response is then read with <see cref="Response"/>.</summary>
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

    /// <summary>The response's bytes, from the socket or the TLS session.</summary>
    public unsafe int Read(Span<byte> into)
    {
        ThrowIfAborted();
        int n;
        fixed (byte* p = into)
        {
            if (_ssl != 0)
            {
                OpenSsl.ErrClearError();
                n = OpenSsl.Read(_ssl, p, into.Length);
                if (n <= 0)
                {
                    int error = OpenSsl.GetError(_ssl, n);
                    ThrowIfAborted();
                    if (error == OpenSsl.SSL_ERROR_ZERO_RETURN)
                    {
                        return 0;
                    }
                    throw new HttpFailure(TlsContext.LastError("TLS read failed"), tls: TlsContext.IsTlsError(error));
                }
            }
            else
            {
                n = (int)Libc.Recv(_fd, p, (nuint)into.Length, 0);
                if (n < 0)
                {
                    SysError error = SysError.Last();
                    throw new HttpFailure(error.Errno == Libc.EAGAIN ? "timed out" : error.Text);
                }
                ThrowIfAborted();
            }
        }
        return n;
    }

    unsafe void Write(byte[] data)
    {
        fixed (byte* p = data)
        {
            int sent = 0;
            while (sent < data.Length)
            {
                if (_ssl != 0)
                {
                    OpenSsl.ErrClearError();
                }
                int n = _ssl != 0
                    ? OpenSsl.Write(_ssl, p + sent, data.Length - sent)
                    : (int)Libc.Send(_fd, p + sent, (nuint)(data.Length - sent), Libc.MSG_NOSIGNAL);
                if (n <= 0)
                {
                    if (_ssl == 0 && Libc.LastErrno == Libc.EINTR)
                    {
                        continue;
                    }
                    ThrowIfAborted();
                    throw _ssl != 0 ? new HttpFailure(TlsContext.LastError("TLS write failed"), tls: TlsContext.IsTlsError(OpenSsl.GetError(_ssl, n)))
                                    : new HttpFailure(SysError.Last().Text);
                }
                sent += n;
            }
        }
    }

    public void Dispose()
    {
        _deadline.Dispose();
        Response.Dispose();
        if (_ssl != 0)
        {
            OpenSsl.Free(_ssl);
            _ssl = 0;
        }
        lock (_gate)
        {
            if (_fd >= 0)
            {
                Libc.Close(_fd);
                _fd = -1;
            }
        }
    }
}

/// <summary>A request that failed on the way: no connection, a timeout, or (<see cref="Tls"/>) the TLS layer.</summary>
internal sealed class HttpFailure(string message, bool tls = false) : Exception(message)
{
    public bool Tls { get; } = tls;
}
