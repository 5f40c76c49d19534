using System.Collections.Concurrent;
using System.Text;
using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>
/// etcd's v3 API through its JSON gateway (the grpc-gateway every etcd 3.x serves on
/// its client port): one small HTTP/1.1 exchange per request (<see cref="HttpConnection"/>),
/// on a connection kept from the last one to that member when there is one
/// (<see cref="IdleConnections"/>), and a little JSON (<see cref="Json"/>); no gRPC stack, no reflection. Requests run on
/// the thread pool (a watch on a thread of its own); their replies are queued for the
/// event loop, which an eventfd wakes. The loop alone touches the election.
///
/// Endpoints are tried in turn: a request that cannot reach a member, or that a member
/// cannot serve (no leader yet), goes to the next at once, so the loss of a member or of
/// the leader costs a failed connection, not the address.
/// </summary>
internal sealed partial class EtcdClient : IEtcdSender, IDisposable
{
    const int AttemptTimeoutMs = 700;
    // The members read from etcd's answers: the replies', the auth token, an error's message.
    static readonly string[] Members = [.. EtcdReplies.Members, "token"];

    readonly EtcdEndpoint[] _endpoints;
    readonly IdleConnections _kept;
    TlsContext? _tls;   // replaced by a reload that read the certificates again
    readonly string? _user;
    readonly string? _password;
    readonly ConcurrentQueue<EtcdReply> _replies = new();
    readonly FileDescriptor _wake;
    // The keys' requests (campaigns, releases, sweeps): a queue and up to 32 threads. A
    // thousand campaigns at once (the holder of a thousand addresses died) then take a few
    // dozen of etcd's commits, not a thousand; an idle worker ends after IdleWorkerMs.
    const int MaxWorkers = 32;
    const int IdleWorkerMs = 10_000;
    readonly ConcurrentQueue<EtcdRequest> _work = new();
    readonly SemaphoreSlim _workReady = new(0);
    int _workers;
    int _idle;
    volatile bool _disposed;
    int _current;
    volatile string? _token;

    public EtcdClient(EtcdConnection connection)
    {
        _endpoints = Lists.ToArray(connection.Endpoints);
        _kept = new IdleConnections(_endpoints.Length);
        _tls = connection.Tls;
        _user = connection.User;
        // Read as bytes (one char each, as -o's password, so the -B handover is exact); etcd
        // takes the password as UTF-8 text.
        _password = connection.Password is null ? null : Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(connection.Password));
        _wake = new FileDescriptor(Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK));
        // A request blocks a pool thread until answered or timed out; the renewals retried
        // while others hang (an etcd leader election) must not queue behind them.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 12), io);
    }

    /// <summary>Readable when replies wait.</summary>
    public int WakeFd => _wake.Fd;

    public void Send(in EtcdRequest request) => Send(request, stream: 0);

    /// <param name="stream">A watch's stream: a new watch replaces the last one of its stream (the session has one,
    /// over its prefix; each follow-mode group sharing the client has its own), whose connection (perhaps to a
    /// member that went silent) is shut so its thread ends.</param>
    public void Send(EtcdRequest request, int stream)
    {
        if (request.Op == EtcdOp.Watch)
        {
            int generation = ReplaceWatch(stream);
            new Thread(() => WatchRoot(request, stream, generation)) { IsBackground = true, Name = "etcd watch" }.Start();
            return;
        }
        if (request.Op is EtcdOp.Grant or EtcdOp.KeepAlive or EtcdOp.Revoke)
        {
            // The lease's requests never wait behind the keys' (a thousand campaigns at once).
            ThreadPool.UnsafeQueueUserWorkItem(Run, request, preferLocal: false);
            return;
        }
        _work.Enqueue(request);
        if (Volatile.Read(ref _idle) == 0)
        {
            StartWorker(); // none is waiting: another thread, up to MaxWorkers
        }
        _workReady.Release();
    }

    /// <summary>Runs one request; whatever a member sends, the request fails: nothing ends the daemon.</summary>
    void Run(EtcdRequest r)
    {
        try
        {
            Post(Execute(r));
        }
        catch (Exception e)
        {
            Post(new EtcdReply(r.Id, r.Op, false, e.Message, Refused: e is EtcdException { Answered: true }));
        }
    }

    void StartWorker()
    {
        lock (_work)
        {
            if (_workers >= MaxWorkers)
            {
                return;
            }
            _workers++;
        }
        new Thread(Worker) { IsBackground = true, Name = "etcd request" }.Start();
    }

    /// <summary>A worker: the keys' requests, at most <see cref="MaxWorkers"/> at once, so a burst does not open a thousand connections.</summary>
    void Worker()
    {
        while (true)
        {
            Interlocked.Increment(ref _idle);
            bool woken = _workReady.Wait(IdleWorkerMs);
            Interlocked.Decrement(ref _idle);
            if (!woken)
            {
                lock (_work)
                {
                    // Nothing came for a while: this thread ends (another starts when work comes).
                    if (_work.IsEmpty)
                    {
                        _workers--;
                        return;
                    }
                }
                continue;
            }
            if (_disposed)
            {
                return;
            }
            if (_work.TryDequeue(out EtcdRequest r))
            {
                Run(r);
            }
        }
    }

    /// <summary>The next reply waiting, for the loop; false when none is left.</summary>
    public bool TryTake(out EtcdReply reply)
    {
        if (_replies.TryDequeue(out reply))
        {
            return true;
        }
        Drain();
        return _replies.TryDequeue(out reply);
    }

    unsafe void Drain()
    {
        ulong value;
        Libc.Read(_wake.Fd, &value, sizeof(ulong));
    }

    void Post(in EtcdReply reply)
    {
        _replies.Enqueue(reply);
        _wake.Notify();
    }

    EtcdReply Execute(EtcdRequest r)
    {
        // An op with no etcd request fails as a reply (nothing a request carries ends the
        // daemon); a watch streams, on a thread of its own (Send), never as one call.
        if (!EtcdRequestEncoder.TryEncode(r, out EncodedRequest e, out string? error))
        {
            return new EtcdReply(r.Id, r.Op, false, error);
        }
        if (e.Reply == EtcdReplyKind.WatchEvents)
        {
            return new EtcdReply(r.Id, r.Op, false, "a watch is not a single call");
        }
        return Call(e.Path, e.Body, d => EtcdReplies.Read(e.Reply, r, d), e.NotFoundIsOk, e.Skip);
    }

    /// <summary>
    /// One unary call: the current endpoint first, then the others, until one gives an
    /// answer <paramref name="answer"/> can read. An expired auth token is renewed once.
    /// </summary>
    EtcdReply Call(string path, string body, Func<object?, EtcdReply> answer, bool notFoundIsOk = false, int skip = 0)
    {
        string error = "no endpoint answered";
        bool answered = false;   // a member answered, with an error: etcd is within reach
        foreach (EtcdEndpoint endpoint in Rotation(skip))
        {
            try
            {
                EnsureToken(endpoint);
                (EtcdReply? reply, string message) = Attempt(endpoint, path, body, answer);
                if (reply is null && _user is not null && message.Contains("token", StringComparison.Ordinal))
                {
                    _token = null;
                    EnsureToken(endpoint);
                    (reply, message) = Attempt(endpoint, path, body, answer);
                }
                if (reply is EtcdReply read)
                {
                    return read;
                }
                if (notFoundIsOk && message.Contains("not found", StringComparison.Ordinal))
                {
                    return answer(null);
                }
                error = message;
                answered = true;
                Next(endpoint);
            }
            catch (Exception e) when (e is HttpFailure or FormatException)
            {
                error = e.Message;
                Next(endpoint);
            }
        }
        throw new EtcdException(error) { Answered = answered };
    }

    /// <summary>One exchange: the answer read, or (not 200) what etcd said instead. An answer that says nothing throws: the next member is asked.</summary>
    (EtcdReply? Reply, string Message) Attempt(EtcdEndpoint endpoint, string path, string body, Func<object?, EtcdReply> answer) =>
        Exchange(endpoint, path, body, _token, (status, doc) => status == 200 ? (answer(doc), "") : ((EtcdReply?)null, ErrorText(doc)));

    void EnsureToken(EtcdEndpoint endpoint)
    {
        if (_user is not null && _token is null)
        {
            Authenticate(endpoint);
        }
    }

    /// <summary>Authenticates with --etcd-user and the password file's password; throws EtcdException (Refused) when etcd says no.</summary>
    public void Authenticate(EtcdEndpoint endpoint) =>
        _token = Exchange(endpoint, "/v3/auth/authenticate", $"{{\"name\":{Json.Quote(_user!)},\"password\":{Json.Quote(_password ?? "")}}}", token: null,
                          (status, doc) => status == 200 && Json.String(doc, "token") is string token ? token : throw new EtcdException(ErrorText(doc), refused: true));

    /// <summary>One request to one member (the maintenance status), to see whether the network and TLS let us in.</summary>
    public void Ping(EtcdEndpoint endpoint) => Exchange(endpoint, "/v3/maintenance/status", "{}", token: null, (_, _) => 0);

    /// <summary>
    /// One request to one member; its answer (status, and the body's JSON or null) is read by
    /// <paramref name="read"/> while the connection still holds it, so that the memory it
    /// takes (<see cref="MemoryBudget"/>) is given back only once its tree is done with.
    /// The member's idle connection is used when there is one, and the connection kept
    /// after an answer read whole that lets it carry another; any failure closes it.
    /// </summary>
    T Exchange<T>(EtcdEndpoint endpoint, string path, string body, string? token, Func<int, object?, T> read)
    {
        TlsContext? tls = Volatile.Read(ref _tls);
        int slot = Array.IndexOf(_endpoints, endpoint);
        HttpConnection? kept = _kept.Take(slot, tls, AttemptTimeoutMs);
        HttpConnection connection = kept ?? HttpConnection.Open(endpoint, tls, AttemptTimeoutMs);
        try
        {
            int status;
            try
            {
                connection.Post(endpoint, path, body, token, keepAlive: true);
                status = connection.Response.ReadHead();
            }
            catch (Exception e) when (e is HttpFailure or FormatException && connection == kept && connection.ClosedByPeer && !connection.Response.Received)
            {
                // The member closed the kept connection while it was idle (its end of
                // stream, a reset, a broken pipe) and no byte of an answer came: sent once
                // more, on a new connection, with its own deadline. Safe: a server closes an
                // idle connection between requests, so it did not read this one (RFC 9112
                // 9.3.1 lets a client retry then); and were it a member that read the request
                // and died before answering, its failure would have sent the same request to
                // the next member, as it always has (the election's requests are made to be
                // asked again: a renewal, a compare-and-create). Any byte of an answer, a
                // timeout, or a failure on a new connection is never sent again here.
                connection.Dispose();
                connection = HttpConnection.Open(endpoint, tls, AttemptTimeoutMs);
                connection.Post(endpoint, path, body, token, keepAlive: true);
                status = connection.Response.ReadHead();
            }
            ReadOnlyMemory<byte> text = connection.Response.ReadBody();
            T result = read(status, text.IsEmpty ? null : Json.Parse(text.Span, Members, connection.Response.Memory));
            // Kept once the tree read from its answer is done with (keeping it gives that memory back).
            _kept.Park(slot, connection, Volatile.Read(ref _tls));
            return result;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The endpoints, the one that last worked first (or <paramref name="skip"/> after it).</summary>
    IEnumerable<EtcdEndpoint> Rotation(int skip = 0)
    {
        int start = Volatile.Read(ref _current) + skip;
        for (int i = 0; i < _endpoints.Length; i++)
        {
            yield return _endpoints[(start + i) % _endpoints.Length];
        }
    }

    void Next(EtcdEndpoint failed)
    {
        int at = Array.IndexOf(_endpoints, failed);
        Interlocked.CompareExchange(ref _current, (at + 1) % _endpoints.Length, at);
    }

    static string ErrorText(object? doc) =>
        Json.String(doc, "message") ?? Json.String(doc, "error") ?? "no answer";

    /// <summary>
    /// The certificates read again (a reload): connections made from now on use
    /// <paramref name="tls"/>, which the client owns; the idle ones are closed, and those
    /// in use keep the context they shook hands with (OpenSSL counts its uses) until they
    /// end, never kept for another request. False, and
    /// <paramref name="tls"/> disposed, for a client without TLS or already closed.
    /// </summary>
    public bool ReplaceTls(TlsContext tls)
    {
        TlsContext? old = Volatile.Read(ref _tls);
        if (_disposed || old is null || Interlocked.CompareExchange(ref _tls, tls, old) != old)
        {
            tls.Dispose();
            return false;
        }
        // The idle connections shook hands with the old certificates: none is used again
        // (a connection in flight is not kept either, its context no longer the client's).
        _kept.CloseAll();
        old.Dispose();
        return true;
    }

    /// <summary>The client's TLS context now (tests).</summary>
    public TlsContext? Tls => Volatile.Read(ref _tls);

    public void Dispose()
    {
        _disposed = true;
        _workReady.Release(MaxWorkers);
        EndAllWatches();
        _kept.Dispose();
        _wake.Dispose();
        Interlocked.Exchange(ref _tls, null)?.Dispose();
    }
}

/// <summary>etcd answered, and said no (or nothing could be reached).</summary>
internal sealed class EtcdException(string message, bool refused = false) : Exception(message)
{
    /// <summary>The credentials were refused: a setup error, not a network one.</summary>
    public bool Refused { get; } = refused;

    /// <summary>A member answered (with an error): etcd was within reach.</summary>
    public bool Answered { get; init; }
}

/// <summary>Where etcd is and how to prove who we are.</summary>
internal sealed record EtcdConnection(IReadOnlyList<EtcdEndpoint> Endpoints, TlsContext? Tls, string? User, string? Password);
