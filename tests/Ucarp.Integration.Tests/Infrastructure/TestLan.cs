using System.Globalization;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// A LAN of network namespaces the test creates and deletes: a bridge in a namespace of
/// its own, and node namespaces 1..N each with eth0 = 192.0.2.N/24 (RFC 5737) on a
/// veth whose peer is a bridge port. Nothing touches the host's interfaces. An IPv6 LAN
/// adds 2001:db8::N/64 (RFC 3849) to each eth0, and its daemons run IPv6.
/// </summary>
sealed class TestLan : IDisposable
{
    public const string NamePrefix = "ucarpnet-t";
    public const string Vip = "192.0.2.100";
    public const string Vip6 = "2001:db8::100";
    static int _lans;

    readonly List<IDisposable> _owned = [];
    readonly LanAddresses _addresses;
    bool _disposed;

    public TestLan(int nodes, bool ipv6 = false)
    {
        Ipv6 = ipv6;
        // The test process's pid and a counter: unique among concurrent tests and runs, and
        // how LiveResources tells a dead run's namespaces from a live one's.
        Prefix = $"{NamePrefix}{Environment.ProcessId}-{Interlocked.Increment(ref _lans)}";
        Count = nodes;
        _addresses = new LanAddresses(Node);
        LiveResources.Add(this);
        Directory = System.IO.Directory.CreateTempSubdirectory("ucarpnet-lan-").FullName;
        try
        {
            Ip("netns", "add", Bridge);
            Ip("-n", Bridge, "link", "set", "lo", "up");
            // Without MLD snooping the bridge floods ff02::12 to every port and to br0
            // itself, where the captures listen, as it does 224.0.0.18 (link-local, never snooped).
            Ip(["-n", Bridge, "link", "add", "br0", "type", "bridge", .. (ipv6 ? new[] { "mcast_snooping", "0" } : [])]);
            Ip("-n", Bridge, "link", "set", "br0", "up");
            for (int i = 1; i <= nodes; i++)
            {
                AddNode(i);
            }
            WriteScripts();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Prefix { get; }
    public int Count { get; }
    public string Bridge => Prefix + "-br";
    public string Directory { get; }
    public string ScriptLog => Path.Combine(Directory, "scripts.log");
    /// <summary>"SECONDS.NANOSECONDS up|down NAMESPACE" per script run.</summary>
    public string HeldLog => Path.Combine(Directory, "held.log");
    public string UpScript => Path.Combine(Directory, "vip-up.sh");
    public string DownScript => Path.Combine(Directory, "vip-down.sh");
    /// <summary>The environment the last upscript ran with.</summary>
    public string ScriptEnvironment => Path.Combine(Directory, "up.env");

    public string Node(int i) => $"{Prefix}-n{i}";
    public static string Address(int i) => $"192.0.2.{i}";
    public static string Address6(int i) => $"2001:db8::{i}";

    public bool Ipv6 { get; }
    /// <summary>The address node i's daemon runs with (-s): of the LAN's family.</summary>
    public string SourceOf(int i) => Ipv6 ? Address6(i) : Address(i);
    /// <summary>The virtual address of the LAN's family.</summary>
    public string VirtualAddress => Ipv6 ? Vip6 : Vip;

    void AddNode(int i)
    {
        Ip("netns", "add", Node(i));
        Ip("-n", Node(i), "link", "set", "lo", "up");
        Ip("link", "add", "eth0", "netns", Node(i), "type", "veth", "peer", "name", Port(i), "netns", Bridge);
        Ip("-n", Bridge, "link", "set", Port(i), "master", "br0");
        Ip("-n", Bridge, "link", "set", Port(i), "up");
        Ip("-n", Node(i), "addr", "add", Address(i) + "/24", "dev", "eth0");
        if (Ipv6)
        {
            // nodad: usable at once, rather than "tentative" for a second.
            Ip("-n", Node(i), "addr", "add", Address6(i) + "/64", "dev", "eth0", "nodad");
        }
        Ip("-n", Node(i), "link", "set", "eth0", "up");
    }

    static string Port(int i) => "p" + i.ToString(CultureInfo.InvariantCulture);

    /// <summary>Node i's address on the second link (<see cref="AddSecondLink"/>): 198.51.100.i (RFC 5737).</summary>
    public static string SecondAddress(int i) => $"198.51.100.{i}";

    /// <summary>
    /// A second LAN beside the first: a bridge br1 in the bridge's namespace and, in each
    /// node, eth1 = 198.51.100.i/24 on a veth whose peer is one of its ports (a firewall's
    /// inside and outside legs). Deleted with the namespaces.
    /// </summary>
    public void AddSecondLink()
    {
        Ip("-n", Bridge, "link", "add", "br1", "type", "bridge");
        Ip("-n", Bridge, "link", "set", "br1", "up");
        for (int i = 1; i <= Count; i++)
        {
            string port = "q" + i.ToString(CultureInfo.InvariantCulture);
            Ip("link", "add", "eth1", "netns", Node(i), "type", "veth", "peer", "name", port, "netns", Bridge);
            Ip("-n", Bridge, "link", "set", port, "master", "br1");
            Ip("-n", Bridge, "link", "set", port, "up");
            Ip("-n", Node(i), "addr", "add", SecondAddress(i) + "/24", "dev", "eth1");
            Ip("-n", Node(i), "link", "set", "eth1", "up");
        }
    }

    /// <summary>Every IPv4 address node i has, on any interface, as "ADDRESS/PREFIX dev".</summary>
    public List<string> AllAddresses(int i) =>
        [.. Ip("-n", Node(i), "-4", "-o", "addr", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length > 3 && f[2] == "inet").Select(f => f[3] + " " + f[1])];

    /// <summary>
    /// Scripts that really add and remove the VIP, and log how they were called; they also
    /// stamp <see cref="HeldLog"/> (the realtime clock all namespaces share) before adding
    /// and after removing, with the node's namespace: see <see cref="HolderIntervals"/>.
    /// The upscript stamps "added" too when it has added the address, so a takeover's time
    /// on the wire can be told apart from the time the script's own processes took. A stamp
    /// forks nothing (bash's EPOCHREALTIME, the namespace from <see cref="UcarpProcess"/>'s
    /// environment), so the moments it records are the script's first and last.
    /// </summary>
    void WriteScripts()
    {
        string prefix = Ipv6 ? "/64" : "/24", flags = Ipv6 ? " nodad" : "";
        // LC_ALL=C: EPOCHREALTIME's decimal point is the locale's.
        string head = $"#!/bin/bash\nLC_ALL=C\nstamp() {{ echo \"$EPOCHREALTIME $1 ${{{UcarpProcess.NodeVariable}:-$(ip netns identify)}}\" >> {HeldLog}; }}\n";
        File.WriteAllText(UpScript, $"{head}stamp up\necho \"up $*\" >> {ScriptLog}\nenv > {ScriptEnvironment}\n" +
                                    $"ip addr add \"$2\"{prefix} dev \"$1\"{flags}\nadded=$?\nstamp added\nexit $added\n");
        File.WriteAllText(DownScript, $"{head}echo \"down $*\" >> {ScriptLog}\nip addr del \"$2\"{prefix} dev \"$1\" 2>/dev/null\nstamp down\nexit 0\n");
        File.SetUnixFileMode(UpScript, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(DownScript, (UnixFileMode)0b111_101_101);
    }

    /// <summary>One line of <see cref="HeldLog"/>: when (µs since the epoch, tcpdump's clock and unit), what ("up", "added", "down"), which node (0: none of this LAN's).</summary>
    public readonly record struct HeldStamp(long Micros, string What, int Node);

    /// <summary>The scripts' stamps so far, in the order written; a line that is not one (cut short) is skipped.</summary>
    public List<HeldStamp> HeldStamps()
    {
        var stamps = new List<HeldStamp>();
        foreach (string line in File.Exists(HeldLog) ? File.ReadAllLines(HeldLog) : [])
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] time = f.Length == 3 ? f[0].Split('.') : [];
            if (time.Length == 2 && time[1].Length == 6 &&
                long.TryParse(time[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long seconds) &&
                long.TryParse(time[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long micros))
            {
                stamps.Add(new HeldStamp(seconds * 1_000_000 + micros, f[1], Enumerable.Range(1, Count).FirstOrDefault(i => Node(i) == f[2])));
            }
        }
        return stamps;
    }

    public IReadOnlyList<string> ScriptCalls => File.Exists(ScriptLog) ? File.ReadAllLines(ScriptLog) : [];

    /// <summary>Starts a ucarp on node i with the usual arguments plus <paramref name="extra"/>.</summary>
    public UcarpProcess Start(int i, string binary, params string[] extra)
    {
        string[] args =
        [
            "-i", "eth0", "-s", SourceOf(i), "-v", "42", "-p", "test", "-a", VirtualAddress,
            "-u", UpScript, "-d", DownScript, .. extra,
        ];
        var process = new UcarpProcess(Node(i), binary, args);
        _owned.Add(process);
        return process;
    }

    public UcarpProcess StartRaw(int i, string binary, params string[] args)
    {
        var process = new UcarpProcess(Node(i), binary, args);
        _owned.Add(process);
        return process;
    }

    public bool HoldsVip(int i) => AddressesOf(i).Has(VirtualAddress);

    /// <summary>Node i's eth0 addresses, read without forking `ip` (tests poll them every 20 ms).</summary>
    public NamespaceAddresses AddressesOf(int i) => _addresses.Of(i);

    /// <summary>Which nodes have the VIP configured right now.</summary>
    public IReadOnlyList<int> VipHolders() => Enumerable.Range(1, Count).Where(HoldsVip).ToList();

    /// <summary>Takes node i's bridge port down or up: its eth0 loses or regains carrier.</summary>
    public void SetCarrier(int i, bool up) => Ip("-n", Bridge, "link", "set", Port(i), up ? "up" : "down");

    /// <summary>Isolated bridge ports cannot reach each other: a partition with carrier kept.</summary>
    public void Isolate(int i, bool isolated) =>
        Shell.Run("bridge", "-n", Bridge, "link", "set", "dev", Port(i), "isolated", isolated ? "on" : "off");

    public Capture StartCapture(string filter = "proto 112 or arp")
    {
        var capture = new Capture(Bridge, "br0", Path.Combine(Directory, $"capture-{_owned.Count}.pcap"), filter);
        _owned.Add(capture);
        return capture;
    }

    public string Ip(params string[] args) => Shell.Run("ip", args);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        LiveResources.Remove(this);
        foreach (IDisposable d in _owned)
        {
            try { d.Dispose(); } catch (InvalidOperationException) { }
        }
        _addresses.Dispose();
        for (int i = 1; i <= Count; i++)
        {
            DeleteNamespace(Node(i));
        }
        DeleteNamespace(Bridge);
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    internal static void DeleteNamespace(string ns)
    {
        // Anything still running inside (a detached daemon, a script) goes first.
        string pids = Shell.RunAllowingFailure("ip", ["netns", "pids", ns], out int code);
        if (code == 0)
        {
            foreach (string pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Shell.RunAllowingFailure("kill", ["-9", pid], out _);
            }
        }
        Shell.RunAllowingFailure("ip", ["netns", "del", ns], out _);
    }
}
