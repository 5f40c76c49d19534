using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>
/// An HTTP/1.1 connection to an etcd member over a TCP socket of libc's, through OpenSSL
/// for https: a POST, then the response, which <see cref="HttpResponseReader"/> reads (and
/// bounds, with the daemon's other answers: <see cref="MemoryBudget.Answers"/>) from this
/// connection's bytes. A unary request's connection may be kept for the next one
/// (<see cref="IdleConnections"/>); a watch's says "Connection: close".
/// Each exchange, connection and handshake included for a new one, has a deadline on the
/// monotonic clock: a member that trickles a byte at a time cannot hold it longer (a
/// watch lifts the deadline once its stream has begun). .NET's HttpClient would have
/// added 4.5 MB to the binary, and about 2.8 MB to the resident memory of every daemon,
/// CARP ones included.
/// </summary>
internal sealed class HttpConnection : IByteSource, IDisposable
{
    /// <summary>What the one timer of a connection ends: its exchange (the deadline), its idle time, or nothing (a watch's stream).</summary>
    enum Phase { Exchange, Idle, Expired, Unbounded }

    int _fd = -1;
    nint _ssl;
    readonly Lock _gate = new();     // _fd against Abort from another thread; the phase against the timer
    readonly Timer _timer;
    Phase _phase = Phase.Exchange;
    long _due;                       // when the phase ends (Environment.TickCount64, ms)
    Action<HttpConnection>? _expired; // what takes an idle connection away when its idle time is over
    bool _disposed;
    volatile string? _aborted;       // why the connection was shut down under the reader
    volatile bool _peerClosed;       // the member closed or reset the connection (not our deadline)

    HttpConnection(TlsContext? tls, int timeoutMs)
    {
        Tls = tls;
        Response = new HttpResponseReader(this, MemoryBudget.Answers);
        _due = Environment.TickCount64 + timeoutMs;
        _timer = new Timer(static c => ((HttpConnection)c!).OnTimer(), this, timeoutMs, Timeout.Infinite);
    }

    /// <summary>The response, once <see cref="Post"/> has sent the request.</summary>
    public HttpResponseReader Response { get; }

    /// <summary>The TLS context the connection shook hands with (null for http://): one made with certificates a reload replaced is never used again.</summary>
    public TlsContext? Tls { get; }

    /// <summary>
    /// The member closed or reset the connection (an end of stream, ECONNRESET, EPIPE, a
    /// TLS close), rather than our deadline or nonsense ending it: on a kept connection, the
    /// member closing it while it was idle.
    /// </summary>
    public bool ClosedByPeer => _peerClosed && _aborted is null;

    /// <summary>Connects (and shakes hands, for https); the exchange must end within <paramref name="timeoutMs"/>. Throws <see cref="HttpFailure"/>.</summary>
    public static unsafe HttpConnection Open(EtcdEndpoint endpoint, TlsContext? tls, int timeoutMs)
    {
        var connection = new HttpConnection(tls, timeoutMs);
        try
        {
            if (!TcpConnector.TryConnect(endpoint.Host, endpoint.Port, timeoutMs, out int fd, out SysError error))
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
        lock (_gate)
        {
            _phase = Phase.Unbounded;
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
        }
        SetTimeout(Libc.SO_RCVTIMEO, 0);
    }

    /// <summary>
    /// The response was read whole and may be followed by another (<see cref="HttpResponseReader.Reusable"/>):
    /// the connection waits, holding no buffer, until <see cref="TryResume"/> or until
    /// <paramref name="idleMs"/> have passed, when <paramref name="expired"/> is called (from
    /// the timer's thread) to take it away. False when it cannot wait: it was aborted.
    /// </summary>
    public bool TryPark(int idleMs, Action<HttpConnection> expired)
    {
        if (!Response.Reusable)
        {
            return false;
        }
        lock (_gate)
        {
            if (_aborted is not null || _disposed || _phase != Phase.Exchange)
            {
                return false;
            }
            Response.Reset();
            _phase = Phase.Idle;
            _expired = expired;
            Arm(idleMs);
        }
        return true;
    }

    /// <summary>An idle connection starts its next exchange, which must end within <paramref name="timeoutMs"/>; false when its idle time is over.</summary>
    public bool TryResume(int timeoutMs)
    {
        lock (_gate)
        {
            if (_phase != Phase.Idle || _aborted is not null || _disposed)
            {
                return false;
            }
            _phase = Phase.Exchange;
            _expired = null;
            Arm(timeoutMs);
        }
        return true;
    }

    void Arm(int ms)
    {
        _due = Environment.TickCount64 + ms;
        _timer.Change(ms, Timeout.Infinite);
    }

    /// <summary>
    /// The one timer fired: the exchange's deadline aborts it, the idle time's end has the
    /// connection taken away. A firing meant for an earlier phase, or early for this one
    /// (the timer's clock and TickCount64 may disagree by a tick), waits again for the rest.
    /// </summary>
    void OnTimer()
    {
        Action<HttpConnection>? expired = null;
        lock (_gate)
        {
            if (_disposed || _phase is Phase.Expired or Phase.Unbounded)
            {
                return;
            }
            long left = _due - Environment.TickCount64;
            if (left > 0)
            {
                _timer.Change(left, Timeout.Infinite);
                return;
            }
            if (_phase == Phase.Exchange)
            {
                Abort("timed out");   // under the gate already: System.Threading.Lock is reentrant
                return;
            }
            _phase = Phase.Expired;
            (expired, _expired) = (_expired, null);
        }
        expired?.Invoke(this);
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

    /// <summary>
    /// Sends a POST; the response is then read with <see cref="Response"/>. A watch's says
    /// "Connection: close" (<paramref name="keepAlive"/> false): its stream ends the connection.
    /// </summary>
    public void Post(EtcdEndpoint endpoint, string path, string body, string? token, bool keepAlive)
    {
        var request = new StringBuilder(256 + body.Length);
        request.Append("POST ").Append(path).Append(" HTTP/1.1\r\nHost: ").Append(endpoint.Authority)
               .Append(keepAlive ? "\r\nContent-Type: application/json\r\nContent-Length: " : "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ")
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
                    _peerClosed = TlsContext.IsPeerGone(error);
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
                    _peerClosed = error.Errno is Libc.ECONNRESET or Libc.EPIPE;
                    throw new HttpFailure(error.Errno == Libc.EAGAIN ? "timed out" : error.Text);
                }
                ThrowIfAborted();
                _peerClosed = n == 0;
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
                    int errno = Libc.LastErrno;
                    if (_ssl == 0 && errno == Libc.EINTR)
                    {
                        continue;
                    }
                    ThrowIfAborted();
                    if (_ssl == 0)
                    {
                        _peerClosed = errno is Libc.ECONNRESET or Libc.EPIPE;
                        throw new HttpFailure(new SysError(errno).Text);
                    }
                    // In this order, as always: the error's words are taken off OpenSSL's queue before SSL_get_error looks at it.
                    string message = TlsContext.LastError("TLS write failed");
                    int sslError = OpenSsl.GetError(_ssl, n);
                    _peerClosed = TlsContext.IsPeerGone(sslError);
                    throw new HttpFailure(message, tls: TlsContext.IsTlsError(sslError));
                }
                sent += n;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _timer.Dispose();
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
