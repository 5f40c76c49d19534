using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;
using Ucarp.Interop;

namespace Ucarp.Etcd;

/// <summary>
/// etcd's v3 API through its JSON gateway (the grpc-gateway every etcd 3.x serves on
/// its client port): one small HTTP/1.1 exchange per request (<see cref="HttpConnection"/>)
/// and a little JSON (<see cref="Json"/>); no gRPC stack, no reflection. Requests run on
/// the thread pool (a watch on a thread of its own); their replies are queued for the
/// event loop, which an eventfd wakes. The loop alone touches the election.
///
/// Endpoints are tried in turn: a request that cannot reach a member, or that a member
/// cannot serve (no leader yet), goes to the next at once, so the loss of a member or of
/// the leader costs a failed connection, not the address.
/// </summary>
internal sealed class EtcdClient : IDisposable
{
    const int AttemptTimeoutMs = 700;
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    readonly EtcdEndpoint[] _endpoints;
    readonly TlsContext? _tls;
    readonly string? _user;
    readonly string? _password;
    readonly ConcurrentQueue<EtcdReply> _replies = new();
    readonly FileDescriptor _wake;
    readonly Lock _watchGate = new();
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
    HttpConnection? _watchConnection;   // the current watch's stream, shut down when another replaces it
    int _watchGeneration;
    int _current;
    volatile string? _token;

    public EtcdClient(EtcdConnection connection)
    {
        _endpoints = [.. connection.Endpoints];
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

    public void Send(EtcdRequest request)
    {
        if (request.Op == EtcdOp.Watch)
        {
            // One watch at a time (the session's, over the prefix): a new watch replaces the
            // last, whose stream (perhaps from a member that went silent) is shut so its thread ends.
            int generation = ReplaceWatch();
            new Thread(() => WatchRoot(request, generation)) { IsBackground = true, Name = "etcd watch" }.Start();
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
            Post(new EtcdReply(r.Id, r.Op, false, e.Message));
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

    unsafe void Post(in EtcdReply reply)
    {
        _replies.Enqueue(reply);
        ulong one = 1;
        Libc.Write(_wake.Fd, &one, sizeof(ulong));
    }

    EtcdReply Execute(EtcdRequest r)
    {
        if (r.Batch is { } batch)
        {
            return Call("/v3/kv/txn", BatchBody(r.Op, batch), d => EtcdReplies.Batch(r, d));
        }
        switch (r.Op)
        {
            case EtcdOp.Grant:
                return Call("/v3/lease/grant", $"{{\"TTL\":\"{r.Ttl.ToString(Inv)}\"}}", d => EtcdReplies.Grant(r, d));
            case EtcdOp.KeepAlive:
                return Call("/v3/lease/keepalive", $"{{\"ID\":\"{r.Lease.ToString(Inv)}\"}}", d => EtcdReplies.KeepAlive(r, d), skip: r.Attempt);
            case EtcdOp.Revoke:
                return Call("/v3/lease/revoke", $"{{\"ID\":\"{r.Lease.ToString(Inv)}\"}}", d => EtcdReplies.Applied(r, d), notFoundIsOk: true);
            case EtcdOp.Get:
                return Call("/v3/kv/range", $"{{\"key\":\"{B64(r.Key)}\"}}", d => EtcdReplies.Range(r, d));
            case EtcdOp.Sweep:
                return Call("/v3/kv/range", $"{{\"key\":\"{B64(r.Key)}\",\"range_end\":\"{RangeEnd(r.Key)}\"}}", d => EtcdReplies.Sweep(r, d));
            case EtcdOp.Campaign:
            {
                // Create the key with our lease only if it has never been created (create_revision 0);
                // else read it, in the same transaction.
                string key = B64(r.Key);
                return Call("/v3/kv/txn",
                    $"{{\"compare\":[{{\"key\":\"{key}\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}}]," +
                    $"\"success\":[{{\"request_put\":{{\"key\":\"{key}\",\"value\":\"{B64(r.Value)}\",\"lease\":\"{r.Lease.ToString(Inv)}\"}}}}]," +
                    $"\"failure\":[{{\"request_range\":{{\"key\":\"{key}\"}}}}]}}", d => EtcdReplies.Campaign(r, d));
            }
            case EtcdOp.TakeBack:
            {
                // Only if the key is exactly as our previous run left it: on its lease, with its record.
                string key = B64(r.Key);
                return Call("/v3/kv/txn",
                    $"{{\"compare\":[{{\"key\":\"{key}\",\"target\":\"LEASE\",\"result\":\"EQUAL\",\"lease\":\"{r.OldLease.ToString(Inv)}\"}}," +
                    $"{{\"key\":\"{key}\",\"target\":\"VALUE\",\"result\":\"EQUAL\",\"value\":\"{B64(r.OldValue)}\"}}]," +
                    $"\"success\":[{{\"request_put\":{{\"key\":\"{key}\",\"value\":\"{B64(r.Value)}\",\"lease\":\"{r.Lease.ToString(Inv)}\"}}}}]}}",
                    d => EtcdReplies.Refresh(r, d));
            }
            case EtcdOp.Release:
            {
                // Only while the key is still ours: another node may hold it already.
                string key = B64(r.Key);
                return Call("/v3/kv/txn",
                    $"{{\"compare\":[{{\"key\":\"{key}\",\"target\":\"LEASE\",\"result\":\"EQUAL\",\"lease\":\"{r.Lease.ToString(Inv)}\"}}]," +
                    $"\"success\":[{{\"request_delete_range\":{{\"key\":\"{key}\"}}}}]}}", d => EtcdReplies.Refresh(r, d));
            }
            case EtcdOp.PutPreempt:
                return Call("/v3/kv/put", $"{{\"key\":\"{B64(r.Key)}\",\"value\":\"{B64(r.Value)}\",\"lease\":\"{r.Lease.ToString(Inv)}\"}}", d => EtcdReplies.Applied(r, d));
            case EtcdOp.Refresh:
            {
                // Only while the key is still ours: compare its lease with ours.
                string key = B64(r.Key), lease = r.Lease.ToString(Inv);
                return Call("/v3/kv/txn",
                    $"{{\"compare\":[{{\"key\":\"{key}\",\"target\":\"LEASE\",\"result\":\"EQUAL\",\"lease\":\"{lease}\"}}]," +
                    $"\"success\":[{{\"request_put\":{{\"key\":\"{key}\",\"value\":\"{B64(r.Value)}\",\"lease\":\"{lease}\"}}}}]}}", d => EtcdReplies.Refresh(r, d));
            }
            case EtcdOp.DeletePreempt:
                return Call("/v3/kv/deleterange", $"{{\"key\":\"{B64(r.Key)}\"}}", d => EtcdReplies.Applied(r, d));
            default:
                throw new InvalidCastException(r.Op.ToString());
        }
    }

    /// <summary>
    /// Several campaigns (every key absent: put each with our lease) or take-backs (every key
    /// still on its old lease with its old record: put each with ours) in one transaction;
    /// failing, it reads every key, so each election learns who holds its own.
    /// </summary>
    static string BatchBody(EtcdOp op, IReadOnlyList<EtcdRequest> batch)
    {
        var compare = new StringBuilder();
        var success = new StringBuilder();
        var failure = new StringBuilder();
        foreach (EtcdRequest one in batch)
        {
            string key = B64(one.Key), sep = compare.Length == 0 ? "" : ",";
            compare.Append(sep).Append(op == EtcdOp.TakeBack
                ? $"{{\"key\":\"{key}\",\"target\":\"LEASE\",\"result\":\"EQUAL\",\"lease\":\"{one.OldLease.ToString(Inv)}\"}}," +
                  $"{{\"key\":\"{key}\",\"target\":\"VALUE\",\"result\":\"EQUAL\",\"value\":\"{B64(one.OldValue)}\"}}"
                : $"{{\"key\":\"{key}\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}}");
            success.Append(sep).Append($"{{\"request_put\":{{\"key\":\"{key}\",\"value\":\"{B64(one.Value)}\",\"lease\":\"{one.Lease.ToString(Inv)}\"}}}}");
            failure.Append(sep).Append($"{{\"request_range\":{{\"key\":\"{key}\"}}}}");
        }
        return $"{{\"compare\":[{compare}],\"success\":[{success}],\"failure\":[{failure}]}}";
    }

    /// <summary>Starts a new watch generation and shuts the running watch's stream; returns the new generation.</summary>
    int ReplaceWatch()
    {
        lock (_watchGate)
        {
            _watchConnection?.Abort("watch replaced");
            _watchConnection = null;
            return ++_watchGeneration;
        }
    }

    /// <summary>The watch thread: whatever happens in it, the watch ends with a reply, and the election starts another.</summary>
    void WatchRoot(EtcdRequest r, int generation)
    {
        string error;
        try
        {
            error = Watch(r, generation);
        }
        catch (Exception e)
        {
            error = e.Message;
        }
        Post(new EtcdReply(r.Id, r.Op, true, Error: error, WatchEnded: true));
    }

    /// <summary>A watch: one reply per event on the key; returns why it ended.</summary>
    string Watch(EtcdRequest r, int generation)
    {
        string range = r.Prefix ? $"\"range_end\":\"{RangeEnd(r.Key)}\"," : "";
        string body = $"{{\"create_request\":{{\"key\":\"{B64(r.Key)}\",{range}\"start_revision\":\"{r.Revision.ToString(Inv)}\"}}}}";
        string error = "watch ended";
        foreach (EtcdEndpoint endpoint in Rotation())
        {
            HttpConnection? connection = null;
            int status;
            try
            {
                EnsureToken(endpoint);
                connection = HttpConnection.Open(endpoint, _tls, AttemptTimeoutMs);
                if (!Adopt(connection, generation))
                {
                    connection.Dispose();
                    return "watch replaced";
                }
                connection.Post(endpoint, "/v3/watch", body, _token);
                status = connection.Response.ReadHead();
            }
            catch (Exception e) when (e is HttpFailure or EtcdException or FormatException)
            {
                Release(connection);
                error = e.Message;
                Next(endpoint);
                continue;
            }
            try
            {
                if (status != 200)
                {
                    return $"HTTP {status}";
                }
                // Events come when they come: no deadline while the stream is open.
                connection.Unbounded();
                var events = new List<EtcdReply>();
                while (connection.Response.ReadLine() is string line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }
                    events.Clear();
                    bool goesOn = EtcdReplies.WatchMessage(r, Json.Parse(line), events, out string? ended);
                    foreach (EtcdReply reply in events)
                    {
                        Post(reply);
                    }
                    if (!goesOn)
                    {
                        return ended ?? error;
                    }
                }
                return error;
            }
            catch (Exception e) when (e is HttpFailure or FormatException)
            {
                // Cut off, or nonsense in the stream: the next watch starts at the next member.
                Next(endpoint);
                throw;
            }
            finally
            {
                Release(connection);
            }
        }
        return error;
    }

    /// <summary>Makes the connection the current watch's, unless a newer watch has started.</summary>
    bool Adopt(HttpConnection connection, int generation)
    {
        lock (_watchGate)
        {
            if (generation != _watchGeneration)
            {
                return false;
            }
            _watchConnection = connection;
            return true;
        }
    }

    void Release(HttpConnection? connection)
    {
        if (connection is null)
        {
            return;
        }
        lock (_watchGate)
        {
            if (_watchConnection == connection)
            {
                _watchConnection = null;
            }
        }
        connection.Dispose();
    }

    /// <summary>
    /// One unary call: the current endpoint first, then the others, until one gives an
    /// answer <paramref name="answer"/> can read. An expired auth token is renewed once.
    /// </summary>
    EtcdReply Call(string path, string body, Func<object?, EtcdReply> answer, bool notFoundIsOk = false, int skip = 0)
    {
        string error = "no endpoint answered";
        foreach (EtcdEndpoint endpoint in Rotation(skip))
        {
            try
            {
                EnsureToken(endpoint);
                (int status, object? doc) = Exchange(endpoint, path, body, _token);
                if (status != 200 && _user is not null && ErrorText(doc).Contains("token", StringComparison.Ordinal))
                {
                    _token = null;
                    EnsureToken(endpoint);
                    (status, doc) = Exchange(endpoint, path, body, _token);
                }
                if (status == 200)
                {
                    return answer(doc); // an answer that says nothing throws: the next member is asked
                }
                string message = ErrorText(doc);
                if (notFoundIsOk && message.Contains("not found", StringComparison.Ordinal))
                {
                    return answer(null);
                }
                error = message;
                Next(endpoint);
            }
            catch (Exception e) when (e is HttpFailure or FormatException)
            {
                error = e.Message;
                Next(endpoint);
            }
        }
        throw new EtcdException(error);
    }

    void EnsureToken(EtcdEndpoint endpoint)
    {
        if (_user is not null && _token is null)
        {
            Authenticate(endpoint);
        }
    }

    /// <summary>Authenticates with --etcd-user and the password file's password; throws EtcdException (Refused) when etcd says no.</summary>
    public void Authenticate(EtcdEndpoint endpoint)
    {
        (int status, object? doc) = Exchange(endpoint, "/v3/auth/authenticate",
                                             $"{{\"name\":{Json.Quote(_user!)},\"password\":{Json.Quote(_password ?? "")}}}", token: null);
        if (status != 200 || Json.String(doc, "token") is not string token)
        {
            throw new EtcdException(ErrorText(doc), refused: true);
        }
        _token = token;
    }

    /// <summary>One request to one member (the maintenance status), to see whether the network and TLS let us in.</summary>
    public void Ping(EtcdEndpoint endpoint) => Exchange(endpoint, "/v3/maintenance/status", "{}", token: null);

    (int Status, object? Document) Exchange(EtcdEndpoint endpoint, string path, string body, string? token)
    {
        using HttpConnection connection = HttpConnection.Open(endpoint, _tls, AttemptTimeoutMs);
        connection.Post(endpoint, path, body, token);
        int status = connection.Response.ReadHead();
        string text = connection.Response.ReadBody();
        return (status, text.Length == 0 ? null : Json.Parse(text));
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

    static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>etcd's end of the range of every key that starts with <paramref name="prefix"/>: the prefix with its last byte plus one.</summary>
    internal static string RangeEnd(string prefix)
    {
        byte[] end = Encoding.UTF8.GetBytes(prefix);
        int n = end.Length;
        while (n > 0 && end[n - 1] == 0xff)
        {
            n--;
        }
        if (n == 0)
        {
            return Convert.ToBase64String([0]); // every key
        }
        end[n - 1]++;
        return Convert.ToBase64String(end, 0, n);
    }

    public void Dispose()
    {
        _disposed = true;
        _workReady.Release(MaxWorkers);
        ReplaceWatch();
        _wake.Dispose();
    }
}

/// <summary>etcd answered, and said no (or nothing could be reached).</summary>
internal sealed class EtcdException(string message, bool refused = false) : Exception(message)
{
    /// <summary>The credentials were refused: a setup error, not a network one.</summary>
    public bool Refused { get; } = refused;
}

/// <summary>Where etcd is and how to prove who we are.</summary>
internal sealed record EtcdConnection(IReadOnlyList<EtcdEndpoint> Endpoints, TlsContext? Tls, string? User, string? Password);
