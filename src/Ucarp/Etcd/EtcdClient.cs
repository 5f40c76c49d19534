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
    int _current;
    volatile string? _token;

    public EtcdClient(EtcdConnection connection)
    {
        _endpoints = [.. connection.Endpoints];
        _tls = connection.Tls;
        _user = connection.User;
        _password = connection.Password;
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
            new Thread(() => Watch(request)) { IsBackground = true, Name = "etcd watch" }.Start();
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(r =>
        {
            try
            {
                Post(Execute(r));
            }
            catch (Exception e) when (e is EtcdException or HttpFailure or FormatException or InvalidCastException)
            {
                Post(new EtcdReply(r.Id, r.Op, false, e.Message));
            }
        }, request, preferLocal: false);
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
        switch (r.Op)
        {
            case EtcdOp.Grant:
            {
                object? d = Call("/v3/lease/grant", $"{{\"TTL\":\"{r.Ttl.ToString(Inv)}\"}}");
                return new EtcdReply(r.Id, r.Op, true, Lease: Json.Int(d, "ID"), Ttl: Json.Int(d, "TTL"));
            }
            case EtcdOp.KeepAlive:
            {
                object? d = Call("/v3/lease/keepalive", $"{{\"ID\":\"{r.Lease.ToString(Inv)}\"}}", skip: r.Attempt);
                object? result = Json.Get(d, "result") ?? d;
                return new EtcdReply(r.Id, r.Op, true, Lease: r.Lease, Ttl: Json.Int(result, "TTL"));
            }
            case EtcdOp.Revoke:
                Call("/v3/lease/revoke", $"{{\"ID\":\"{r.Lease.ToString(Inv)}\"}}", notFoundIsOk: true);
                return new EtcdReply(r.Id, r.Op, true, Lease: r.Lease);
            case EtcdOp.Get:
            case EtcdOp.GetPreempt:
                return Range(r, Call("/v3/kv/range", $"{{\"key\":\"{B64(r.Key)}\"}}"));
            case EtcdOp.Campaign:
            {
                // Create the key with our lease only if it has never been created (create_revision 0);
                // else read it, in the same transaction.
                string key = B64(r.Key);
                object? d = Call("/v3/kv/txn",
                    $"{{\"compare\":[{{\"key\":\"{key}\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}}]," +
                    $"\"success\":[{{\"request_put\":{{\"key\":\"{key}\",\"value\":\"{B64(r.Value)}\",\"lease\":\"{r.Lease.ToString(Inv)}\"}}}}]," +
                    $"\"failure\":[{{\"request_range\":{{\"key\":\"{key}\"}}}}]}}");
                if (Json.True(d, "succeeded"))
                {
                    return new EtcdReply(r.Id, r.Op, true, Succeeded: true, Revision: Revision(d));
                }
                object? range = Json.Get(d, "responses") is List<object?> { Count: > 0 } responses ? Json.Get(responses[0], "response_range") : null;
                return Range(r, range) with { Revision = Revision(d) };
            }
            case EtcdOp.PutPreempt:
                Call("/v3/kv/put", $"{{\"key\":\"{B64(r.Key)}\",\"value\":\"{B64(r.Value)}\",\"lease\":\"{r.Lease.ToString(Inv)}\"}}");
                return new EtcdReply(r.Id, r.Op, true);
            case EtcdOp.DeletePreempt:
                Call("/v3/kv/deleterange", $"{{\"key\":\"{B64(r.Key)}\"}}");
                return new EtcdReply(r.Id, r.Op, true);
            default:
                throw new InvalidCastException(r.Op.ToString());
        }
    }

    static EtcdReply Range(in EtcdRequest r, object? response)
    {
        if (Json.Get(response, "kvs") is List<object?> { Count: > 0 } kvs)
        {
            object? kv = kvs[0];
            return new EtcdReply(r.Id, r.Op, true, Exists: true, Value: Unbase64(Json.String(kv, "value")), ValueLease: Json.Int(kv, "lease"),
                                 Revision: Revision(response));
        }
        return new EtcdReply(r.Id, r.Op, true, Revision: Revision(response));
    }

    /// <summary>A watch: one reply per event on the key, then one that says it ended.</summary>
    void Watch(EtcdRequest r)
    {
        string body = $"{{\"create_request\":{{\"key\":\"{B64(r.Key)}\",\"start_revision\":\"{r.Revision.ToString(Inv)}\"}}}}";
        string error = "watch ended";
        foreach (EtcdEndpoint endpoint in Rotation())
        {
            HttpConnection connection;
            int status;
            try
            {
                EnsureToken(endpoint);
                connection = HttpConnection.Open(endpoint, _tls, AttemptTimeoutMs);
                connection.Post(endpoint, "/v3/watch", body, _token);
                status = connection.ReadHead();
            }
            catch (Exception e) when (e is HttpFailure or EtcdException or FormatException)
            {
                error = e.Message;
                Next(endpoint);
                continue;
            }
            using (connection)
            {
                if (status != 200)
                {
                    error = $"HTTP {status}";
                    break;
                }
                // Events come when they come: no timeout while the stream is open.
                connection.SetReceiveTimeout(0);
                try
                {
                    while (connection.ReadLine() is string line)
                    {
                        if (line.Length != 0 && !WatchMessage(r, line, ref error))
                        {
                            break;
                        }
                    }
                }
                catch (Exception e) when (e is HttpFailure or FormatException or InvalidCastException)
                {
                    error = e.Message;
                }
            }
            break;
        }
        Post(new EtcdReply(r.Id, r.Op, true, Error: error, WatchEnded: true));
    }

    /// <summary>One streamed message: its events posted; false when it ends the watch.</summary>
    bool WatchMessage(EtcdRequest r, string line, ref string error)
    {
        object? d = Json.Parse(line);
        if (Json.Get(d, "error") is object e)
        {
            error = Json.String(e, "message") ?? e.ToString() ?? "error";
            return false;
        }
        object? result = Json.Get(d, "result") ?? d;
        if (Json.True(result, "canceled"))
        {
            error = "watch canceled";
            return false;
        }
        if (Json.Get(result, "events") is List<object?> events)
        {
            foreach (object? ev in events)
            {
                bool deleted = Json.String(ev, "type") == "DELETE";
                object? kv = Json.Get(ev, "kv");
                Post(new EtcdReply(r.Id, r.Op, true, Exists: !deleted, Value: deleted ? "" : Unbase64(Json.String(kv, "value")),
                                   ValueLease: deleted ? 0 : Json.Int(kv, "lease"), Revision: Json.Int(kv, "mod_revision")));
            }
        }
        return true;
    }

    /// <summary>
    /// One unary call: the current endpoint first, then the others. An expired auth token
    /// is renewed once.
    /// </summary>
    object? Call(string path, string body, bool notFoundIsOk = false, int skip = 0)
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
                    return doc;
                }
                string message = ErrorText(doc);
                if (notFoundIsOk && message.Contains("not found", StringComparison.Ordinal))
                {
                    return null;
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
        int status = connection.ReadHead();
        string text = connection.ReadBody();
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

    static long Revision(object? response) => Json.Int(Json.Get(response, "header"), "revision");

    static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    static string Unbase64(string? text) => text is null ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(text));

    public void Dispose() => _wake.Dispose();
}

/// <summary>etcd answered, and said no (or nothing could be reached).</summary>
internal sealed class EtcdException(string message, bool refused = false) : Exception(message)
{
    /// <summary>The credentials were refused: a setup error, not a network one.</summary>
    public bool Refused { get; } = refused;
}

/// <summary>Where etcd is and how to prove who we are.</summary>
internal sealed record EtcdConnection(IReadOnlyList<EtcdEndpoint> Endpoints, TlsContext? Tls, string? User, string? Password);
