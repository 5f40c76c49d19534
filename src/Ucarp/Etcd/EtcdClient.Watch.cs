using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;

namespace Ucarp.Etcd;

// The watch: one stream at a time, on a thread of its own, from the first member that
// takes it; its events are posted as replies like any other, and its end as one more.
internal sealed partial class EtcdClient
{
    readonly Lock _watchGate = new();
    HttpConnection? _watchConnection;   // the current watch's stream, shut down when another replaces it
    int _watchGeneration;

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
        if (!EtcdRequestEncoder.TryEncode(r, out EncodedRequest request, out string? unencodable))
        {
            return unencodable;
        }
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
                connection.Post(endpoint, request.Path, request.Body, _token);
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
}
