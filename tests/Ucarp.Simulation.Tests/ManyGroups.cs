using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
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
}
