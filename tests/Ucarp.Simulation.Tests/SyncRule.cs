using Ucarp.Core.Carp;
using Ucarp.Core.Groups;

namespace Ucarp.Simulation.Tests;

/// <summary>
/// The sync-set rule as it must stand once a host has handled an event (SyncCoordinator
/// observes at the tail of each): no member of a set is MASTER on a host where another
/// member is out of the election for a reason of its own (check, ucarpctl, carrier,
/// stopping). For CARP hosts and etcd nodes alike.
/// </summary>
static class SyncRule
{
    /// <returns>What breaks the rule among one host's running groups, or null.</returns>
    public static string? Broken<T>(IReadOnlyList<T> groups, Func<T, string?> setOf, Func<T, ElectionGate> gateOf, Func<T, string> nameOf)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            if (setOf(groups[i]) is not string set || gateOf(groups[i]).OwnInElection)
            {
                continue;
            }
            for (int j = 0; j < groups.Count; j++)
            {
                if (j != i && setOf(groups[j]) == set && gateOf(groups[j]).State == CarpState.Master)
                {
                    return $"set {set}: {nameOf(groups[j])} MASTER while {nameOf(groups[i])} is out of the election";
                }
            }
        }
        return null;
    }
}
