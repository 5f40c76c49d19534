using System.Diagnostics;
using System.Globalization;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// Three hosts, twenty groups each (multicast CARP, unicast, two sync sets across two
/// links, etcd), all with --manage-addresses, while a seeded driver kills and restarts
/// daemons, partitions and heals a host, takes an interface down and up, reloads,
/// demotes and promotes, and removes addresses behind the daemons' backs. Checked all
/// along, on the clock the namespaces share: outside a partition, no address on two
/// live hosts for longer than the protocol takes to notice; after each fault, every
/// address on exactly one live host and every sync set whole on one host; at the end,
/// no growth of descriptors, threads or memory in the daemon never killed.
/// `make soak SECONDS=600` runs it for ten minutes; make check runs a short one
/// (UCARP_SOAK_SECONDS, default 60; UCARP_SOAK_SEED replays a run).
/// </summary>
[Order(1)]   // about 100 s with its set-up, in the concurrent phase: started first, with the fuzzing
public class SoakTests : NamespaceTest
{
    const int Hosts = 3;
    // Outside a partition two live holders are a split the next advert resolves: an advert
    // interval and the master-down time of the slowest group, with room for a loaded box.
    static readonly TimeSpan TwoHoldersBound = TimeSpan.FromSeconds(4.5);
    static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(20);

    static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("UCARP_SOAK_SECONDS"), out int s) && s > 0 ? s : 60;

    /// <summary>One group of the soak: its name, the address it holds, the interface it holds it on.</summary>
    sealed record Group(string Name, int Vhid, string Address, string Device, string? Set);

    static readonly Group[] Groups =
    [
        .. Enumerable.Range(1, 12).Select(v => new Group($"m{v}", v, $"192.0.2.{100 + v}", "eth0", null)),
        .. Enumerable.Range(13, 4).Select(v => new Group($"u{v}", v, $"192.0.2.{100 + v}", "eth0", null)),
        new Group("fwa-in", 17, "192.0.2.117", "eth0", "fwa"),
        new Group("fwa-out", 18, "198.51.100.118", "eth1", "fwa"),
        new Group("fwb-in", 19, "192.0.2.119", "eth0", "fwb"),
        new Group("fwb-out", 20, "198.51.100.120", "eth1", "fwb"),
        new Group("e21", 21, "192.0.2.121", "eth0", null),
        new Group("e22", 22, "192.0.2.122", "eth0", null),
    ];

    /// <summary>Host h's file: each group preferred on one host (-k 0, else 50 or 100) and taken back there (-P).</summary>
    static string Config(EtcdCluster etcd, int h, bool reloaded)
    {
        string Skew(int preferred) => (((h - preferred) % Hosts + Hosts) % Hosts * 50).ToString(CultureInfo.InvariantCulture);
        var text = new System.Text.StringBuilder($"defaults -p soak --manage-addresses -i eth0 -s {TestLan.Address(h)}\n");
        foreach (Group g in Groups)
        {
            int preferred = g.Set switch { "fwa" => 1, "fwb" => 2, _ => g.Vhid % Hosts + 1 };
            string skew = reloaded && g.Vhid == 1 ? (int.Parse(Skew(preferred), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture) : Skew(preferred);
            text.Append($"group {g.Name} -v {g.Vhid} -a {g.Address} -k {skew}");
            if (g.Name.StartsWith('e'))
            {
                text.Append($" --etcd={etcd.Endpoints}\n");
                continue;
            }
            text.Append(" -P");
            if (g.Device == "eth1")
            {
                text.Append($" -i eth1 -s {TestLan.SecondAddress(h)}");
            }
            if (g.Set is not null)
            {
                text.Append($" --sync={g.Set}");
            }
            if (g.Name.StartsWith('u'))
            {
                foreach (int peer in Enumerable.Range(1, Hosts).Where(p => p != h))
                {
                    text.Append($" --peer={TestLan.Address(peer)}");
                }
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    sealed class Host(TestLan lan, int index, string config, string control)
    {
        public int Index { get; } = index;
        public string ConfigPath { get; } = config;
        public string Control { get; } = control;
        public UcarpProcess? Daemon { get; private set; }
        public bool Alive => Daemon is { HasExited: false };
        public List<string> Outputs { get; } = [];

        public void Start() => Daemon = lan.StartRaw(Index, Binaries.Clone, "--config=" + ConfigPath, "--control=" + Control);

        public void Stop(string signal)
        {
            Daemon!.Signal(signal);
            Daemon.WaitForExit(TimeSpan.FromSeconds(10));
            Outputs.Add(Daemon.Output);
        }
    }

    [Test]
    public void A_seeded_run_of_faults_keeps_every_address_on_exactly_one_host()
    {
        EtcdTests.RequireEtcd();
        int seed = int.TryParse(Environment.GetEnvironmentVariable("UCARP_SOAK_SEED"), out int s) ? s : Environment.TickCount & 0x7fffffff;
        TestContext.Out.WriteLine($"soak: seed {seed}, {Seconds} s (UCARP_SOAK_SEED={seed} replays it)");
        var random = new Random(seed);
        using var lan = new TestLan(Hosts);
        lan.AddSecondLink();
        var etcd = new EtcdCluster(lan);
        var hosts = Enumerable.Range(1, Hosts).Select(h =>
        {
            string path = Path.Combine(lan.Directory, $"soak{h}.conf");
            File.WriteAllText(path, Config(etcd, h, reloaded: false));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return new Host(lan, h, path, Path.Combine(lan.Directory, $"ctl{h}.sock"));
        }).ToArray();
        foreach (Host h in hosts)
        {
            h.Start();
        }

        var faults = new Dictionary<string, int>(StringComparer.Ordinal);
        var violations = new List<string>();
        long checks = 0;
        bool partitioned = false;
        var twoSince = new Dictionary<string, Stopwatch>(StringComparer.Ordinal);

        // Who holds what, among the live hosts: one `ip addr` per host.
        Dictionary<string, List<int>> Holders()
        {
            var held = Groups.ToDictionary(g => g.Address, _ => new List<int>(), StringComparer.Ordinal);
            foreach (Host h in hosts.Where(h => h.Alive))
            {
                foreach (string line in lan.AllAddresses(h.Index))
                {
                    string[] f = line.Split(' ');
                    string address = f[0].Split('/')[0];
                    if (f[0].EndsWith("/32", StringComparison.Ordinal) && held.TryGetValue(address, out List<int>? list)
                        && Groups.First(g => g.Address == address).Device == f[1])
                    {
                        list.Add(h.Index);
                    }
                }
            }
            return held;
        }

        string Describe(Dictionary<string, List<int>> held) =>
            string.Join(" ", held.Select(kv => $"{kv.Key}@[{string.Join(",", kv.Value)}]"));

        // The continuous check: outside a partition, no address on two live hosts for long.
        Dictionary<string, List<int>> Check()
        {
            Dictionary<string, List<int>> held = Holders();
            checks++;
            foreach ((string address, List<int> on) in held)
            {
                if (partitioned || on.Count < 2)
                {
                    twoSince.Remove(address);
                    continue;
                }
                if (!twoSince.TryGetValue(address, out Stopwatch? since))
                {
                    twoSince[address] = Stopwatch.StartNew();
                }
                else if (since.Elapsed > TwoHoldersBound)
                {
                    violations.Add($"{address} on hosts {string.Join(",", on)} for {since.Elapsed.TotalSeconds:F1} s");
                    since.Restart();
                }
            }
            return held;
        }

        bool Settled(Dictionary<string, List<int>> held) =>
            held.Values.All(on => on.Count == 1)
            && Groups.Where(g => g.Set is not null).GroupBy(g => g.Set).All(set => set.Select(g => held[g.Address][0]).Distinct().Count() == 1);

        void Hold(TimeSpan time)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < time)
            {
                Check();
                Thread.Sleep(200);
            }
        }

        var settleTimes = new List<double>();
        void Settle(string after)
        {
            var clock = Stopwatch.StartNew();
            Dictionary<string, List<int>> held = Check();
            while (!Settled(held) && clock.Elapsed < SettleBound)
            {
                Thread.Sleep(200);
                held = Check();
            }
            if (!Settled(held))
            {
                violations.Add($"not settled {SettleBound.TotalSeconds} s after {after}: {Describe(held)}");
            }
            settleTimes.Add(clock.Elapsed.TotalSeconds);
        }

        Settle("the start");
        Host watched = hosts[0];   // never killed: its resources are compared at the end
        int pid = watched.Daemon!.Pid;
        (int Fds, int Threads, long RssKiB) Resources() =>
            (Directory.GetFiles($"/proc/{pid}/fd").Length, Directory.GetDirectories($"/proc/{pid}/task").Length,
             long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
        var before = Resources();

        var run = Stopwatch.StartNew();
        bool reloaded = false;
        while (run.Elapsed < TimeSpan.FromSeconds(Seconds))
        {
            string fault = new[] { "kill", "terminate", "partition", "interface", "reload", "demote", "remove" }[random.Next(7)];
            faults[fault] = faults.GetValueOrDefault(fault) + 1;
            Host host = hosts[random.Next(Hosts)];
            TimeSpan hold = TimeSpan.FromSeconds(2 + random.Next(4));
            switch (fault)
            {
                case "kill" or "terminate":
                    host = hosts[1 + random.Next(Hosts - 1)];
                    host.Stop(fault == "kill" ? "KILL" : "TERM");
                    Hold(hold);
                    host.Start();
                    break;
                case "partition":
                    partitioned = true;
                    lan.Isolate(host.Index, true);
                    Hold(hold);
                    lan.Isolate(host.Index, false);
                    partitioned = false;
                    break;
                case "interface":
                    lan.Ip("-n", lan.Node(host.Index), "link", "set", "eth1", "down");
                    Hold(hold);
                    lan.Ip("-n", lan.Node(host.Index), "link", "set", "eth1", "up");
                    break;
                case "reload":
                    reloaded = !reloaded;
                    File.WriteAllText(host.ConfigPath, Config(etcd, host.Index, reloaded));
                    host.Daemon!.Signal("HUP");
                    Hold(hold);
                    break;
                case "demote":
                    string group = Groups[random.Next(Groups.Length)].Name;
                    Ucarpctl.Run(host.Control, "demote", group);
                    Hold(hold);
                    Ucarpctl.Run(host.Control, "promote", group);
                    break;
                case "remove":
                    Dictionary<string, List<int>> held = Holders();
                    Group g = Groups[random.Next(Groups.Length)];
                    foreach (int on in held[g.Address])
                    {
                        Shell.RunAllowingFailure("ip", ["-n", lan.Node(on), "addr", "del", g.Address + "/32", "dev", g.Device], out _);
                    }
                    Hold(TimeSpan.FromSeconds(1));
                    break;
            }
            Settle(fault + " on host " + host.Index);
            if (violations.Count > 5)
            {
                break;
            }
        }
        var after = Resources();
        settleTimes.Sort();
        TestContext.Out.WriteLine($"soak: {run.Elapsed.TotalSeconds:F0} s, faults {string.Join(", ", faults.OrderBy(f => f.Key).Select(f => $"{f.Key} {f.Value}"))}; "
                                  + $"{checks} checks of every address on every host; {violations.Count} violations");
        TestContext.Out.WriteLine($"soak: settled after a fault in median {settleTimes[settleTimes.Count / 2]:F1} s, at most {settleTimes[^1]:F1} s");
        TestContext.Out.WriteLine($"soak: host 1's daemon: descriptors {before.Fds} -> {after.Fds}, threads {before.Threads} -> {after.Threads}, RSS {before.RssKiB} -> {after.RssKiB} KiB");
        string logs = string.Join("\n", hosts.Select(h => $"--- host {h.Index}:\n" + (h.Daemon?.Output ?? "")));
        Assert.That(violations, Is.Empty, string.Join("\n", violations) + "\n" + logs);
        Assert.That(hosts.All(h => h.Alive), Is.True, "every daemon runs at the end\n" + logs);
        Assert.That(watched.Daemon!.Pid, Is.EqualTo(pid));
        Assert.That(after.Fds, Is.LessThanOrEqualTo(before.Fds + 2), "descriptors");
        Assert.That(after.Threads, Is.LessThanOrEqualTo(before.Threads + 2), "threads");
        Assert.That(after.RssKiB, Is.LessThan(before.RssKiB * 3 / 2 + 4096), "memory");
    }
}
