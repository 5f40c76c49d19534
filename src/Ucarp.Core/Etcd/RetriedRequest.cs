using Ucarp.Core.Election;

namespace Ucarp.Core.Etcd;

/// <summary>
/// A request of the session's own that goes one at a time and, when it fails, again after a
/// backoff: the lease's grant, the prefix's sweep. When etcd comes back after being out of
/// reach, the backoff starts afresh, and one sent while cut off is not waited for (it may
/// take seconds to fail; its answer, if one comes, is ignored): it goes again now.
/// </summary>
internal sealed class RetriedRequest(RequestTracker requests, EtcdOp op)
{
    Backoff _backoff = Backoff.Etcd;

    /// <summary>Sent and not answered yet.</summary>
    public bool Out { get; private set; }

    /// <summary>When it goes again (after a failure, or at once once etcd is back), or null.</summary>
    public long? RetryAt { get; set; }

    public void Send(in EtcdRequest request, long now)
    {
        Out = true;
        requests.Send(request, now);
    }

    /// <summary>Answered, whatever the answer says.</summary>
    public void Answered() => Out = false;

    /// <summary>It worked: the next failure waits the first delay again.</summary>
    public void Succeeded() => _backoff.Reset();

    /// <summary>Again after the backoff, unless a retry is due sooner.</summary>
    public void Later(long now) => RetryAt = Math.Min(RetryAt ?? long.MaxValue, now + _backoff.Next());

    /// <summary>etcd is back: the backoff starts afresh; one sent while cut off is given up on and goes again now.</summary>
    public void Reconnected(long now)
    {
        _backoff.Reset();
        if (requests.ForgetOwn(op))
        {
            Out = false;
            RetryAt = now;
        }
    }
}
