using Ucarp.Core.Carp;
using Ucarp.Core.Election;

namespace Ucarp.Core.Etcd;

// What the daemon asks of an etcd group, apart from what etcd says: --check-weight's
// advskew, eligibility (checks, ucarpctl, sync sets), SIGUSR2, the link, stopping. Each is
// answered in the election's own terms (campaign, resign and release, -P request), which
// are in EtcdElection.cs.
public sealed partial class EtcdElection
{
    /// <summary>
    /// --check-weight: campaign and compare with the new advskew. A holder rewrites its
    /// record so -P nodes see it and ask for the address; a backup that is now preferred
    /// asks at once.
    /// </summary>
    protected override void SkewChanged(SkewInUse before, long now)
    {
        if (State == CarpState.Master)
        {
            RefreshRecord(now);
        }
        else if (State == CarpState.Backup)
        {
            // A -P request filed with a lower advskew than we now have would make the holder
            // hand over to a node no better than itself.
            if (_view.Holder is HolderRecord h && h.AdvSkew <= Skew.Value)
            {
                _preempt.Withdraw(now);
            }
            MaybeCampaign(now);
        }
    }

    protected override void EligibilityChanged(long now)
    {
        if (!Eligible)
        {
            StandAside(now);
            return;
        }
        MaybeCampaign(now);
    }

    /// <summary>Out of the election (a failing check, a lost link): no campaign, no -P request (the holder would resign for nothing), and the address given up.</summary>
    void StandAside(long now)
    {
        _campaignAt = null;
        _previous.Drop();
        _preempt.Withdraw(now);
        if (State == CarpState.Master)
        {
            Resign(now);
        }
    }

    public override void Demote(long now)
    {
        if (HoldIfMaster(now))
        {
            Resign(now);
        }
    }

    protected override void LinkChanged(long now)
    {
        if (LinkIsDown)
        {
            StandAside(now);
        }
        else
        {
            MaybeCampaign(now);
        }
    }

    /// <summary>
    /// The group is leaving: the downscript when asked and not BACKUP, then its key is
    /// deleted; when the whole daemon is leaving, the session's revoke deletes every key
    /// at once instead.
    /// </summary>
    protected override void Stop(long now, bool runDownscript, bool interfaceGone)
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        bool holding = State == CarpState.Master;
        if (holding && runDownscript)
        {
            Effects.RunDown();
        }
        _campaignAt = HoldUntil = null;
        _preempt.Withdraw(now);
        if (holding && _heldOn is long lease && !_session.Stopping)
        {
            _release.Start(lease, _heldCreated, now, afterScripts: true);
        }
    }
}
