using System.Globalization;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Config;

/// <summary>
/// One group: its name, the line that declares it (0 for the command line) and the
/// settings its options made, read by the command line's own appliers. The
/// <see cref="DaemonOptions"/> fields of <see cref="Settings"/> are not the group's.
/// </summary>
public sealed class GroupOptions(string name, int line, Configuration settings)
{
    public const int MaxNameLength = 32;

    public string Name { get; } = name;
    public int Line { get; } = line;
    public Configuration Settings { get; } = settings;

    public bool IsEtcd => Settings.EtcdEndpoints.Count != 0;

    /// <summary>Where this group's adverts arrive: its multicast group, or with --peer its own source address.</summary>
    public IpAddress AdvertDestination => Settings.Peers.Count != 0 ? Settings.SourceAddress : Settings.MulticastAddress;

    /// <summary>
    /// A name that is safe in a log line, a metrics label, a file name and the control
    /// socket: ASCII letters, digits, '_', '.', '-', starting with a letter or digit.
    /// </summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > MaxNameLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The group options a command line gave at all, even at their defaults (beside
    /// --config they would belong to no group): what differs from a plain configuration,
    /// then those written out at their default value.
    /// </summary>
    public static IReadOnlyList<string> Given(Configuration c)
    {
        var given = new List<string>(ReloadDiff.Differences(new GroupOptions("-", 0, new Configuration()), new GroupOptions("-", 0, c)));
        (bool, string)[] atDefault =
        [
            (c.AdvBaseGiven, "--advbase"), (c.AdvSkewGiven, "--advskew"), (c.DeadRatioGiven, "--deadratio"),
            (c.PriorityGiven, "--priority"), (c.AdvertIntervalGiven, "--advert-int"), (c.PreemptDelayGiven, "--preempt-delay"),
            (c.VrrpChecksumGiven, "--vrrp-checksum"),
        ];
        foreach ((bool wasGiven, string option) in atDefault)
        {
            if (wasGiven)
            {
                given.Add(option + " given");
            }
        }
        return given;
    }

    /// <summary>
    /// Every setting that makes the group what it is, by option name, as text: two groups
    /// with equal lists behave alike, so a reload leaves such a group running.
    /// </summary>
    public IReadOnlyList<(string Option, string Value)> Describe()
    {
        Configuration c = Settings;
        return
        [
            ("--interface", c.Interface ?? ""),
            ("--srcip", c.SourceAddress.ToString()),
            ("--mcastip", c.MulticastAddress.ToString()),
            ("--mcastip given", Flag(c.MulticastGiven)),
            ("--vhid", Number(c.Vhid)),
            ("--pass", c.Password ?? ""),
            ("--addr", c.VirtualAddress.ToString()),
            ("--addr text", c.VirtualAddressText ?? ""),
            ("--advbase", Number(c.AdvBase)),
            ("--advskew", Number(c.AdvSkew)),
            ("--deadratio", Number(c.DeadRatio)),
            ("--upscript", c.UpScript ?? "\0"),
            ("--downscript", c.DownScript ?? "\0"),
            ("--xparam", c.XParam ?? "\0"),
            ("--preempt", Flag(c.Preempt)),
            ("--neutral", Flag(c.Neutral)),
            ("--shutdown", Flag(c.ShutdownAtExit)),
            ("--ignoreifstate", Flag(c.IgnoreInterfaceState)),
            ("--nomcast", Flag(c.NoMulticast)),
            ("--no-bowout", Flag(c.NoBowOut)),
            ("--check", c.Check ?? "\0"),
            ("--check-interval", Number(c.CheckInterval)),
            ("--check-timeout", c.CheckTimeout is long t ? Number(t) : ""),
            ("--check-fall", Number(c.CheckFall)),
            ("--check-rise", Number(c.CheckRise)),
            ("--check-weight", Number(c.CheckWeight)),
            ("--garp-refresh", c.GarpRefresh is long g ? Number(g) : ""),
            ("--check timing given", Flag(c.CheckTimingGiven)),
            ("--peer", string.Join(" ", c.Peers)),
            ("--etcd", string.Join(" ", c.EtcdEndpoints)),
            ("--etcd-prefix", c.EtcdPrefix),
            ("--etcd-cacert", c.EtcdCaCert ?? "\0"),
            ("--etcd-cert", c.EtcdCert ?? "\0"),
            ("--etcd-key", c.EtcdKey ?? "\0"),
            ("--etcd-user", c.EtcdUser ?? "\0"),
            ("--etcd-password-file", c.EtcdPasswordFile ?? "\0"),
            ("--etcd-ttl", c.EtcdTtl is int ttl ? Number(ttl) : ""),
            ("--follow-key", c.FollowKey ?? "\0"),
            ("--follow-value", c.FollowValue ?? "\0"),
            ("--extra-addr", string.Join(" ", c.ExtraAddresses)),
            ("--manage-addresses", Flag(c.ManageAddresses)),
            ("--sync", c.SyncSet ?? "\0"),
            ("--vrrp", Number(c.Vrrp)),
            ("--priority", Number(c.Priority)),
            ("--advert-int", Number(c.AdvertIntervalCentis)),
            ("--no-preempt", Flag(c.NoPreempt)),
            ("--preempt-delay", Number(c.PreemptDelay)),
            ("--vrrp-checksum", c.VrrpChecksumRfc ? "rfc" : "pseudo"),
            ("--vmac", Flag(c.Vmac)),
            ("--vmac-name", c.VmacName ?? "\0"),
        ];
    }

    // "\0" above stands for "not given", which no option's value can spell.
    static string Flag(bool b) => b ? "1" : "0";

    // Whether an option was given at all (a VRRP group refuses -k, even -k 0; a CARP group
    // refuses --priority): a value written or left to its default are different groups.

    static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
