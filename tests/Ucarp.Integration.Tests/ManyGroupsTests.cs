using System.Globalization;
using System.Text;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// One daemon, many groups (--config): every vhid on two hosts taken over when the master
/// host dies; a reload on the wire leaves the unchanged groups untouched; a sync set moves
/// as one when one member's check fails; Debian's ucarp 1.5.2 peers in both roles; a file
/// that does not check out is refused and changes nothing.
/// </summary>
public class ManyGroupsTests : NamespaceTest
{
    /// <summary>The address of group <paramref name="vhid"/> of 255: 198.51.100.1-127, then 203.0.113.1-128.</summary>
    static string ManyVip(int vhid) => vhid <= 127 ? $"198.51.100.{vhid}" : $"203.0.113.{vhid - 127}";

    /// <summary>A small group's address: 192.0.2.100 + vhid.</summary>
    static string Vip(int vhid) => $"192.0.2.{100 + vhid}";

    /// <summary>Node i's groups by name with their state, from `ucarpctl status --json`.</summary>
    static Dictionary<string, string> States(string control)
    {
        CtlResult status = Ucarpctl.Run(["--control=" + control, "status", "--json"]);
        Assert.That(status.Code, Is.Zero, status.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(status.Out);
        return json.RootElement.GetProperty("groups").EnumerateArray()
                   .ToDictionary(g => g.GetProperty("name").GetString()!, g => g.GetProperty("state").GetString()!, StringComparer.Ordinal);
    }

    /// <summary>Each group's valid adverts heard so far (ucarpctl status --json's counters).</summary>
    static Dictionary<string, long> Heard(string control)
    {
        CtlResult status = Ucarpctl.Run(["--control=" + control, "status", "--json"]);
        Assert.That(status.Code, Is.Zero, status.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(status.Out);
        return json.RootElement.GetProperty("groups").EnumerateArray()
                   .ToDictionary(g => g.GetProperty("name").GetString()!, g => g.GetProperty("counters").GetProperty("adverts_received").GetInt64(),
                                 StringComparer.Ordinal);
    }

    static string Control(TestLan lan, int i, string config) => Path.Combine(lan.Directory, $"ctl-{i}-{Path.GetFileName(config)}.sock");

    static string WriteConfig(TestLan lan, string name, string text)
    {
        string path = Path.Combine(lan.Directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);   // it holds a password
        return path;
    }

    /// <summary>A --config daemon on node i; each has a control socket of its own (the default path is one for every namespace).</summary>
    static UcarpProcess StartDaemon(TestLan lan, int i, string config, params string[] extra) =>
        lan.StartRaw(i, Binaries.Clone, ["--config=" + config, "--control=" + Control(lan, i, config), .. extra]);

    /// <summary>Which of <paramref name="addresses"/> node i holds as /32.</summary>
    static List<string> Held(TestLan lan, int i, IEnumerable<string> addresses)
    {
        List<string> shown = lan.AddressesOf(i).Current(ipv6: false);
        return [.. addresses.Where(a => shown.Contains($"{a}/32"))];
    }

    static string Mac(TestLan lan, int i) =>
        lan.Ip("-n", lan.Node(i), "link", "show", "eth0").Split("link/ether ")[1][..17].Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();

    static int Vhid(Frame f) => f.Bytes[35];

    /// <summary>Each thread's blocked, pending and caught signals: where a signal that changed nothing went.</summary>
    static string SignalState(int pid)
    {
        var lines = new List<string> { "--- signals (process): " + string.Join(" ", File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal) || l.StartsWith("ShdPnd", StringComparison.Ordinal))) };
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            string comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
            lines.Add($"  {Path.GetFileName(task)} {comm}: " + string.Join(" ", File.ReadLines(Path.Combine(task, "status")).Where(l => l.StartsWith("SigBlk", StringComparison.Ordinal) || l.StartsWith("SigPnd", StringComparison.Ordinal))));
        }
        return string.Join("\n", lines);
    }

    /// <summary>Scripts that add and remove the address (/32) and log "up|down ADDRESS" to <paramref name="log"/>.</summary>
    static (string Up, string Down) Scripts(TestLan lan, string log)
    {
        string up = Path.Combine(lan.Directory, "up32.sh"), down = Path.Combine(lan.Directory, "down32.sh");
        File.WriteAllText(up, $"#!/bin/sh\necho \"up $2\" >> {log}\nip addr add \"$2\"/32 dev \"$1\"\nexit 0\n");
        File.WriteAllText(down, $"#!/bin/sh\necho \"down $2\" >> {log}\nip addr del \"$2\"/32 dev \"$1\" 2>/dev/null\nexit 0\n");
        File.SetUnixFileMode(up, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(down, (UnixFileMode)0b111_101_101);
        return (up, down);
    }

    static string[] Lines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];

    [Serial]
    [Test]
    public void Every_vhid_on_two_hosts_is_taken_over_when_the_master_host_dies()
    {
        const int groups = 255;
        string[] vips = [.. Enumerable.Range(1, groups).Select(ManyVip)];
        using var lan = new TestLan(2);
        string File(int node, int advskew)
        {
            var text = new StringBuilder($"defaults -i eth0 -s {TestLan.Address(node)} -p test -k {advskew} --manage-addresses\n");
            for (int v = 1; v <= groups; v++)
            {
                text.Append(CultureInfo.InvariantCulture, $"group g{v} -v {v} -a {ManyVip(v)}\n");
            }
            return WriteConfig(lan, $"host{node}.conf", text.ToString());
        }
        Binaries.RequireCtl();
        using UcarpProcess a = StartDaemon(lan, 1, File(1, 0));
        Assert.That(Wait.Until(() => Held(lan, 1, vips).Count == groups, TimeSpan.FromSeconds(20)), Is.True,
                    $"host 1 holds {Held(lan, 1, vips).Count}\n" + a.Output);
        string config2 = File(2, 100);
        using UcarpProcess b = StartDaemon(lan, 2, config2);
        Assert.That(Wait.Until(() => b.Count("Switching to state: BACKUP") == groups, Long), Is.True, b.Output);
        // Longer than host 2's master-down interval (3.4 s): each of its groups hears its master.
        Dictionary<string, long> before = Heard(Control(lan, 2, config2));
        Assert.That(Wait.Throughout(() => !b.Saw("Switching to state: MASTER"), PastMasterDown), Is.True, b.Output);
        Assert.That(Held(lan, 2, vips), Is.Empty);
        // Every advert of the master's: its 255 come in one burst a second (groups of a daemon
        // this size start in step), and a receive ring too small for the burst drops its tail
        // every time, the same groups' (they would take over and never hear otherwise).
        Dictionary<string, long> after = Heard(Control(lan, 2, config2));
        long seconds = (long)PastMasterDown.TotalSeconds;
        Assert.That(after.Where(g => g.Value - before[g.Key] < seconds - 1).Select(g => $"{g.Key} heard {g.Value - before[g.Key]}"), Is.Empty,
                    $"adverts heard by host 2's groups in {PastMasterDown.TotalSeconds} s");

        a.Signal("KILL");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.That(Wait.Until(() => Held(lan, 2, vips).Count == groups, Long), Is.True,
                    $"host 2 holds {Held(lan, 2, vips).Count} of {groups}\n" + b.Output);
        TestContext.Out.WriteLine($"{groups} groups taken over {clock.ElapsedMilliseconds} ms after the SIGKILL");
        Dictionary<string, string> states = States(Control(lan, 2, config2));
        Assert.That(states.Keys, Is.EquivalentTo(Enumerable.Range(1, groups).Select(v => $"g{v}")));
        Assert.That(states.Where(s => s.Value != "MASTER").Select(s => $"{s.Key} {s.Value}"), Is.Empty, "ucarpctl status --json on host 2");
        // Each group says so once, under its own name.
        for (int v = 1; v <= groups; v++)
        {
            Assert.That(b.Count($"[g{v}] Switching to state: MASTER"), Is.EqualTo(1), $"group g{v}\n" + b.Output);
        }
    }

    /// <summary>
    /// Four groups on one host, -b 1: g1 and g2 unchanged by the reload, g3's advskew changed,
    /// g4 added. On the wire g1's and g2's adverts keep their one-second cadence through the
    /// reload (no gap over 1.5 s, none under 0.5 s: no extra advert), and they run no script
    /// and change no state; g3 restarts (its adverts stop, come back with advskew 10, and it is
    /// master again); g4 starts.
    /// </summary>
    // The daemon starts with SIGHUP ignored, as under nohup or from a background job: it
    // must install its handler all the same (.NET leaves an ignored signal ignored, and this
    // test failed whenever make check itself ran with SIGHUP ignored). On failure the
    // message gives the daemon's signal dispositions.
    [Test]
    public void A_reload_leaves_the_unchanged_groups_untouched_on_the_wire_and_restarts_only_what_changed()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(1);
        string log = Path.Combine(lan.Directory, "groups.log");
        var (up, down) = Scripts(lan, log);
        string Text(bool reloaded) =>
            $"defaults -i eth0 -s {TestLan.Address(1)} -p test -k 0 -u {up} -d {down}\n"
            + $"group g1 -v 1 -a {Vip(1)}\ngroup g2 -v 2 -a {Vip(2)}\n"
            + (reloaded ? $"group g3 -v 3 -a {Vip(3)} -k 10\ngroup g4 -v 4 -a {Vip(4)}\n" : $"group g3 -v 3 -a {Vip(3)}\n");
        string config = WriteConfig(lan, "reload.conf", Text(false));
        using Capture capture = lan.StartCapture("proto 112");
        using UcarpProcess a = lan.StartRaw(1, "/bin/sh", "-c", "trap '' HUP; exec \"$@\"", "sh",
                                            Binaries.Clone, "--config=" + config, "--control=" + Control(lan, 1, config));
        Assert.That(Wait.Until(() => Held(lan, 1, [Vip(1), Vip(2), Vip(3)]).Count == 3, Long), Is.True, a.Output);
        // A few adverts of each group at its settled cadence before the reload.
        Assert.That(Wait.Until(() => capture.Current().Count(f => f.IsCarp && Vhid(f) == 1) >= 3, Short), Is.True, a.Output);

        int scriptsBefore = Lines(log).Length;
        int[] statesBefore = [.. new[] { 1, 2 }.Select(v => a.Count($"[g{v}] Switching to state:"))];
        File.WriteAllText(config, Text(true));
        long reloadedAt = (long)(HolderIntervals.Now * 1_000_000);
        a.Signal("HUP");
        Assert.That(Wait.Until(() => Held(lan, 1, [Vip(3), Vip(4)]).Count == 2 && a.Count("[g3] Switching to state: MASTER") == 2
                                     && a.Saw("[g4] Switching to state: MASTER"), Long), Is.True, () => a.Output + "\n" + SignalState(a.Pid));
        // The unchanged groups watched for three more adverts each after the restarted and added ones are up.
        long settled = (long)(HolderIntervals.Now * 1_000_000);
        Assert.That(Wait.Until(() => new[] { 1, 2 }.All(v => capture.Current().Count(f => f.IsCarp && Vhid(f) == v && f.Micros > settled) >= 3), Long),
                    Is.True, a.Output);
        List<Frame> frames = capture.Stop();

        string[] scriptsSince = Lines(log)[scriptsBefore..];
        foreach (int v in new[] { 1, 2 })
        {
            List<long> at = [.. frames.Where(f => f.IsCarp && Vhid(f) == v).Select(f => f.Micros)];
            Assert.That(at.Count(t => t < reloadedAt), Is.GreaterThanOrEqualTo(2), $"g{v} advertised before the reload");
            Assert.That(at.Count(t => t > reloadedAt), Is.GreaterThanOrEqualTo(4), $"g{v} advertised after the reload");
            List<long> gaps = [.. at.Zip(at.Skip(1), (x, y) => y - x)];
            TestContext.Out.WriteLine($"g{v}: {at.Count} adverts, gaps {gaps.Min() / 1000.0:F1}..{gaps.Max() / 1000.0:F1} ms");
            Assert.That(gaps, Has.All.InRange(500_000, 1_500_000), $"g{v}'s cadence through the reload");
            Assert.That(scriptsSince.Where(l => l.EndsWith(" " + Vip(v), StringComparison.Ordinal)), Is.Empty, $"g{v} runs no script\n" + string.Join("\n", scriptsSince));
            Assert.That(a.Count($"[g{v}] Switching to state:"), Is.EqualTo(statesBefore[v - 1]), $"g{v} changes no state\n" + a.Output);
        }
        // g3 restarted: a bow-out advert (advskew 255) at the reload, silent as a backup for its
        // master-down interval, then its new advskew.
        List<Frame> g3 = [.. frames.Where(f => f.IsCarp && Vhid(f) == 3)];
        int restart = Enumerable.Range(1, g3.Count - 1).MaxBy(i => g3[i].Micros - g3[i - 1].Micros);
        Assert.That(g3[restart].Micros - g3[restart - 1].Micros, Is.GreaterThan(2_500_000), "g3 restarted");
        Assert.That(g3[restart].Micros, Is.GreaterThan(reloadedAt));
        Assert.That(g3.Take(restart).Where(f => f.AdvSkew != 255).Select(f => f.AdvSkew), Has.All.EqualTo(0));
        Assert.That(g3.Skip(restart).Select(f => f.AdvSkew), Has.All.EqualTo(10), "g3 runs its new options");
        Assert.That(frames.Where(f => f.IsCarp && Vhid(f) == 4).All(f => f.Micros > reloadedAt), Is.True, "g4 starts with the reload");
        Assert.That(scriptsSince.Count(l => l == "up " + Vip(3)), Is.EqualTo(1), "g3 is master again\n" + string.Join("\n", scriptsSince));
        Assert.That(scriptsSince.Count(l => l == "up " + Vip(4)), Is.EqualTo(1), "g4 is master\n" + string.Join("\n", scriptsSince));
    }

    /// <summary>
    /// A sync set of two groups, master on host 1; touching a file makes one member's check
    /// fail there: both members move to host 2, within one advert interval of each other.
    /// </summary>
    [Serial]
    [Test]
    public void A_sync_set_moves_as_one_when_one_members_check_fails()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(2);
        // One file per host: the namespaces share the filesystem.
        string Broken(int node) => Path.Combine(lan.Directory, $"broken{node}");
        string[] vips = [Vip(1), Vip(2)];
        string File(int node, int advskew) => WriteConfig(lan, $"sync{node}.conf",
            $"defaults -i eth0 -s {TestLan.Address(node)} -p test -k {advskew} --manage-addresses --sync=fw\n"
            + $"group inside -v 1 -a {Vip(1)} --check 'test ! -e {Broken(node)}' --check-interval=0.2\n"
            + $"group outside -v 2 -a {Vip(2)}\n");
        using Capture capture = lan.StartCapture("arp");
        using UcarpProcess a = StartDaemon(lan, 1, File(1, 0));
        Assert.That(Wait.Until(() => Held(lan, 1, vips).Count == 2, Long), Is.True, a.Output);
        using UcarpProcess b = StartDaemon(lan, 2, File(2, 100));
        Assert.That(Wait.Until(() => b.Count("Switching to state: BACKUP") == 2, Short), Is.True, b.Output);

        System.IO.File.WriteAllText(Broken(1), "");
        Assert.That(Wait.Until(() => Held(lan, 2, vips).Count == 2, Long), Is.True, Describe(lan, a, b));
        Assert.That(Wait.Until(() => Held(lan, 1, vips).Count == 0, Short), Is.True, "host 1 gives up both\n" + Describe(lan, a, b));
        // Each group's first announcement from host 2.
        string mac2 = Mac(lan, 2);
        Assert.That(Wait.Until(() => vips.All(v => capture.Current().Any(f => f.IsArp && f.EtherSource == mac2 && f.ArpSender == v)), Short), Is.True);
        long[] first = [.. vips.Select(v => capture.Current().First(f => f.IsArp && f.EtherSource == mac2 && f.ArpSender == v).Micros)];
        TestContext.Out.WriteLine($"the set's members moved {Math.Abs(first[0] - first[1]) / 1000.0:F1} ms apart");
        Assert.That(Math.Abs(first[0] - first[1]), Is.LessThan(1_200_000), "within an advert interval (1 s) of each other");
        Assert.That(Wait.Throughout(() => Held(lan, 1, vips).Count == 0 && Held(lan, 2, vips).Count == 2, TimeSpan.FromSeconds(1.5)), Is.True,
                    "the set stays together on host 2\n" + Describe(lan, a, b));
    }

    /// <summary>
    /// Three groups of one --config daemon against three Debian ucarp 1.5.2 processes: first
    /// ours master and theirs backup, then (ours killed, theirs master) ours restarted as the
    /// backup; each side stays backup past its master-down interval (a bad HMAC would make
    /// it master), and takes every group over when the other dies.
    /// </summary>
    [Test]
    public void A_config_daemon_and_three_ucarp_processes_are_peers_in_both_roles()
    {
        Binaries.RequireDebian();
        using var lan = new TestLan(2);
        string log = Path.Combine(lan.Directory, "debian.log");
        var (up, down) = Scripts(lan, log);
        int[] vhids = [1, 2, 3];
        string[] vips = [.. vhids.Select(Vip)];
        string File(int advskew) => WriteConfig(lan, $"ours{advskew}.conf",
            $"defaults -i eth0 -s {TestLan.Address(1)} -p test -k {advskew} --manage-addresses\n"
            + string.Concat(vhids.Select(v => $"group g{v} -v {v} -a {Vip(v)}\n")));
        UcarpProcess[] Debian(int advskew) => [.. vhids.Select(v => lan.StartRaw(2, Binaries.Debian,
            "-i", "eth0", "-s", TestLan.Address(2), "-v", v.ToString(CultureInfo.InvariantCulture), "-p", "test", "-a", Vip(v),
            "-k", advskew.ToString(CultureInfo.InvariantCulture), "-u", up, "-d", down))];
        string All(UcarpProcess ours, UcarpProcess[] theirs) => Describe(lan, [ours, .. theirs]);

        using UcarpProcess master = StartDaemon(lan, 1, File(0));
        Assert.That(Wait.Until(() => Held(lan, 1, vips).Count == 3, Long), Is.True, master.Output);
        UcarpProcess[] backups = Debian(100);
        Assert.That(Wait.Until(() => backups.All(p => p.Saw("Switching to state: BACKUP")), Short), Is.True, All(master, backups));
        Assert.That(Wait.Throughout(() => !backups.Any(p => p.Saw("MASTER")), PastMasterDown), Is.True, "ucarp hears our adverts\n" + All(master, backups));
        master.Signal("KILL");
        Assert.That(Wait.Until(() => Held(lan, 2, vips).Count == 3, Long), Is.True, All(master, backups));
        Assert.That(master.WaitForExit(Short), Is.True);

        using UcarpProcess backup = StartDaemon(lan, 1, File(200));
        // The crashed master's copies go at start (--manage-addresses), and ours stays backup.
        Assert.That(Wait.Until(() => Held(lan, 1, vips).Count == 0 && backup.Count("Switching to state: BACKUP") == 3, Short), Is.True, All(backup, backups));
        Assert.That(Wait.Throughout(() => !backup.Saw("MASTER") && Held(lan, 2, vips).Count == 3, PastMasterDown), Is.True,
                    "we hear ucarp's adverts\n" + All(backup, backups));
        foreach (UcarpProcess p in backups)
        {
            p.Signal("KILL");
        }
        Assert.That(Wait.Until(() => Held(lan, 1, vips).Count == 3, Long), Is.True, All(backup, backups));
        Assert.That(backups.Any(p => p.Saw("Bad digest")) || backup.Saw("Bad digest") || master.Saw("Bad digest"), Is.False, All(backup, backups));
        foreach (UcarpProcess p in backups)
        {
            p.Dispose();
        }
    }

    const string DuplicateVhid = "defaults -i eth0 -s 192.0.2.1 -p test --manage-addresses\n"
                               + "group a -v 1 -a 192.0.2.101\n"
                               + "# b repeats a's vhid on the same interface and multicast group\n"
                               + "group b -v 1 -a 192.0.2.102\n";

    [Test]
    public void Check_config_refuses_a_repeated_vhid_with_its_line_and_passes_a_good_file()
    {
        using var lan = new TestLan(1);
        string bad = WriteConfig(lan, "bad.conf", DuplicateVhid);
        using UcarpProcess refused = StartDaemon(lan, 1, bad, "--check-config");
        Assert.That(refused.WaitForExit(Short), Is.True, refused.Output);
        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.Output);
        Assert.That(refused.Lines.Any(l => l.Contains(bad + ":4: vhid 1 on eth0 (224.0.0.18) is already used by group [a] on line 2", StringComparison.Ordinal)),
                    Is.True, refused.Output);

        string good = WriteConfig(lan, "good.conf", DuplicateVhid.Replace("group b -v 1", "group b -v 2", StringComparison.Ordinal));
        using UcarpProcess passed = StartDaemon(lan, 1, good, "--check-config");
        Assert.That(passed.WaitForExit(Short), Is.True, passed.Output);
        Assert.That(passed.ExitCode, Is.EqualTo(0), passed.Output);
        Assert.That(passed.Saw("already used"), Is.False, passed.Output);
    }

    /// <summary>
    /// --check-config looks at the host as start-up does: a script missing, a directory or
    /// not executable, a --check whose program is nowhere in PATH, the file a directory: each
    /// refused with its reason. An interface that is missing or down is a warning (its
    /// groups wait for it). And whatever it accepts, the daemon starts: each accepted file
    /// here is started and runs, its groups MASTER or waiting.
    /// </summary>
    [Test]
    public void Check_config_looks_at_the_host_and_what_it_accepts_starts()
    {
        using var lan = new TestLan(1);
        var (up, down) = Scripts(lan, Path.Combine(lan.Directory, "scripts.log"));
        string plain = Path.Combine(lan.Directory, "not-executable");
        File.WriteAllText(plain, "#!/bin/sh\n");
        lan.Ip("-n", lan.Node(1), "link", "add", "eth1", "type", "veth", "peer", "name", "eth2");   // eth1 exists, and is down
        string head = $"defaults -i eth0 -s {TestLan.Address(1)} -p test -k 0 -u {up} -d {down}\n";
        (string Line, string? Problem)[] table =
        [
            ($"group a -v 1 -a {Vip(1)}\n", null),
            ($"group a -v 1 -a {Vip(1)}\ngroup b -v 2 -a {Vip(2)} -i eth9\n", ":3: interface eth9 does not exist (yet): its groups will wait for it"),
            ($"group a -v 1 -a {Vip(1)} -i eth1\n", ":2: interface eth1 is down: its groups will wait for it"),
            ($"group a -v 1 -a {Vip(1)} -u /nonexistent/up\n", "!:2: --upscript [/nonexistent/up]: No such file or directory"),
            ($"group a -v 1 -a {Vip(1)} -d {plain}\n", $"!:2: --downscript [{plain}] is not executable: ucarp runs it itself, without a shell"),
            ($"group a -v 1 -a {Vip(1)} -u {lan.Directory}\n", $"!:2: --upscript [{lan.Directory}]: Is a directory"),
            ($"group a -v 1 -a {Vip(1)} --check='no-such-program-here -x'\n", "!:2: --check's program [no-such-program-here]: not found in PATH"),
            ($"group a -v 1 -a {Vip(1)} --check='/bin/sh -c true'\n", null),
            ($"group a -v 1 -a {Vip(1)} --check='cd / && (true)'\n", null),   // a builtin first: the shell's to read
        ];
        int n = 0;
        foreach ((string line, string? problem) in table)
        {
            string file = WriteConfig(lan, $"check{n++}.conf", head + line);
            using UcarpProcess check = StartDaemon(lan, 1, file, "--check-config");
            Assert.That(check.WaitForExit(Short), Is.True, check.Output);
            bool refused = problem?.StartsWith('!') == true;
            string context = $"{line}\n{check.Output}";
            Assert.That(check.ExitCode, Is.EqualTo(refused ? 1 : 0), context);
            if (problem is not null)
            {
                Assert.That(check.Lines.Any(l => l.Contains(file + problem.TrimStart('!'), StringComparison.Ordinal)), Is.True, context);
            }
            if (refused)
            {
                continue;
            }
            // Accepted: the daemon starts it, and runs.
            using UcarpProcess daemon = StartDaemon(lan, 1, file);
            Assert.That(Wait.Until(() => daemon.Saw("[a] Switching to state: MASTER") || daemon.Saw("[a] Held back until it can start"), Long), Is.True, context + "\n" + daemon.Output);
            Assert.That(daemon.HasExited, Is.False, daemon.Output);
            daemon.Signal("TERM");
            Assert.That(daemon.WaitForExit(Long), Is.True, daemon.Output);
        }
        using UcarpProcess directory = StartDaemon(lan, 1, lan.Directory, "--check-config");
        Assert.That(directory.WaitForExit(Short), Is.True, directory.Output);
        Assert.That((directory.ExitCode, directory.Saw(lan.Directory + ": Is a directory")), Is.EqualTo((1, true)), directory.Output);
    }

    /// <summary>
    /// Started with a file that does not check out, the daemon exits 1 before touching the
    /// host: the stale copy of a group's address (which --manage-addresses removes at start)
    /// stays, and no script runs.
    /// </summary>
    [Test]
    public void A_bad_file_at_start_changes_nothing_on_the_host()
    {
        using var lan = new TestLan(1);
        string log = Path.Combine(lan.Directory, "scripts.log");
        var (up, down) = Scripts(lan, log);
        lan.Ip("-n", lan.Node(1), "addr", "add", "192.0.2.101/32", "dev", "eth0");
        string bad = WriteConfig(lan, "bad.conf", DuplicateVhid.Replace("-p test", $"-p test -u {up} -d {down}", StringComparison.Ordinal));
        using UcarpProcess a = StartDaemon(lan, 1, bad);
        Assert.That(a.WaitForExit(Short), Is.True, a.Output);
        Assert.That(a.ExitCode, Is.EqualTo(1), a.Output);
        Assert.That(a.Lines.Any(l => l.Contains(bad + ":4: ", StringComparison.Ordinal)), Is.True, a.Output);
        Assert.That(Held(lan, 1, ["192.0.2.101", "192.0.2.102"]), Is.EqualTo(new[] { "192.0.2.101" }), "the stale address stays");
        Assert.That(Lines(log), Is.Empty, "no script runs");
    }
}
