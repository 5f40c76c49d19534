namespace Ucarp.Core.Carp;

/// <summary>
/// --garp-refresh (keepalived's garp_master_refresh): a master repeats its announcement
/// (gratuitous ARP, unsolicited NA) every period, for switches and routers that forget
/// the address's MAC. Off (no period) by default, as ucarp announces only on taking over.
/// </summary>
public sealed class AnnouncementRefresh(long? period)
{
    /// <summary>When the next repeat is due, or null (not master, or off).</summary>
    public long? Due { get; private set; }

    /// <summary>The role changed: a new master counts one period from now; anyone else stops.</summary>
    public void Follow(CarpState role, long now) => Due = role == CarpState.Master && period is long p ? now + p : null;

    /// <summary>True when a repeat is due at <paramref name="now"/>; the next one is a period later.</summary>
    public bool TakeIfDue(long now)
    {
        if (Due is not long due || due > now)
        {
            return false;
        }
        Due = now + period!.Value;
        return true;
    }
}
