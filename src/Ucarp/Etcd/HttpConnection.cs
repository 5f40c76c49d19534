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
/// <see cref="HttpResponseReader"/> reads (and bounds) from this connection's bytes.
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
        Response = new HttpResponseReader(this);
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
            int fd = ConnectTcp(endpoint.Host, endpoint.Port, timeoutMs);
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
                    int errno = Libc.LastErrno;
                    throw new HttpFailure(errno == Libc.EAGAIN ? "timed out" : Libc.StrError(errno));
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
                                    : new HttpFailure(Libc.StrError(Libc.LastErrno));
                }
                sent += n;
            }
        }
    }

    public void Dispose()
    {
        _deadline.Dispose();
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
            OpenSsl.ErrClearError();
            ctx = OpenSsl.CtxNew(OpenSsl.TlsClientMethod());
        }
        catch (DllNotFoundException)
        {
            error = "https:// needs OpenSSL 3 (libssl3)";
            return null;
        }
        if (ctx == 0)
        {
            error = LastError("SSL_CTX_new failed");
            return null;
        }
        var context = new TlsContext(ctx);
        OpenSsl.ErrClearError();
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

    /// <summary>
    /// TLS on a connected socket; throws <see cref="HttpFailure"/>, with Tls set only when
    /// the peer's certificate or ours was refused: a handshake cut short by the deadline
    /// (<paramref name="aborted"/> says why) or by the peer going away is "unreachable".
    /// </summary>
    public nint Handshake(int fd, string host, Func<string?> aborted)
    {
        OpenSsl.ErrClearError();
        nint ssl = OpenSsl.New(_ctx);
        if (ssl == 0)
        {
            throw new HttpFailure(LastError("SSL_new failed"));
        }
        try
        {
            if (OpenSsl.SetFd(ssl, fd) != 1)
            {
                throw new HttpFailure(LastError("SSL_set_fd failed"));
            }
            bool named = !Core.Cli.Inet.TryParse(host, out _);
            // Without the name or address to check, any certificate of the authority would
            // pass: not connecting is the only safe answer.
            if (named ? OpenSsl.Set1Host(ssl, host) != 1 : OpenSsl.VerifyParamSet1IpAsc(OpenSsl.Get0Param(ssl), host) != 1)
            {
                throw new HttpFailure(LastError($"cannot set the peer name to verify [{host}]"), tls: true);
            }
            if (named && OpenSsl.Ctrl(ssl, OpenSsl.SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, host) != 1)
            {
                throw new HttpFailure(LastError($"cannot set the server name [{host}]"), tls: true);
            }
            int result = OpenSsl.Connect(ssl);
            if (result != 1)
            {
                int error = OpenSsl.GetError(ssl, result);
                long verify = OpenSsl.GetVerifyResult(ssl);
                if (aborted() is string reason)
                {
                    throw new HttpFailure("TLS handshake " + reason);
                }
                throw verify != 0 ? new HttpFailure(VerifyError(verify), tls: true)
                                  : new HttpFailure(LastError("handshake failed"), tls: IsTlsError(error));
            }
            return ssl;
        }
        catch
        {
            OpenSsl.Free(ssl);
            throw;
        }
    }

    /// <summary>
    /// Whether a failed TLS operation is the TLS layer saying no (an alert, a protocol
    /// error), rather than the network: a timeout or a closed connection.
    /// </summary>
    public static bool IsTlsError(int sslError) =>
        sslError == OpenSsl.SSL_ERROR_SSL && (OpenSsl.ErrPeekError() & OpenSsl.ERR_REASON_MASK) != OpenSsl.SSL_R_UNEXPECTED_EOF_WHILE_READING;

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
