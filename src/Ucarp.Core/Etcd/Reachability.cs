using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>
/// Whether etcd answered the session's last request, said once per change: every answer
/// counts, whoever's request it was. What it changes (renewals probe while etcd is out of
/// reach; what waited for a retry goes at once when it is back) is the lease's and the
/// mirror's.
/// </summary>
internal sealed class Reachability(IEtcdSessionHost host)
{
    enum Reach : byte { Unknown, Up, Down }

    Reach _reach;

    /// <summary>The last answer was a failure.</summary>
    public bool Down => _reach == Reach.Down;

    /// <summary>An answer came; true when etcd was out of reach until now.</summary>
    public bool Answered()
    {
        bool back = _reach == Reach.Down;
        if (back)
        {
            host.Write(LogLevel.Warning, Messages.EtcdReachable);
        }
        _reach = Reach.Up;
        return back;
    }

    /// <summary>A request failed (refused, timed out, connection lost).</summary>
    public void Failed(string error)
    {
        if (_reach != Reach.Down)
        {
            host.Write(LogLevel.Warning, Messages.EtcdUnreachable(error));
        }
        _reach = Reach.Down;
    }
}
