using Ucarp.Core.Carp;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Groups;

/// <summary>
/// Where in its advert interval a --config group starts: its first master-down wait is
/// longer by a fraction of one interval, taken from its name (its sync set's, for a set's
/// members, which move together). Groups that all start at once would otherwise advertise
/// in step for good: a master's thousands of adverts leave in one burst, and when it dies
/// the backup's master-down timers all fire within a few hundred milliseconds, each group
/// taking over behind the others' address changes. Spread over the interval, each group's
/// work comes at its own moment. The phases are sixteenths of the interval, not any
/// point in it: the groups of a slot are still due together, so a master wakes sixteen
/// times an interval rather than once per group, and a backup takes over a sixteenth of
/// its groups at a time (4,080 groups: 255 at once). Only the start moves; the protocol's
/// timers do not. A plain command line starts as ucarp does (no phase).
/// </summary>
public static class StartPhase
{
    public const int Slots = 16;

    /// <summary>The extra wait (µs) for a group of <paramref name="config"/> named <paramref name="name"/>: in [0, one advert interval).</summary>
    public static long Of(string name, Configuration config) =>
        AdvertInterval(config) * (Hash(config.SyncSet ?? name) % Slots) / Slots;

    /// <summary>A group's advert interval as its file gives it (µs): VRRP's centiseconds, or CARP's advbase and advskew.</summary>
    public static long AdvertInterval(Configuration config) => config.Vrrp != 0
        ? config.AdvertIntervalCentis * 10_000L
        : config.AdvBase * Timing.Second + config.AdvSkew * Timing.Second / 256;

    /// <summary>FNV-1a over the name's characters: the same name, the same phase, on every host and run.</summary>
    static uint Hash(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }
        return hash;
    }
}
