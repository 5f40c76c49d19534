using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The places administrators meet ucarp: Debian's if-up hook, our ifupdown hooks and the
/// systemd unit's command line, each driving the built binary in a namespace.
/// The binary stands in for /usr/sbin/ucarp in a private mount namespace, so the host's
/// /usr/sbin/ucarp is never touched.
/// </summary>
public class IntegrationPlacesTests : NamespaceTest
{
    /// <summary>Runs a shell snippet in a private mount namespace where our binary is /usr/sbin/ucarp, inside node 1's network namespace.</summary>
    static string AsUsrSbinUcarp(TestLan lan, string script, IDictionary<string, string> environment)
    {
        string exports = string.Join(" ", environment.Select(kv => $"{kv.Key}='{kv.Value}'"));
        string inner = $"touch /usr/sbin/ucarp 2>/dev/null; mount --bind '{Binaries.Clone}' /usr/sbin/ucarp && env {exports} ip netns exec '{lan.Node(1)}' sh -c '{script}'";
        lock (Binaries.HostUcarpFiles)
        {
            return Shell.Run("unshare", "-m", "--propagation", "private", "sh", "-c", inner);
        }
    }

    static Dictionary<string, string> Stanza(TestLan lan) => new()
    {
        ["IFACE"] = "eth0",
        ["IF_ADDRESS"] = TestLan.Address(1),
        ["IF_UCARP_VID"] = "42",
        ["IF_UCARP_VIP"] = TestLan.Vip,
        ["IF_UCARP_PASSWORD"] = "test",
        ["IF_UCARP_ADVSKEW"] = "10",
        ["IF_UCARP_MASTER"] = "yes",
        ["IF_UCARP_UPSCRIPT"] = lan.UpScript,
        ["IF_UCARP_DOWNSCRIPT"] = lan.DownScript,
        ["UCARP_RUNDIR"] = Path.Combine(lan.Directory, "run"),
    };

    /// <summary>
    /// The daemon: the one process in node 1's namespace that runs our binary, once the -B
    /// parent that started it has exited (it may still be exiting when the daemon's
    /// upscript has already added the address).
    /// </summary>
    static int DaemonPid(TestLan lan)
    {
        int[] running = [];
        Assert.That(Wait.Until(() => (running = ClonesIn(lan)).Length == 1, TimeSpan.FromSeconds(5)), Is.True,
                    "one process runs the binary: " + string.Join(" ", running));
        return running[0];
    }

    static int[] ClonesIn(TestLan lan) =>
        [.. Shell.Run("ip", "netns", "pids", lan.Node(1)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                 .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).Where(RunsClone)];

    /// <summary>The process runs our binary: same file (device and inode) as build/ucarp; false once it is gone.</summary>
    static bool RunsClone(int pid) =>
        Shell.RunAllowingFailure("stat", ["-L", "-c", "%d:%i", $"/proc/{pid}/exe"], out int code) is var exe && code == 0
        && exe == Shell.Run("stat", "-L", "-c", "%d:%i", Binaries.Clone);

    [Test]
    public void Debians_own_if_up_hook_starts_the_clone_which_takes_and_releases_the_vip()
    {
        Binaries.RequireDebian();
        const string hook = "/etc/network/if-up.d/ucarp";
        if (!File.Exists(hook))
        {
            Assert.Ignore($"{hook} is Debian's ucarp package's; it is not installed");
        }
        using var lan = new TestLan(1);
        AsUsrSbinUcarp(lan, hook, Stanza(lan));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), TimeSpan.FromSeconds(10)), Is.True, string.Join("\n", lan.ScriptCalls));
        int pid = DaemonPid(lan);
        Assert.That(RunsClone(pid), Is.True, "the hook ran our binary");
        Assert.That(File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '),
                    Does.Contain($"-i eth0 -s 192.0.2.1 -B -z -v 42 -p test -a 192.0.2.100 -u {lan.UpScript} -d {lan.DownScript} -P -k 10"));

        Shell.Run("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
        Assert.That(Wait.Until(() => !Directory.Exists($"/proc/{pid}"), Long), Is.True);
        Assert.That(lan.HoldsVip(1), Is.False, "the -z downscript gave the VIP back");
    }

    [Test]
    public void Our_hooks_start_the_daemon_on_ifup_and_stop_it_on_ifdown()
    {
        using var lan = new TestLan(1);
        string up = Path.Combine(Binaries.Repository, "scripts/debian/if-up.d-ucarp");
        string down = Path.Combine(Binaries.Repository, "scripts/debian/if-down.d-ucarp");
        var stanza = Stanza(lan);
        AsUsrSbinUcarp(lan, up, stanza);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), TimeSpan.FromSeconds(10)), Is.True, string.Join("\n", lan.ScriptCalls));
        int pid = DaemonPid(lan);
        string pidfile = Path.Combine(stanza["UCARP_RUNDIR"], "eth0.pid");
        Assert.That(File.ReadAllText(pidfile).Trim(), Is.EqualTo(pid.ToString(CultureInfo.InvariantCulture)));

        AsUsrSbinUcarp(lan, down, stanza);
        Assert.That(Directory.Exists($"/proc/{pid}"), Is.False, "ifdown waited for the daemon to exit");
        Assert.That(lan.HoldsVip(1), Is.False);
        Assert.That(File.Exists(pidfile), Is.False);
        Assert.That(lan.ScriptCalls[^1], Does.StartWith("down eth0 192.0.2.100"));
    }

    /// <summary>
    /// A dual-stack interface: an "inet" and an "inet6" stanza with ucarp options each start
    /// a daemon of their family, with a pid file each, and ifdown stops each one.
    /// </summary>
    [Test]
    public void Our_hooks_run_one_daemon_per_family_for_dual_stack_stanzas()
    {
        using var lan = new TestLan(1, ipv6: true);
        string up = Path.Combine(Binaries.Repository, "scripts/debian/if-up.d-ucarp");
        string down = Path.Combine(Binaries.Repository, "scripts/debian/if-down.d-ucarp");
        var inet = Stanza(lan);
        inet["ADDRFAM"] = "inet";
        var inet6 = new Dictionary<string, string>(inet)
        {
            ["ADDRFAM"] = "inet6", ["IF_ADDRESS"] = TestLan.Address6(1) + "/64", ["IF_UCARP_VIP"] = TestLan.Vip6, ["IF_UCARP_VID"] = "43",
        };
        AsUsrSbinUcarp(lan, up, inet);
        AsUsrSbinUcarp(lan, up, inet6);
        Assert.That(Wait.Until(() => lan.HoldsVip(1) && lan.Ip("-n", lan.Node(1), "-6", "addr", "show", "dev", "eth0").Contains(TestLan.Vip6 + "/"),
                               TimeSpan.FromSeconds(10)), Is.True, string.Join("\n", lan.ScriptCalls));
        string run = inet["UCARP_RUNDIR"];
        int pid4 = int.Parse(File.ReadAllText(Path.Combine(run, "eth0.pid")).Trim(), CultureInfo.InvariantCulture);
        int pid6 = int.Parse(File.ReadAllText(Path.Combine(run, "eth0.inet6.pid")).Trim(), CultureInfo.InvariantCulture);
        Assert.That(pid4, Is.Not.EqualTo(pid6));
        Assert.That(File.ReadAllText($"/proc/{pid6}/cmdline").Replace('\0', ' '), Does.Contain("-s 2001:db8::1 -B -z -v 43"));

        AsUsrSbinUcarp(lan, down, inet6);
        Assert.That(Directory.Exists($"/proc/{pid6}"), Is.False, "ifdown of the inet6 stanza stopped its daemon");
        Assert.That(Directory.Exists($"/proc/{pid4}"), Is.True, "and only that one");
        Assert.That(lan.Ip("-n", lan.Node(1), "-6", "addr", "show", "dev", "eth0"), Does.Not.Contain(TestLan.Vip6 + "/"));
        AsUsrSbinUcarp(lan, down, inet);
        Assert.That(Directory.Exists($"/proc/{pid4}"), Is.False);
        Assert.That(lan.HoldsVip(1), Is.False);
    }

    [Test]
    public void Our_if_down_hook_leaves_a_reused_pid_alone()
    {
        using var lan = new TestLan(1);
        var stanza = Stanza(lan);
        Directory.CreateDirectory(stanza["UCARP_RUNDIR"]);
        using var bystander = new UcarpProcess(lan.Node(1), "/bin/sleep", ["30"]);
        File.WriteAllText(Path.Combine(stanza["UCARP_RUNDIR"], "eth0.pid"), bystander.Pid.ToString(CultureInfo.InvariantCulture));
        AsUsrSbinUcarp(lan, Path.Combine(Binaries.Repository, "scripts/debian/if-down.d-ucarp"), stanza);
        Assert.That(bystander.HasExited, Is.False);
    }

    [Test]
    public void The_systemd_units_command_line_runs_the_daemon_and_sigterm_releases_the_vip()
    {
        using var lan = new TestLan(1);
        string unit = File.ReadAllText(Path.Combine(Binaries.Repository, "scripts/systemd/ucarp@.service"));
        string execStart = unit.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..];
        string passfile = Path.Combine(lan.Directory, "pass");
        File.WriteAllText(passfile, "test\n");
        var conf = new Dictionary<string, string>
        {
            ["INTERFACE"] = "eth0", ["SOURCE"] = TestLan.Address(1), ["VHID"] = "42", ["PASSFILE"] = passfile,
            ["VIP"] = TestLan.Vip, ["UPSCRIPT"] = lan.UpScript, ["DOWNSCRIPT"] = lan.DownScript, ["OPTIONS"] = "-k 0 -P",
        };
        string[] argv = SystemdExpand(execStart, conf);
        Assert.That(argv[0], Is.EqualTo("/usr/sbin/ucarp"));
        using UcarpProcess daemon = lan.StartRaw(1, Binaries.Clone, argv[1..]);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, daemon.Output);
        daemon.Signal("TERM");
        Assert.That(daemon.WaitForExit(Long), Is.True);
        Assert.That(daemon.ExitCode, Is.EqualTo(0), "a clean stop for systemd");
        Assert.That(lan.HoldsVip(1), Is.False);
    }

    /// <summary>systemd's ExecStart expansion: "${VAR}" is one word, "$VAR" splits on white space.</summary>
    static string[] SystemdExpand(string line, IReadOnlyDictionary<string, string> env)
    {
        var words = new List<string>();
        foreach (string word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.StartsWith("${", StringComparison.Ordinal) && word.EndsWith('}'))
            {
                words.Add(env[word[2..^1]]);
            }
            else if (word.StartsWith('$'))
            {
                words.AddRange(env[word[1..]].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                words.Add(word);
            }
        }
        return [.. words];
    }
}
