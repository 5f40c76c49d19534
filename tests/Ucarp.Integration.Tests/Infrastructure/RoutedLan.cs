using System.Globalization;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// Two subnets joined by a router namespace, no multicast routing between them:
/// subnet A 192.0.2.0/24 (hosts 1 and 3, router .254) and subnet B 198.51.100.0/24
/// (host 2, router .254), each a bridge in a namespace of its own (RFC 5737 addresses).
/// The shared address is 203.0.113.100 (a /32 the scripts add), as a cloud's floating
/// address would be. Nothing touches the host's interfaces.
/// </summary>
sealed class RoutedLan : IDisposable
{
    public const string Vip = "203.0.113.100";
    static int _lans;

    readonly List<IDisposable> _owned = [];
    readonly List<string> _namespaces = [];
    readonly LanAddresses _addresses;
    bool _disposed;

    public RoutedLan()
    {
        Prefix = $"{TestLan.NamePrefix}{Environment.ProcessId}-r{Interlocked.Increment(ref _lans)}";
        _addresses = new LanAddresses(Node);
        LiveResources.Add(this);
        Directory = System.IO.Directory.CreateTempSubdirectory("ucarpnet-routed-").FullName;
        try
        {
            Namespace(Bridge('A'));
            Namespace(Bridge('B'));
            foreach (char side in "AB")
            {
                Ip("-n", Bridge(side), "link", "add", "br0", "type", "bridge");
                Ip("-n", Bridge(side), "link", "set", "br0", "up");
            }
            Namespace(Router);
            Plug(Router, "eth" + 'A', 'A', "rA", "192.0.2.254/24");
            Plug(Router, "eth" + 'B', 'B', "rB", "198.51.100.254/24");
            Shell.Run("ip", "netns", "exec", Router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            for (int i = 1; i <= 3; i++)
            {
                Namespace(Node(i));
                char side = Side(i);
                Plug(Node(i), "eth0", side, "p" + i.ToString(CultureInfo.InvariantCulture), Address(i) + "/24");
                Ip("-n", Node(i), "route", "add", "default", "via", side == 'A' ? "192.0.2.254" : "198.51.100.254");
            }
            File.WriteAllText(UpScript, $"#!/bin/sh\necho \"up $*\" >> {ScriptLog}\nip addr add \"$2\"/32 dev \"$1\"\n");
            File.WriteAllText(DownScript, $"#!/bin/sh\necho \"down $*\" >> {ScriptLog}\nip addr del \"$2\"/32 dev \"$1\" 2>/dev/null\nexit 0\n");
            File.SetUnixFileMode(UpScript, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(DownScript, (UnixFileMode)0b111_101_101);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Prefix { get; }
    public string Directory { get; }
    public string Router => Prefix + "-rt";
    public string Bridge(char side) => Prefix + "-b" + side;
    public string Node(int i) => $"{Prefix}-n{i}";
    public string ScriptLog => Path.Combine(Directory, "scripts.log");
    public string UpScript => Path.Combine(Directory, "vip-up.sh");
    public string DownScript => Path.Combine(Directory, "vip-down.sh");

    /// <summary>Host 2 is on subnet B, the others on A.</summary>
    public static char Side(int i) => i == 2 ? 'B' : 'A';
    public static string Address(int i) => i == 2 ? "198.51.100.2" : $"192.0.2.{i}";

    void Namespace(string ns)
    {
        Ip("netns", "add", ns);
        _namespaces.Add(ns);
        Ip("-n", ns, "link", "set", "lo", "up");
    }

    /// <summary>A veth from <paramref name="ns"/> (named <paramref name="name"/>) to a port of the side's bridge.</summary>
    void Plug(string ns, string name, char side, string port, string address)
    {
        Ip("link", "add", name, "netns", ns, "type", "veth", "peer", "name", port, "netns", Bridge(side));
        Ip("-n", Bridge(side), "link", "set", port, "master", "br0");
        Ip("-n", Bridge(side), "link", "set", port, "up");
        Ip("-n", ns, "addr", "add", address, "dev", name);
        Ip("-n", ns, "link", "set", name, "up");
    }

    /// <summary>Starts a daemon on host i with the usual arguments plus <paramref name="extra"/> (peers among them).</summary>
    public UcarpProcess Start(int i, string binary, params string[] extra)
    {
        string[] args =
        [
            "-i", "eth0", "-s", Address(i), "-v", "42", "-p", "test", "-a", Vip,
            "-u", UpScript, "-d", DownScript, .. extra,
        ];
        var process = new UcarpProcess(Node(i), binary, args);
        _owned.Add(process);
        return process;
    }

    public bool HoldsVip(int i) => _addresses.Of(i).Has(Vip);

    public IReadOnlyList<int> VipHolders() => Enumerable.Range(1, 3).Where(HoldsVip).ToList();

    public IReadOnlyList<string> ScriptCalls => File.Exists(ScriptLog) ? File.ReadAllLines(ScriptLog) : [];

    /// <summary>tcpdump on host i's own eth0.</summary>
    public Capture StartCapture(int i, string filter = "proto 112 or arp")
    {
        var capture = new Capture(Node(i), "eth0", Path.Combine(Directory, $"capture-{_owned.Count}.pcap"), filter);
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
        foreach (string ns in _namespaces)
        {
            TestLan.DeleteNamespace(ns);
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
