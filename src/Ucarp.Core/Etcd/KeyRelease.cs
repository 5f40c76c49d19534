using Ucarp.Core.Election;

namespace Ucarp.Core.Etcd;

/// <summary>
/// Giving an address's key up on purpose: a transaction that deletes the key only while it
/// is still on the lease it was won with (the lease carries other keys, so revoking it is
/// no way to give one up) and still the key that was won (its create revision, when
/// known). Still on our lease, the key would keep the address ours in etcd's eyes, so a
/// failed deletion is retried with backoff until the key is gone, or the sweep or the
/// watch shows it gone, on another lease or created again. A deletion still on its way may
/// be applied late (an attempt that timed out was applied after all), so the key it names
/// is never taken as ours meanwhile (<see cref="WouldDelete"/>); one that names no create
/// revision would delete any key on its lease, so no campaign goes on that lease until it
/// is answered (<see cref="InFlight"/>).
/// </summary>
internal sealed class KeyRelease(GroupRequests requests, string key)
{
    int? _id;
    long? _sentOn;      // the lease of the deletion on its way (sent, or waiting for the downscript)
    long _sentCreated;  // the create revision it names (0: any key on that lease)
    long _created;      // the create revision of the key to delete (0: not known)
    Backoff _backoff = Backoff.Etcd;

    /// <summary>The lease whose key is being deleted (sent, or waiting for the downscript or a retry), or null.</summary>
    public long? Lease { get; private set; }

    /// <summary>When a failed deletion goes again, or null.</summary>
    public long? RetryAt { get; private set; }

    /// <summary>True while a deletion of any key on <paramref name="lease"/> is unanswered: a key won on that lease could still be deleted by it.</summary>
    public bool InFlight(long? lease) => _id is not null && lease is not null && _sentOn == lease && _sentCreated == 0;

    /// <summary>
    /// True when <paramref name="kv"/> is the key being deleted, or the very key (same create
    /// revision) a deletion still on its way would delete: it is on its way out, not ours to
    /// hold. That deletion either lands, and the watch says so, or failed, and is retried
    /// unless the key was seen gone or changed: <paramref name="kv"/> is never left waiting.
    /// </summary>
    public bool WouldDelete(in EtcdKeyValue kv) =>
        Lease == kv.Lease && Same(_created, kv)
        || _id is not null && _sentOn == kv.Lease && _sentCreated != 0 && kv.CreateRevision == _sentCreated;

    /// <summary>
    /// Deletes the key while it is on <paramref name="lease"/> and was created at
    /// <paramref name="created"/> (0: not known): after the scripts when the address was held
    /// (it must be gone before anyone can take it), else at once.
    /// </summary>
    public void Start(long lease, long created, long now, bool afterScripts)
    {
        Lease = lease;
        _created = created;
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
        _sentCreated = 0;
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

    /// <summary>What the key says now: gone, on another lease or created again, it needs deleting no more.</summary>
    public void KeySeen(EtcdKeyValue? kv)
    {
        if (Lease is long released && (kv is not EtcdKeyValue k || k.Lease != released || !Same(_created, k)))
        {
            Finish();
        }
    }

    /// <summary>The key created at <paramref name="created"/> is <paramref name="kv"/>, or either revision is not known.</summary>
    static bool Same(long created, in EtcdKeyValue kv) => created == 0 || kv.CreateRevision == 0 || kv.CreateRevision == created;

    void Send(long lease, long now, bool afterScripts)
    {
        var request = new EtcdRequest(0, EtcdOp.Release, lease, key, Revision: _created);
        _sentOn = lease;
        _sentCreated = _created;
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
        _sentCreated = 0;
        Finish();
    }

    /// <summary>The key needs deleting no more; a deletion on its way is still awaited (<see cref="WouldDelete"/>, <see cref="InFlight"/>).</summary>
    void Finish()
    {
        Lease = null;
        _created = 0;
        RetryAt = null;
        _backoff.Reset();
    }
}
