using Ucarp.Core.Cli;

namespace Ucarp.Core.Election;

/// <summary>
/// The master a node last heard while not master, for the elections that hear adverts
/// (CARP, VRRP): shown as the master for one master-down interval after its last advert,
/// then forgotten, and the watchers told when that happens (<see cref="ForgetDue"/>). The
/// forgetting moves with each advert, as the master-down timer does, so it wakes an idle
/// node only when a master it heard fell silent.
/// </summary>
public struct HeardMaster
{
    long? _heardAt;

    /// <summary>Who advertised last; meaningful while <see cref="Known"/>.</summary>
    public IpAddress Address { get; private set; }

    /// <summary>When the master heard is forgotten and the watchers are told; null: nothing to forget.</summary>
    public long? ForgetAt { get; private set; }

    /// <summary>An advert from <paramref name="source"/> now.</summary>
    public void Heard(IpAddress source, long now, long masterDown)
    {
        Address = source;
        _heardAt = now;
        ForgetAt = now + masterDown + 1;
    }

    /// <summary>A master was heard within <paramref name="masterDown"/> of now.</summary>
    public readonly bool Known(long now, long masterDown) => _heardAt is long heard && now - heard <= masterDown;

    /// <summary>The master said it is gone: nothing is shown, and no watcher is told later.</summary>
    public void Forget()
    {
        _heardAt = null;
        ForgetAt = null;
    }

    /// <summary>True once, when the forgetting has come: the caller tells the watchers.</summary>
    public bool ForgetDue(long now)
    {
        if (ForgetAt <= now)
        {
            ForgetAt = null;
            return true;
        }
        return false;
    }

    /// <summary>The master-down interval changed: a forgetting still to come moves with it.</summary>
    public void MasterDownChanged(long masterDown)
    {
        if (ForgetAt is not null && _heardAt is long heard)
        {
            ForgetAt = heard + masterDown + 1;
        }
    }
}
