using System.Globalization;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Etcd;

/// <summary>
/// What an address's key says of who holds it: a holder record on a lease (someone holds
/// it), nothing (free), or anything else (foreign: written by hand without a lease, or not
/// a holder record; nobody holds the address, and nobody can create the key while it
/// stands). A change of holder is logged once, a foreign value once per value.
/// </summary>
internal sealed class HolderView(string key, ILog log)
{
    string? _foreignLogged;     // which foreign value was logged

    /// <summary>Who holds the address (null: nobody, us, or a foreign value).</summary>
    public HolderRecord? Holder { get; private set; }

    /// <summary>The lease the key is on (0: absent, or on none).</summary>
    public long Lease { get; private set; }

    /// <summary>The revision the key was created at (0: absent, or not known).</summary>
    public long CreateRevision { get; private set; }

    public bool Foreign { get; private set; }

    /// <summary>Absent: a campaign may create the key.</summary>
    public bool Free => Lease == 0 && !Foreign;

    /// <summary>
    /// The key's state now (null: absent). True when it is on <paramref name="ours"/> and
    /// not on its way out (<paramref name="releasing"/>: our deletion of it is under way or
    /// could still land): a campaign whose answer was lost did win.
    /// </summary>
    public bool See(EtcdKeyValue? kv, long? ours, bool releasing)
    {
        HolderRecord? before = Holder;
        long beforeLease = Lease;
        bool wasForeign = Foreign;
        bool exists = kv is not null;
        long lease = kv?.Lease ?? 0;
        HolderRecord? record = exists ? HolderRecord.Parse(kv!.Value.Value) : null;
        // Written by hand (no lease), or not a holder record: nobody holds the address, and
        // nobody can create the key while it stands. No campaign until it changes.
        Foreign = exists && (lease == 0 || record is null);
        Holder = exists && !Foreign ? record : null;
        Lease = lease;
        CreateRevision = kv?.CreateRevision ?? 0;
        if (Foreign)
        {
            string seen = string.Create(CultureInfo.InvariantCulture, $"{lease}:{kv!.Value.Value}");
            if (seen != _foreignLogged)
            {
                _foreignLogged = seen;
                log.Write(LogLevel.Warning, Messages.EtcdForeignKey(key, Printable.Cut(kv.Value.Value), lease));
            }
            return false;
        }
        _foreignLogged = null;
        if (exists && lease == ours && !releasing)
        {
            Holder = null;
            return true;
        }
        if (!wasForeign && Lease == beforeLease && Equals(Holder, before))
        {
            return false;
        }
        if (exists && releasing)
        {
            return false; // our own key, on its way out
        }
        log.Write(LogLevel.Info, Holder is HolderRecord h ? Messages.EtcdHeldBy(h.Holder, h.AdvSkew, h.Host) : Messages.EtcdFree);
        return false;
    }

    /// <summary>Our previous run's key, to move to our lease: held by us already, in effect.</summary>
    public void TakingBack(EtcdKeyValue kv)
    {
        Holder = HolderRecord.Parse(kv.Value);
        Lease = kv.Lease;
        CreateRevision = kv.CreateRevision;
        Foreign = false;
    }

    /// <summary>The key is ours, on <paramref name="lease"/>, created at <paramref name="created"/> (0: not known).</summary>
    public void Won(long lease, long created)
    {
        Holder = null;
        Lease = lease;
        CreateRevision = created;
    }
}
