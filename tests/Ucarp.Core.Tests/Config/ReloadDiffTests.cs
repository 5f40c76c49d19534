using System.Reflection;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;

namespace Ucarp.Core.Tests.Config;

/// <summary>A reload's plan: which groups keep running, restart, start and stop.</summary>
public class ReloadDiffTests
{
    const string Base = "defaults -i eth0 -s 192.0.2.1 -p pw -u /up -d /down\n";

    static IReadOnlyList<GroupOptions> Groups(string text)
    {
        ConfigReadResult read = ConfigReaderTests.Read(text);
        Assert.That(read.Diagnostics, Is.Empty);
        return read.Groups;
    }

    static string Plan(string before, string after)
    {
        ReloadPlan plan = ReloadDiff.Compute(Groups(before), Groups(after));
        string Names(IEnumerable<GroupOptions> groups) => string.Join(",", groups.Select(g => g.Name));
        return $"same {Names(plan.Unchanged)}; changed {string.Join(",", plan.Changed.Select(c => c.New.Name + "(" + string.Join(" ", c.Options) + ")"))}; "
             + $"added {Names(plan.Added)}; removed {Names(plan.Removed)}";
    }

    [Test]
    public void The_same_settings_written_differently_are_unchanged()
    {
        string before = Base + "group a -v 1 -a 192.0.2.10 -k 5 -P\ngroup b -v 2 -a 192.0.2.11\n";
        string after = "# moved around\ndefaults --interface=eth0 --srcip=192.0.2.1 --pass=pw\ndefaults -u /up -d /down\n\n"
                     + "group b --vhid=2 \\\n  --addr=192.0.2.11\n"
                     + "group a -Pk5 -v1 -a 192.0.2.10\n";
        Assert.That(Plan(before, after), Is.EqualTo("same b,a; changed ; added ; removed "));
        // -P moved into the defaults: b gains it.
        string moved = after.Replace("-d /down\n", "-d /down -P\n").Replace("-Pk5", "-k5");
        Assert.That(Plan(before, moved), Is.EqualTo("same a; changed b(--preempt); added ; removed "));
    }

    [Test]
    public void A_changed_option_restarts_that_group_alone_and_says_which()
    {
        string before = Base + "group a -v 1 -a 192.0.2.10\ngroup b -v 2 -a 192.0.2.11\ngroup c -v 3 -a 192.0.2.12\n";
        string after = Base + "group a -v 1 -a 192.0.2.10 -k 10\ngroup b -v 2 -a 192.0.2.11\ngroup c -v 3 -a 192.0.2.12 -p other --check=true\n";
        Assert.That(Plan(before, after), Is.EqualTo("same b; changed a(--advskew),c(--pass --check); added ; removed "));
    }

    [Test]
    public void Added_and_removed_groups_and_a_rename_is_both()
    {
        string before = Base + "group a -v 1 -a 192.0.2.10\ngroup b -v 2 -a 192.0.2.11\ngroup c -v 3 -a 192.0.2.12\n";
        string after = Base + "group c -v 3 -a 192.0.2.12\ngroup d -v 4 -a 192.0.2.13\ngroup b2 -v 2 -a 192.0.2.11\n";
        Assert.That(Plan(before, after), Is.EqualTo("same c; changed ; added d,b2; removed a,b"));
        Assert.That(Plan(before, Base), Is.EqualTo("same ; changed ; added ; removed a,b,c"));
        Assert.That(Plan("", before), Is.EqualTo("same ; changed ; added a,b,c; removed "));
    }

    [Test]
    public void A_command_line_is_a_one_group_configuration()
    {
        var host = new Cli.RecordingCliHost();
        Configuration c = CommandLine.Parse("ucarp", ["-B", "-i", "eth0", "-s", "192.0.2.1", "-v", "1", "-p", "pw", "-a", "192.0.2.10", "--pidfile=/run/u"],
                                            posixlyCorrect: false, host).Configuration!;
        DaemonConfiguration daemon = DaemonConfiguration.FromCommandLine(c);
        Assert.That(daemon.Daemon, Is.EqualTo(new DaemonOptions(true, false, false, c.SyslogFacility, "/run/u", null, null, null, null, false, null)));
        Assert.That(daemon.Groups.Single().Name, Is.EqualTo("ucarp"));
        Assert.That(daemon.Groups.Single().Settings, Is.SameAs(c));
    }

    /// <summary>A value unlike the default for any of Configuration's property types.</summary>
    static void Change(PropertyInfo property, Configuration c)
    {
        object? value = property.GetValue(c);
        switch (value)
        {
            case List<IpAddress> list: list.Add(new IpAddress(198, 51, 100, 7)); return;
            case List<EtcdEndpoint> list: list.Add(new EtcdEndpoint(false, "203.0.113.5", 2379)); return;
        }
        Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        object changed = type == typeof(string) ? "/changed"
            : type == typeof(bool) ? !(bool)value!
            : type == typeof(byte) ? (byte)((byte)value! + 1)
            : type == typeof(ushort) ? (ushort)((ushort)value! + 1)
            : type == typeof(int) ? (value is int n ? n + 1 : 1)
            : type == typeof(uint) ? (uint)value! + 1
            : type == typeof(long) ? (value is long l ? l + 1 : 1L)
            : type == typeof(IpAddress) ? new IpAddress(203, 0, 113, 99)
            : throw new AssertionException($"{property.Name}: a type this test does not know ({type}): teach it");
        property.SetValue(c, changed);
    }

    /// <summary>
    /// Every setting is the daemon's or the group's: a new field of Configuration fails here
    /// until it is given to DaemonOptions (and IsProcessWide) or to GroupOptions.Describe,
    /// so a reload never keeps a group running on an old value.
    /// </summary>
    [Test]
    public void Every_setting_belongs_to_the_daemon_or_makes_a_group_change()
    {
        HashSet<string> daemon = [.. typeof(DaemonOptions).GetProperties().Select(p => p.Name)];
        // Whether an option was written out only matters to the checks, which the new file
        // passes before a reload: "-k 0" where it was left out changes no group.
        HashSet<string> checksOnly = ["AdvBaseGiven", "AdvSkewGiven", "DeadRatioGiven", "PriorityGiven", "AdvertIntervalGiven",
                                      "PreemptDelayGiven", "VrrpChecksumGiven"];
        var checkedNames = new List<string>();
        foreach (PropertyInfo property in typeof(Configuration).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if ((!property.CanWrite && !property.PropertyType.IsGenericType) || checksOnly.Contains(property.Name))
            {
                continue;    // computed from the others (EtcdPrefixGiven), or for the checks alone
            }
            var before = new Configuration();
            var after = new Configuration();
            Change(property, after);
            bool groupChanged = ReloadDiff.Differences(new GroupOptions("g", 1, before), new GroupOptions("g", 2, after)).Count != 0;
            bool daemonChanged = DaemonOptions.From(before) != DaemonOptions.From(after);
            Assert.That((groupChanged, daemonChanged), Is.EqualTo((!daemon.Contains(property.Name), daemon.Contains(property.Name))), property.Name);
            checkedNames.Add(property.Name);
        }
        Assert.That(checkedNames, Has.Count.GreaterThan(35));
        Assert.That(daemon.Where(n => n != "EqualityContract"), Is.SubsetOf(checkedNames));
    }

    /// <summary>The options refused in a file are exactly those that set a DaemonOptions field.</summary>
    [Test]
    public void Process_wide_options_are_the_ones_that_set_the_daemons_settings()
    {
        string[] samples = ["1", "/x", "local0", "192.0.2.1", "http://127.0.0.1", "192.0.2.1:9155"];
        foreach (LongOption option in OptionTable.LongOptions.Where(o => o.Value != 'h'))
        {
            bool setsDaemon = false;
            foreach (string sample in option.HasArgument ? samples : [""])
            {
                var c = new Configuration();
                var step = new GetoptResult(GetoptResultKind.Option, option.Value, option.HasArgument ? sample : null);
                if (CommandLine.Option.Apply(step, c, new Cli.RecordingCliHost()) is null)
                {
                    setsDaemon |= DaemonOptions.From(c) != DaemonOptions.From(new Configuration());
                }
            }
            Assert.That(DaemonOptions.IsProcessWide(option.Value), Is.EqualTo(setsDaemon), option.Name);
        }
    }
}
