using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Vrrp;

// Who is preferred (RFC 5798 6.4.3), and --preempt-delay's hold on preempting.
public sealed partial class VrrpMachine
{
    /// <summary>
    /// --preempt-delay as keepalived's preempt_delay: the first less preferred master
    /// followed starts the delay, during which it is still followed; a more preferred one
    /// clears it.
    /// </summary>
    bool PreemptionDelayed(long now) => _vrrp.PreemptDelay != 0 && (_preemptAt is null || now < _preemptAt);

    void NotePreemptDelay(in VrrpAdvert advert, long now)
    {
        if (_vrrp.PreemptDelay == 0)
        {
            return;
        }
        if (advert.Priority > PriorityInUse)
        {
            _preemptAt = null;
        }
        else
        {
            _preemptAt ??= now + _vrrp.PreemptDelay;
        }
    }

    /// <summary>A higher priority, or the same one from a greater primary address (RFC 5798 6.4.3).</summary>
    bool Preferred(in VrrpAdvert advert) =>
        advert.Priority > PriorityInUse || (advert.Priority == PriorityInUse && Compare(advert.Source, Settings.Source) > 0);

    /// <summary>Addresses compared as unsigned numbers in network order.</summary>
    static int Compare(IpAddress a, IpAddress b)
    {
        for (int i = 0; i < a.Length && i < b.Length; i++)
        {
            if (a[i] != b[i])
            {
                return a[i].CompareTo(b[i]);
            }
        }
        return a.Length.CompareTo(b.Length);
    }
}
