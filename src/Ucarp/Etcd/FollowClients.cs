using Ucarp.Core.Etcd;

namespace Ucarp.Etcd;

/// <summary>Where a group's etcd requests go: its session's client, or its follow channel.</summary>
internal interface IEtcdSender
{
    void Send(in EtcdRequest request);
}

/// <summary>
/// One client that the follow-mode groups reaching the same etcd (endpoints, credentials,
/// TLS) share: one set of connections and threads, one reply queue and one eventfd for all
/// of them, each group's watch a stream of its own. Each group numbers its requests itself;
/// the client renumbers them on the way out and gives each reply back to its group, under
/// the group's own number.
/// </summary>
internal sealed class SharedFollowClient(string identity, EtcdClient client) : IDisposable
{
    readonly Dictionary<int, (FollowChannel Channel, int LocalId)> _routes = [];
    int _nextId;
    int _nextStream;
    int _channels;

    /// <summary>What groups must have in common to share this client.</summary>
    public string Identity { get; } = identity;
    public EtcdClient Client { get; } = client;
    /// <summary>The TLS files its client's context was read from (null without https://): a reload reads them again.</summary>
    public TlsFiles? Tls { get; init; }
    public bool Unused => _channels == 0;

    /// <summary>A group's way to etcd through this client; its election is set once made.</summary>
    public FollowChannel Open()
    {
        _channels++;
        return new FollowChannel(this, ++_nextStream);
    }

    internal void Send(FollowChannel channel, in EtcdRequest request)
    {
        int id = ++_nextId;
        _routes[id] = (channel, request.Id);
        Client.Send(request with { Id = id }, stream: channel.Stream);
    }

    internal void Close(FollowChannel channel)
    {
        var ids = new List<int>();
        foreach ((int id, (FollowChannel Channel, int LocalId) route) in _routes)
        {
            if (route.Channel == channel)
            {
                ids.Add(id);
            }
        }
        foreach (int id in ids)
        {
            _routes.Remove(id);
        }
        Client.EndWatch(channel.Stream);
        _channels--;
    }

    /// <summary>Hands every reply that came in to the group that asked (a watch's replies until it ends).</summary>
    public void TakeReplies(long now)
    {
        while (Client.TryTake(out EtcdReply reply))
        {
            if (!_routes.TryGetValue(reply.Id, out (FollowChannel Channel, int LocalId) route))
            {
                continue;   // its group has left
            }
            if (reply.Op != EtcdOp.Watch || reply.WatchEnded || !reply.Ok)
            {
                _routes.Remove(reply.Id);
            }
            route.Channel.Owner?.OnReply(reply with { Id = route.LocalId }, now);
        }
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>One follow-mode group's requests through a <see cref="SharedFollowClient"/>; its watch is its own stream.</summary>
internal sealed class FollowChannel(SharedFollowClient client, int stream) : IEtcdSender, IDisposable
{
    bool _closed;

    public int Stream { get; } = stream;

    /// <summary>The election that takes this channel's replies.</summary>
    public IEtcdReplies? Owner { get; set; }

    public void Send(in EtcdRequest request)
    {
        if (!_closed)
        {
            client.Send(this, request);
        }
    }

    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            client.Close(this);
        }
    }
}
