namespace Ucarp.Etcd;

/// <summary>
/// A client's kept connections: at most one idle connection per endpoint, which the next
/// unary request to that endpoint takes instead of connecting (and shaking hands) again.
/// Requests at once beyond the first open their own; when they end, the last one kept
/// replaces (and closes) the one before, so a burst of a thousand campaigns leaves one
/// connection per member, not thirty-two. A connection is kept for <see cref="IdleMs"/>
/// at most, shorter than the idle timeouts servers and proxies commonly use (nginx's is
/// 75 s), so that a member seldom closes one just as a request goes out; one that closes
/// sooner costs a request sent again (<see cref="EtcdClient"/>'s Exchange), not a failure.
/// The socket, a timer and (https) an SSL object without buffers are all an idle
/// connection holds. One made with a TLS context that a reload replaced is never taken again.
/// </summary>
internal sealed class IdleConnections : IDisposable
{
    /// <summary>How long an idle connection is kept (ms).</summary>
    public const int IdleMs = 30_000;

    readonly int _idleMs;
    readonly HttpConnection?[] _idle;
    readonly Action<HttpConnection>[] _expire;   // one per endpoint, made once: keeping a connection allocates nothing
    volatile bool _closed;

    /// <param name="idleMs">How long one is kept: <see cref="IdleMs"/>, or less in a test.</param>
    public IdleConnections(int endpoints, int idleMs = IdleMs)
    {
        _idleMs = idleMs;
        _idle = new HttpConnection?[endpoints];
        _expire = new Action<HttpConnection>[endpoints];
        for (int i = 0; i < endpoints; i++)
        {
            int slot = i;
            _expire[i] = c => Remove(slot, c);
        }
    }

    /// <summary>
    /// The endpoint's idle connection, its next exchange bounded by <paramref name="timeoutMs"/>;
    /// null when there is none, or none made with <paramref name="tls"/> (the client's context now).
    /// </summary>
    public HttpConnection? Take(int endpoint, TlsContext? tls, int timeoutMs)
    {
        if (endpoint < 0 || Interlocked.Exchange(ref _idle[endpoint], null) is not HttpConnection idle)
        {
            return null;
        }
        if (idle.Tls == tls && idle.TryResume(timeoutMs))
        {
            return idle;
        }
        idle.Dispose();
        return null;
    }

    /// <summary>
    /// Keeps a connection whose response was read whole, in place of the endpoint's idle one;
    /// or closes it: its response said it cannot carry another, its TLS context is no longer
    /// the client's (<paramref name="tls"/>), or the client is closed.
    /// </summary>
    public void Park(int endpoint, HttpConnection connection, TlsContext? tls)
    {
        if (endpoint < 0 || _closed || connection.Tls != tls || !connection.TryPark(_idleMs, _expire[endpoint]))
        {
            connection.Dispose();
            return;
        }
        Interlocked.Exchange(ref _idle[endpoint], connection)?.Dispose();
        if (_closed)
        {
            CloseAll();   // closed while it was being kept
        }
    }

    /// <summary>Closes every idle connection (new TLS material; the client closing).</summary>
    public void CloseAll()
    {
        for (int i = 0; i < _idle.Length; i++)
        {
            Interlocked.Exchange(ref _idle[i], null)?.Dispose();
        }
    }

    /// <summary>An idle connection's time is over: closed, unless a request took it first (it then closes it itself).</summary>
    void Remove(int endpoint, HttpConnection connection)
    {
        if (Interlocked.CompareExchange(ref _idle[endpoint], null, connection) == connection)
        {
            connection.Dispose();
        }
    }

    /// <summary>How many connections are kept now (tests).</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (HttpConnection? c in _idle)
            {
                count += c is null ? 0 : 1;
            }
            return count;
        }
    }

    public void Dispose()
    {
        _closed = true;
        CloseAll();
    }
}
