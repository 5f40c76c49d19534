using System.Globalization;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>
/// -P over etcd, both sides of it. A BACKUP with a lower advskew than the holder files a
/// request under the holder's key (key + "/preempt", our record, on our lease, so it goes
/// when we do); the holder hands the address over. A request is honoured once: found
/// again after that, its author did not take over (it left the election, or could not),
/// so it is stale and deleted rather than obeyed, and a candidate that cannot hold never
/// makes the holder resign in a loop.
/// </summary>
internal sealed class PreemptRequests(GroupRequests requests, string preemptKey, ILog log)
{
    string? _honoured;          // MASTER: the request (lease:revision:value) already handed over for once

    /// <summary>Our request is filed (sent, and not known to have failed or been withdrawn).</summary>
    public bool Filed { get; private set; }

    /// <summary>
    /// MASTER: the request under our key (null: none). True when a candidate better than
    /// <paramref name="skew"/>, other than <paramref name="self"/>, asks for the first time:
    /// the holder resigns.
    /// </summary>
    public bool Asked(EtcdKeyValue? kv, int skew, string self, long now)
    {
        if (kv is not EtcdKeyValue request)
        {
            _honoured = null;
            return false;
        }
        if (HolderRecord.Parse(request.Value) is not HolderRecord candidate || candidate.AdvSkew >= skew || candidate.Holder == self)
        {
            return false;
        }
        // Told apart by revision: the same candidate asking again (same lease, same record)
        // writes the key anew; a stale request keeps its revision.
        string seen = string.Create(CultureInfo.InvariantCulture, $"{request.Lease}:{request.ModRevision}:{request.Value}");
        if (seen == _honoured)
        {
            log.Write(LogLevel.Warning, Messages.EtcdPreemptStale(candidate.Holder, candidate.AdvSkew));
            Delete(now);
            return false;
        }
        _honoured = seen;
        log.Write(LogLevel.Warning, Messages.EtcdPreemptAsked(candidate.Holder, candidate.AdvSkew));
        return true;
    }

    /// <summary>BACKUP: asks <paramref name="holder"/> to hand the address over, with our <paramref name="record"/> on <paramref name="lease"/>.</summary>
    public void File(HolderRecord holder, long lease, string record, long now)
    {
        Filed = true;
        log.Write(LogLevel.Warning, Messages.EtcdPreempting(holder.Holder, holder.AdvSkew));
        requests.Send(new EtcdRequest(0, EtcdOp.PutPreempt, lease, preemptKey, record), now);
    }

    /// <summary>Deletes our request if one is filed (answered, or no longer wanted); true if there was one.</summary>
    public bool Withdraw(long now)
    {
        if (!Filed)
        {
            return false;
        }
        Filed = false;
        Delete(now);
        return true;
    }

    /// <summary>Our request failed, or went with the lease, or was answered by our leaving MASTER: filed again at the next chance.</summary>
    public void Forget() => Filed = false;

    void Delete(long now) => requests.Send(new EtcdRequest(0, EtcdOp.DeletePreempt, Key: preemptKey), now);
}
