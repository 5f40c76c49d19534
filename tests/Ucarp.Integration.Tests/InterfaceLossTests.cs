using System.Text.Json;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// --config groups whose interface is missing, down, taken down or deleted: the group is
/// held back alone (WAITING in status, with why), lets go of its managed addresses, keeps
/// its sync set out on this host, and starts by itself when its interface is usable.
/// </summary>
public class InterfaceLossTests : NamespaceTest
{
    static string WriteConfig(TestLan lan, string name, string text)
    {
        string path = Path.Combine(lan.Directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    static string Control(TestLan lan, int i) => Path.Combine(lan.Directory, $"ctl-{i}.sock");

    static UcarpProcess StartDaemon(TestLan lan, int i, string config, params string[] extra) =>
        lan.StartRaw(i, Binaries.Clone, ["--config=" + config, "--control=" + Control(lan, i), .. extra]);

    /// <summary>Each group's state as the --state-file says it.</summary>
    static Dictionary<string, string> StateFile(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.GetProperty("groups").EnumerateArray()
                   .ToDictionary(g => g.GetProperty("name").GetString()!, g => g.GetProperty("state").GetString()!, StringComparer.Ordinal);
    }

    /// <summary>Each group's (state, reason) from `ucarpctl status --json`.</summary>
    static Dictionary<string, (string State, string? Reason)> Status(TestLan lan, int i)
    {
        CtlResult status = Ucarpctl.Run(["--control=" + Control(lan, i), "status", "--json"]);
        Assert.That(status.Code, Is.Zero, status.ToString());
        using var json = JsonDocument.Parse(status.Out);
        return json.RootElement.GetProperty("groups").EnumerateArray().ToDictionary(
            g => g.GetProperty("name").GetString()!,
            g => (g.GetProperty("state").GetString()!, g.TryGetProperty("election_reason", out JsonElement r) ? r.GetString() : null),
            StringComparer.Ordinal);
    }

    static string StateOf(TestLan lan, int i, string group) => Status(lan, i).TryGetValue(group, out var s) ? s.State : "(absent)";

    static string Show(TestLan lan, int i) =>
        string.Join("\n", Status(lan, i).Select(kv => $"{kv.Key}: {kv.Value.State} ({kv.Value.Reason})"))
        + "\n" + string.Join("\n", lan.AllAddresses(i));

    /// <summary>Whether node i has <paramref name="address"/>/32 on <paramref name="device"/>.</summary>
    static bool HasAddress(TestLan lan, int i, string address, string device) => lan.AllAddresses(i).Contains($"{address}/32 {device}");

    /// <summary>An interface of node i's own: a veth whose peer (up, so the carrier is there) stays in the namespace; deleted with it.</summary>
    static void Interface(TestLan lan, int i, string device, string address, bool up)
    {
        lan.Ip("-n", lan.Node(i), "link", "add", device, "type", "veth", "peer", "name", device + "p");
        lan.Ip("-n", lan.Node(i), "link", "set", device + "p", "up");
        lan.Ip("-n", lan.Node(i), "addr", "add", address + "/24", "dev", device);
        if (up)
        {
            lan.Ip("-n", lan.Node(i), "link", "set", device, "up");
        }
    }

    /// <summary>
    /// Started with one group's interface missing and another's down, the daemon runs the
    /// group that can run and shows the other two WAITING with why; each starts (and takes
    /// its address) once its interface is usable. A reload that adds a group on a missing
    /// interface is not refused: that group waits, and the reply says so.
    /// </summary>
    [Test]
    public void Groups_whose_interface_is_missing_or_down_at_start_wait_alone_and_start_when_it_is_usable()
    {
        using var lan = new TestLan(1);
        Interface(lan, 1, "eth2", "203.0.113.1", up: false);
        string text = "defaults -p test -k 0 --manage-addresses\n"
                      + "group inside -i eth0 -s 192.0.2.1 -v 1 -a 192.0.2.101\n"
                      + "group outside -i eth1 -s 198.51.100.1 -v 2 -a 198.51.100.101\n"
                      + "group spare -i eth2 -s 203.0.113.1 -v 3 -a 203.0.113.101\n";
        string config = WriteConfig(lan, "held.conf", text);
        string stateFile = Path.Combine(lan.Directory, "state.json");
        using UcarpProcess a = StartDaemon(lan, 1, config, "--state-file=" + stateFile);
        Assert.That(Wait.Until(() => HasAddress(lan, 1, "192.0.2.101", "eth0"), Long), Is.True, a.Output);
        Assert.That(Wait.Until(() => File.Exists(stateFile) && StateFile(stateFile).GetValueOrDefault("inside") == "MASTER", Short), Is.True);
        Assert.That(StateFile(stateFile), Is.EqualTo(new Dictionary<string, string> { ["inside"] = "MASTER", ["outside"] = "WAITING", ["spare"] = "WAITING" }),
                    "the state file shows the waiting groups, in the file's order");
        Dictionary<string, (string State, string? Reason)> status = Status(lan, 1);
        Assert.That(status["inside"].State, Is.EqualTo("MASTER"));
        Assert.That(status["outside"], Is.EqualTo(("WAITING", (string?)"interface eth1 is missing")));
        Assert.That(status["spare"], Is.EqualTo(("WAITING", (string?)"interface eth2 is down")));
        Assert.That(a.WaitFor("[outside] Held back until it can start (interface eth1 is missing)", Short), Is.True, a.Output);
        Assert.That(a.HasExited, Is.False);

        Interface(lan, 1, "eth1", "198.51.100.1", up: true);
        Assert.That(Wait.Until(() => HasAddress(lan, 1, "198.51.100.101", "eth1"), Long), Is.True, a.Output + "\n" + Show(lan, 1));
        Assert.That(StateOf(lan, 1, "outside"), Is.EqualTo("MASTER"));
        // Its lines were kept back while it was tried: once started, they and the later ones are written.
        Assert.That(a.WaitFor("[outside] Switching to state: MASTER", Short), Is.True, a.Output);
        Assert.That(StateOf(lan, 1, "spare"), Is.EqualTo("WAITING"), "eth2 is still down");
        lan.Ip("-n", lan.Node(1), "link", "set", "eth2", "up");
        Assert.That(Wait.Until(() => HasAddress(lan, 1, "203.0.113.101", "eth2"), Long), Is.True, a.Output + "\n" + Show(lan, 1));

        File.WriteAllText(config, text + "group late -i eth3 -s 203.0.113.1 -v 4 -a 203.0.113.104\n");
        CtlResult reload = Ucarpctl.Run(Control(lan, 1), "reload");
        Assert.That(reload.Code, Is.Zero, reload.ToString());
        Assert.That(reload.Out, Does.Contain("[late] Held back until it can start (interface eth3 is missing)"), reload.ToString());
        Assert.That(StateOf(lan, 1, "late"), Is.EqualTo("WAITING"));
        Assert.That(Status(lan, 1).Where(kv => kv.Key != "late").Select(kv => kv.Value.State), Has.All.EqualTo("MASTER"), Show(lan, 1));
    }

    /// <summary>
    /// An interface taken down and up, then deleted and made again, under a --config daemon
    /// without -z: each time its group lets go of its managed address (nothing is left on a
    /// link that comes back while a peer may hold it), waits, and is MASTER again when the
    /// interface is back; the group on the other interface never notices.
    /// </summary>
    [Test]
    public void A_group_whose_interface_goes_down_or_away_lets_go_waits_and_comes_back()
    {
        using var lan = new TestLan(1);
        Interface(lan, 1, "eth1", "198.51.100.1", up: true);
        string config = WriteConfig(lan, "flap.conf", "defaults -p test -k 0 --manage-addresses\n"
                                                      + "group inside -i eth0 -s 192.0.2.1 -v 1 -a 192.0.2.101\n"
                                                      + "group outside -i eth1 -s 198.51.100.1 -v 2 -a 198.51.100.101\n");
        using UcarpProcess a = StartDaemon(lan, 1, config);
        Assert.That(Wait.Until(() => HasAddress(lan, 1, "192.0.2.101", "eth0") && HasAddress(lan, 1, "198.51.100.101", "eth1"), Long), Is.True, a.Output);

        lan.Ip("-n", lan.Node(1), "link", "set", "eth1", "down");
        Assert.That(Wait.Until(() => !HasAddress(lan, 1, "198.51.100.101", "eth1"), Short), Is.True, "the managed address goes\n" + a.Output + "\n" + Show(lan, 1));
        Assert.That(Wait.Until(() => Status(lan, 1)["outside"] == ("WAITING", "interface eth1 is down"), Short), Is.True, Show(lan, 1));
        Assert.That(a.Saw("exiting: pfds"), Is.False, "a --config group does not say it exits\n" + a.Output);
        lan.Ip("-n", lan.Node(1), "link", "set", "eth1", "up");
        Assert.That(Wait.Until(() => HasAddress(lan, 1, "198.51.100.101", "eth1") && StateOf(lan, 1, "outside") == "MASTER", Long), Is.True,
                    a.Output + "\n" + Show(lan, 1));

        lan.Ip("-n", lan.Node(1), "link", "del", "eth1");
        Assert.That(Wait.Until(() => Status(lan, 1)["outside"] == ("WAITING", "interface eth1 is missing"), Short), Is.True, a.Output + "\n" + Show(lan, 1));
        Interface(lan, 1, "eth1", "198.51.100.1", up: true);
        Assert.That(Wait.Until(() => HasAddress(lan, 1, "198.51.100.101", "eth1") && StateOf(lan, 1, "outside") == "MASTER", Long), Is.True,
                    a.Output + "\n" + Show(lan, 1));

        Assert.That(a.HasExited, Is.False);
        Assert.That(a.Count("[inside] Switching to state:"), Is.EqualTo(2), "inside went INIT to BACKUP to MASTER once\n" + a.Output);
        Assert.That(HasAddress(lan, 1, "192.0.2.101", "eth0"), Is.True);
    }

    /// <summary>
    /// A firewall's two legs in one sync set, preferred on host 1 (-P): host 1's outside
    /// interface goes down. Its member waits, and the set stays whole on host 2: host 1's
    /// inside member stays out of the election (it would take its address back with -P
    /// after the 3 s hold if the lost member had left the set). When the interface returns,
    /// the set comes back to host 1 whole.
    /// </summary>
    [Test]
    public void A_sync_set_stays_whole_while_a_members_interface_is_down_and_returns_whole()
    {
        using var lan = new TestLan(2);
        lan.AddSecondLink();
        string File(int node, int advskew) => WriteConfig(lan, $"fw{node}.conf",
            $"defaults -p test -k {advskew} -P --manage-addresses --sync=fw\n"
            + $"group inside -i eth0 -s {TestLan.Address(node)} -v 1 -a 192.0.2.101\n"
            + $"group outside -i eth1 -s {TestLan.SecondAddress(node)} -v 2 -a 198.51.100.101\n");
        bool Holds(int node, bool both) => HasAddress(lan, node, "192.0.2.101", "eth0") == both && HasAddress(lan, node, "198.51.100.101", "eth1") == both;
        using UcarpProcess a = StartDaemon(lan, 1, File(1, 0));
        Assert.That(Wait.Until(() => Holds(1, true), Long), Is.True, a.Output);
        using UcarpProcess b = StartDaemon(lan, 2, File(2, 100));
        Assert.That(Wait.Until(() => b.Count("Switching to state: BACKUP") == 2, Long), Is.True, b.Output);

        lan.Ip("-n", lan.Node(1), "link", "set", "eth1", "down");
        Assert.That(Wait.Until(() => Holds(2, true) && Holds(1, false), Long), Is.True, Describe(lan, a, b) + "\n" + Show(lan, 1));
        // Past the 3 s hold and host 1's master-down interval: with the set split, host 1's
        // inside member (advskew 0, -P) would have taken 192.0.2.101 back by then.
        Assert.That(Wait.Throughout(() => Holds(2, true) && Holds(1, false), TimeSpan.FromSeconds(6)), Is.True,
                    "the set stays whole on host 2\n" + Describe(lan, a, b) + "\n" + Show(lan, 1));
        Assert.That(Status(lan, 1)["inside"].Reason, Is.EqualTo("sync set fw: outside is out of the election"), Show(lan, 1));

        lan.Ip("-n", lan.Node(1), "link", "set", "eth1", "up");
        Assert.That(Wait.Until(() => Holds(1, true) && Holds(2, false), Long), Is.True, "back whole to host 1\n" + Describe(lan, a, b) + "\n" + Show(lan, 1));
        Assert.That(Status(lan, 1).Values.Select(v => v.State), Has.All.EqualTo("MASTER"), Show(lan, 1));
    }
}
