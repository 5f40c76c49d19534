using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Groups;
using static Ucarp.Simulation.Tests.Cluster;

namespace Ucarp.Simulation.Tests;

/// <summary>Settings and checks for hosts of many groups: group vhid V has the VIP 198.51.100.V (RFC 5737).</summary>
static class ManyGroups
{
    public static CarpSettings Group(int host, byte vhid, byte advskew = 0, bool preempt = false, byte advbase = 1) =>
        Node(host, advskew, preempt, advbase) with
        {
            Vhid = vhid,
            VirtualAddress = new IpAddress(198, 51, 100, vhid),
            VirtualAddressText = $"198.51.100.{vhid}",
        };

    /// <summary>The hosts on which the group of this name is MASTER.</summary>
    public static List<SimHost> MastersOf(this VirtualLan lan, string group) =>
        [.. lan.Hosts.Where(h => h.Alive && h.Groups.Any(g => g.Name == group && g.IsMaster))];

    /// <summary>When the group became MASTER on the host at or after the time.</summary>
    public static long MasterSince(SimHost host, string group, long after) =>
        host[group].Roles.First(r => r.Time >= after && r.Role == CarpState.Master).Time;

    public static int RoleChanges(this VirtualLan lan) => lan.Hosts.Sum(h => h.Groups.Sum(g => g.Roles.Count));

    /// <summary>
    /// Watches, after every event, whether the members of a set are MASTER on two hosts at
    /// once, and keeps the longest such stretch.
    /// </summary>
    public sealed class SplitWatch
    {
        readonly VirtualLan _lan;
        readonly string[] _members;
        long? _since;

        public SplitWatch(VirtualLan lan, params string[] members)
        {
            _lan = lan;
            _members = members;
            lan.AfterEvent += Check;
        }

        public long Longest { get; private set; }

        void Check()
        {
            bool split = _members.SelectMany(m => _lan.MastersOf(m)).Distinct().Count() > 1;
            if (split)
            {
                _since ??= _lan.Now;
                Longest = Math.Max(Longest, _lan.Now - _since.Value);
            }
            else
            {
                _since = null;
            }
        }
    }

    /// <summary>
    /// Fault number <paramref name="fault"/> of the invariant tests' draw, on a host and one
    /// of its groups (found when the fault acts, on a live host): loss, a partition, a kill or
    /// a start, a failing or passing check, ucarpctl demote or promote, SIGUSR2 (0 to 7);
    /// any other number ends the loss.
    /// </summary>
    public static void Fault(this VirtualLan lan, int fault, SimHost host, Func<SimGroup?> group, Random random)
    {
        long now = lan.Now;
        switch (fault)
        {
            case 0: lan.Loss = random.NextDouble() * 0.6; break;
            case 1: host.Partition = random.Next(2); break;
            case 2: if (host.Alive) host.Kill(); else host.Start(); break;
            case 3: host.Act(() => group()?.Gate.SetEligible(false, "check failed", now)); break;
            case 4: host.Act(() => group()?.Gate.SetEligible(true, "check passed", now)); break;
            case 5: host.Act(() => group()?.Gate.Close(GateReason.Control, "demoted by ucarpctl", now)); break;
            case 6: host.Act(() => group()?.Gate.Open(GateReason.Control, "promoted by ucarpctl", now)); break;
            case 7: host.Act(() => group()?.Gate.Demote(now)); break;
            default: lan.Loss = 0; break;
        }
    }

    /// <summary>The faults stop: no loss, one partition, every host up, every gate open.</summary>
    public static void Calm(this VirtualLan lan, IEnumerable<SimHost> hosts)
    {
        lan.Loss = 0;
        foreach (SimHost host in hosts)
        {
            host.Partition = 0;
            if (!host.Alive)
            {
                host.Start();
            }
            host.Act(() =>
            {
                foreach (SimGroup group in host.Groups)
                {
                    group.Gate.SetEligible(true, "check passed", lan.Now);
                    group.Gate.Open(GateReason.Control, "promoted by ucarpctl", lan.Now);
                }
            });
        }
    }
}
