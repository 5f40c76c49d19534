using Ucarp.Core.Election;

namespace Ucarp.Core.Etcd;

/// <summary>
/// Giving an address's key up on purpose: a transaction that deletes the key only while it
/// is still on the lease it was won with (the lease carries other keys, so revoking it is
/// no way to give one up). Still on our lease, the key would keep the address ours in
/// etcd's eyes, so a failed deletion is retried with backoff until the key is gone, or the
/// sweep or the watch shows it gone or on another lease. A deletion still on its way (a
/// retry, after an attempt that timed out but was applied) is waited for even then: it
/// would delete the key if it were won again on the same lease meanwhile.
/// </summary>
internal sealed class KeyRelease(GroupRequests requests, string key)
{
    int? _id;
    long? _sentOn;      // the lease of the deletion on its way (sent, or waiting for the downscript)
    Backoff _backoff = Backoff.Etcd;

    /// <summary>The lease whose key is being deleted (sent, or waiting for the downscript or a retry), or null.</summary>
    public long? Lease { get; private set; }

    /// <summary>When a failed deletion goes again, or null.</summary>
    public long? RetryAt { get; private set; }

    /// <summary>True while a deletion on <paramref name="lease"/> is unanswered: a key won on that lease could still be deleted by it.</summary>
    public bool InFlight(long? lease) => _id is not null && lease is not null && _sentOn == lease;

    /// <summary>
    /// Deletes the key while it is on <paramref name="lease"/>: after the scripts when the
    /// address was held (it must be gone before anyone can take it), else at once.
    /// </summary>
    public void Start(long lease, long now, bool afterScripts)
    {
        Lease = lease;
        Send(lease, now, afterScripts);
    }

    public void OnTimer(long now)
    {
        if (RetryAt <= now)
        {
            RetryAt = null;
            if (Lease is long lease && _id is null)
            {
                Send(lease, now, afterScripts: false);
            }
        }
    }

    /// <summary>True when <paramref name="reply"/> answers the deletion (done, or retried later).</summary>
    public bool OnReply(in EtcdReply reply, long now)
    {
        if (reply.Id != _id)
        {
            return false;
        }
        _id = null;
        _sentOn = null;
        if (Lease is null)
        {
            return true;   // the key was seen gone meanwhile: only this answer was awaited
        }
        if (reply.Ok)
        {
            Done();
        }
        else if (Lease is not null)
        {
            RetryAt = now + _backoff.Next();
        }
        return true;
    }

    /// <summary>What the key says now: gone, or on another lease, it needs deleting no more.</summary>
    public void KeySeen(EtcdKeyValue? kv)
    {
        if (Lease is long released && (kv is null || kv.Value.Lease != released))
        {
            Finish();
        }
    }

    void Send(long lease, long now, bool afterScripts)
    {
        var request = new EtcdRequest(0, EtcdOp.Release, lease, key);
        _sentOn = lease;
        _id = afterScripts ? requests.SendAfterScripts(request, now) : requests.Send(request, now);
    }

    /// <summary>Answered: nothing is on its way any more.</summary>
    void Done()
    {
        if (_id is int id)
        {
            requests.Forget(id);
        }
        _id = null;
        _sentOn = null;
        Finish();
    }

    /// <summary>The key needs deleting no more; a deletion on its way is still awaited (<see cref="InFlight"/>).</summary>
    void Finish()
    {
        Lease = null;
        RetryAt = null;
        _backoff.Reset();
    }
}
