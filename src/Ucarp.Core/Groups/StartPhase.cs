using Ucarp.Core.Carp;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Groups;

/// <summary>
/// Where in its advert interval a --config group starts: its first master-down wait is
/// longer by a fraction of one interval, taken from its name (its sync set's, for a set's
/// members, which move together). Groups that all start at once would otherwise advertise
/// in step for good: a master's thousands of adverts leave in one burst, and when it dies
/// the backup's master-down timers all fire within a few hundred milliseconds, each group
/// taking over behind the others' address changes (4,080 groups in step: the last 500 ms
/// late). Spread over the interval, each group's work comes at its own moment. The phases
/// are slots of the interval, not any point in it: the groups of a slot are still due
/// together, so a master wakes once a slot rather than once per group (the daemon starts
/// every group on one reading of the clock for that). A daemon of up to 255 groups (an
/// interface's worth) starts them in step: one wake-up an interval as master, and a
/// backup takes them all over at once, the last within 17 ms of its floor. A bigger one
/// starts them in slots of 128, 64 at most: with thousands of addresses each address
/// change costs the kernel more (at 4,080 groups, slots of 255 left the last group 26-54 ms
/// above its floor, of 128 20-22 ms, of 64 14-15 ms), and each slot is a wake-up of the
/// master's loop and of the backup's, which cost more on a virtual machine than a slot's
/// adverts (slots of 64: 4.35 µs of CPU per advert sent; of 128: 3.11, side by side).
/// Only the start moves; the protocol's timers do not. A plain command line starts as
/// ucarp does.
/// </summary>
public static class StartPhase
{
    /// <summary>Groups that start in step, in one slot.</summary>
    public const int InStep = 255;
    /// <summary>Groups a slot holds in a daemon of more than <see cref="InStep"/>.</summary>
    public const int GroupsPerSlot = 128;
    public const int MaxSlots = 64;

    /// <summary>The slots for a daemon of <paramref name="groups"/> groups: one up to 255, else one per 128, at most 64.</summary>
    public static int SlotsFor(int groups) => groups <= InStep ? 1 : Math.Clamp((groups + GroupsPerSlot - 1) / GroupsPerSlot, 1, MaxSlots);

    /// <summary>The extra wait (µs) for a group of <paramref name="config"/> named <paramref name="name"/>, in a daemon of <paramref name="slots"/> slots: in [0, one advert interval).</summary>
    public static long Of(string name, Configuration config, int slots) =>
        AdvertInterval(config) * (Hash(config.SyncSet ?? name) % (uint)slots) / slots;

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
