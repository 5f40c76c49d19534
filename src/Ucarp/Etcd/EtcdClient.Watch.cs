using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;

namespace Ucarp.Etcd;

// The watches: one per stream at a time, each on a thread of its own, from the first
// member that takes it; its events are posted as replies like any other, and its end as one more.
internal sealed partial class EtcdClient
{
    /// <summary>A stream's current watch: its generation, and its connection once one is open (shut down when another replaces it).</summary>
    sealed class WatchStream
    {
        public int Generation;
        public HttpConnection? Connection;
    }

    readonly Lock _watchGate = new();
    readonly Dictionary<int, WatchStream> _streams = [];
    int _watchGeneration;

    /// <summary>Starts a new watch generation on the stream and shuts its running watch; returns the new generation.</summary>
    int ReplaceWatch(int stream)
    {
        lock (_watchGate)
        {
            if (!_streams.TryGetValue(stream, out WatchStream? s))
            {
                _streams[stream] = s = new WatchStream();
            }
            s.Connection?.Abort("watch replaced");
            s.Connection = null;
            return s.Generation = ++_watchGeneration;
        }
    }

    /// <summary>The stream's group has left: its watch is shut and nothing more is started on it.</summary>
    public void EndWatch(int stream)
    {
        lock (_watchGate)
        {
            if (_streams.Remove(stream, out WatchStream? s))
            {
                s.Connection?.Abort("watch ended");
            }
        }
    }

    void EndAllWatches()
    {
        lock (_watchGate)
        {
            foreach (WatchStream s in _streams.Values)
            {
                s.Connection?.Abort("watch replaced");
            }
            _streams.Clear();
        }
    }

    /// <summary>The watch thread: whatever happens in it, the watch ends with a reply, and the election starts another.</summary>
    void WatchRoot(EtcdRequest r, int stream, int generation)
    {
        string error;
        try
        {
            error = Watch(r, stream, generation);
        }
        catch (Exception e)
        {
            error = e.Message;
        }
        Post(new EtcdReply(r.Id, r.Op, true, Error: error, WatchEnded: true));
    }

    /// <summary>A watch: one reply per event on the key; returns why it ended.</summary>
    string Watch(EtcdRequest r, int stream, int generation)
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
                connection = HttpConnection.Open(endpoint, Volatile.Read(ref _tls), AttemptTimeoutMs);
                if (!Adopt(connection, stream, generation))
                {
                    connection.Dispose();
                    return "watch replaced";
                }
                connection.Post(endpoint, request.Path, request.Body, _token, keepAlive: false);
                status = connection.Response.ReadHead();
            }
            catch (Exception e) when (e is HttpFailure or EtcdException or FormatException)
            {
                Release(connection, stream);
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
                while (connection.Response.TryReadLine(out ReadOnlyMemory<byte> line))
                {
                    if (line.IsEmpty)
                    {
                        continue;
                    }
                    events.Clear();
                    bool goesOn = EtcdReplies.WatchMessage(r, Json.Parse(line.Span, Members, connection.Response.Memory), events, out string? ended);
                    foreach (EtcdReply reply in events)
                    {
                        Post(reply);
                    }
                    // The next event may be an hour away: what this one took is not held until then.
                    connection.Response.Release();
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
                Release(connection, stream);
            }
        }
        return error;
    }

    /// <summary>Makes the connection its stream's current watch's, unless a newer watch has started (or the stream ended).</summary>
    bool Adopt(HttpConnection connection, int stream, int generation)
    {
        lock (_watchGate)
        {
            if (!_streams.TryGetValue(stream, out WatchStream? s) || s.Generation != generation)
            {
                return false;
            }
            s.Connection = connection;
            return true;
        }
    }

    void Release(HttpConnection? connection, int stream)
    {
        if (connection is null)
        {
            return;
        }
        lock (_watchGate)
        {
            if (_streams.TryGetValue(stream, out WatchStream? s) && s.Connection == connection)
            {
                s.Connection = null;
            }
        }
        connection.Dispose();
    }
}
