using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>-B: the parent returns at once and a detached daemon does the work.</summary>
public class DaemonModeTests : NamespaceTest
{
    [Test]
    public void Daemonize_detaches_into_its_own_session_with_stdio_on_dev_null()
    {
        using var lan = new TestLan(1);
        using UcarpProcess parent = lan.Start(1, Binary("clone"), "-B", "-z");
        Assert.That(parent.WaitForExit(Short), Is.True, "the parent returns");
        Assert.That(parent.ExitCode, Is.EqualTo(0));
        Assert.That(parent.Lines, Is.Empty, "nothing on the terminal after a valid start");
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, "the daemon took the VIP\n" + string.Join("\n", lan.ScriptCalls));

        int pid = int.Parse(Shell.Run("ip", "netns", "pids", lan.Node(1)).Split('\n', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        string[] stat = File.ReadAllText($"/proc/{pid}/stat").Split(' ');
        int ppid = int.Parse(stat[3], CultureInfo.InvariantCulture);
        int session = int.Parse(stat[5], CultureInfo.InvariantCulture);
        Assert.That(session, Is.EqualTo(pid), "leads its own session");
        Assert.That(ppid, Is.Not.EqualTo(parent.Pid));
        Assert.That(new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(false)!.FullName, Is.EqualTo("/"));
        foreach (int fd in new[] { 0, 1, 2 })
        {
            Assert.That(new FileInfo($"/proc/{pid}/fd/{fd}").ResolveLinkTarget(false)!.FullName, Is.EqualTo("/dev/null"));
        }
        Assert.That(File.ReadAllText(lan.ScriptEnvironment), Does.Contain("PATH=").And.Not.Contain("UCARP_NET_DETACHED"),
                    "scripts get the environment ucarp was started with, and nothing of ours");

        Shell.Run("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
        Assert.That(Wait.Until(() => !Directory.Exists($"/proc/{pid}"), Long), Is.True);
        Assert.That(lan.HoldsVip(1), Is.False, "-z ran the downscript");
    }

    [Test]
    public void Configuration_errors_still_reach_the_terminal()
    {
        using var lan = new TestLan(1);
        using UcarpProcess parent = lan.StartRaw(1, Binary("clone"), "-B", "-i", "eth0", "-v", "1");
        Assert.That(parent.WaitForExit(Short), Is.True);
        Assert.That(parent.ExitCode, Is.EqualTo(1));
        Assert.That(parent.Lines, Is.EqualTo(new[] { "err: [ERROR] You must supply a password" }));
    }
}
