namespace Ucarp.Core.Etcd;

/// <summary>
/// Our holder record in the key: written with the advskew in use when we campaign, and
/// rewritten while we hold the key when that advskew changes (--check-weight), so that -P
/// nodes compare theirs with the one in use.
/// </summary>
/// <param name="self">Who we are: address, host, interface and vhid (its advskew is replaced by the one in use).</param>
internal sealed class OwnRecord(HolderRecord self, string key, GroupRequests requests)
{
    byte? _written;             // the advskew our record in the key carries, as last written (null: not known)

    public HolderRecord Self => self;

    /// <summary>The record with <paramref name="skew"/>, as a -P request carries it too.</summary>
    public string Json(byte skew) => (self with { AdvSkew = skew }).ToJson();

    /// <summary>The record a campaign (or take-back) is about to write: what the key carries if it wins.</summary>
    public string Campaigning(byte skew)
    {
        _written = skew;
        return Json(skew);
    }

    /// <summary>MASTER on <paramref name="lease"/>: the record rewritten if it carries another advskew than <paramref name="skew"/>.</summary>
    public void Refresh(long lease, byte skew, long now)
    {
        if (_written != skew)
        {
            _written = skew;
            requests.Send(new EtcdRequest(0, EtcdOp.Refresh, lease, key, Json(skew)), now);
        }
    }

    /// <summary>The rewrite failed: written again at the next chance.</summary>
    public void RefreshFailed() => _written = null;
}
