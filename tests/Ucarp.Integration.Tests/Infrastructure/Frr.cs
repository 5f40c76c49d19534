using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>One virtual router of an <see cref="Frr"/>: what vrrpd's configuration says.</summary>
sealed record FrrRouter(int Priority)
{
    public int Vrid { get; init; } = 42;
    /// <summary>vrrp VRID version: 2 or 3.</summary>
    public int Version { get; init; } = 3;
    /// <summary>vrrp VRID advertisement-interval, in milliseconds (a multiple of 10: VRRP counts centiseconds).</summary>
    public int AdvertIntervalMs { get; init; } = 1000;
    /// <summary>no vrrp VRID preempt.</summary>
    public bool NoPreempt { get; init; }
}

/// <summary>What vtysh's `show vrrp json` says of the router in the LAN's family.</summary>
sealed record FrrState(string Status, long AdvertsReceived, long AdvertsSent, string PrimaryAddress);

/// <summary>
/// Debian's FRR (8.4) as a VRRP router on node i of a <see cref="TestLan"/>: zebra and vrrpd
/// run in the node's namespace with `ip netns exec`, in the foreground, logging to their
/// stdout at debug level, with their configuration files, pid files, zebra's API socket and
/// the vty sockets in a directory of their own (owned by user frr, whom they run as), so
/// nothing is shared with another test or with the host's FRR (/etc/frr, /run/frr are not
/// touched) and no TCP vty port is opened (-P 0). vrrpd needs, as FRR's documentation says
/// ("VRRP", System Configuration), a macvlan device on eth0 in bridge mode per VRID and
/// family, with MAC 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6) and a random
/// link-local address, holding the virtual address; vrrpd finds it by its MAC and puts it
/// in protodown while BACKUP, so the address stays on it in both roles: whether FRR is
/// master is read from its log (<see cref="Role"/>), vtysh (<see cref="State"/>) or the
/// macvlan's protodown flag, not from the addresses. vrrpd logs each advert it accepts
/// ("debug vrrp protocol") and why it refuses one ("debug vrrp packets": "Datagram invalid").
/// </summary>
sealed partial class Frr : IDisposable
{
    public const string ZebraProgram = "/usr/lib/frr/zebra";
    public const string VrrpdProgram = "/usr/lib/frr/vrrpd";
    public const string Vtysh = "/usr/bin/vtysh";
    /// <summary>
    /// Each FRR daemon keeps a crash-log directory PROGRAM.PID here (built in: no option moves
    /// it) and removes it when it exits cleanly; a killed one leaves it, so it is removed here.
    /// </summary>
    const string CrashLogBase = "/var/tmp/frr";

    readonly TestLan _lan;
    readonly UcarpProcess? _zebra;
    readonly UcarpProcess? _vrrpd;
    bool _disposed;

    public Frr(TestLan lan, int node, FrrRouter router)
    {
        Require();
        _lan = lan;
        Node = node;
        Router = router;
        Directory = System.IO.Directory.CreateTempSubdirectory("ucarpnet-frr-").FullName;
        LiveResources.Add(this);
        try
        {
            // The daemons drop to user frr: their pid files and sockets are written here.
            Shell.Run("chown", "frr:frr", Directory);
            AddMacvlan();
            File.WriteAllText(Path.Combine(Directory, "zebra.conf"), $"hostname {lan.Node(node)}\n");
            File.WriteAllText(ConfigPath, Config());
            _zebra = Start(ZebraProgram, "zebra");
            // vrrpd learns the interfaces from zebra: it starts once zebra listens.
            if (!Wait.Until(() => File.Exists(ZservSocket), TimeSpan.FromSeconds(10)))
            {
                throw new InvalidOperationException("zebra did not open its API socket within 10 s:\n" + _zebra.Output);
            }
            _vrrpd = Start(VrrpdProgram, "vrrpd");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Node { get; }
    public FrrRouter Router { get; }
    public string Directory { get; }
    public string ConfigPath => Path.Combine(Directory, "vrrpd.conf");
    string ZservSocket => Path.Combine(Directory, "zserv.api");
    int Family => _lan.Ipv6 ? 6 : 4;

    /// <summary>The macvlan vrrpd sends from: vrrp4-VRID or vrrp6-VRID.</summary>
    public string Interface => $"vrrp{Family}-{Router.Vrid.ToString(CultureInfo.InvariantCulture)}";

    public string VirtualMac => $"00:00:5e:00:0{(Family == 4 ? 1 : 2)}:{Router.Vrid.ToString("x2", CultureInfo.InvariantCulture)}";

    /// <summary>vrrpd's log lines, without their timestamps ("out: [W23ZH-NY264] [CORE] [VRID 42] [IPv4] Backup -> Master").</summary>
    public string Output => _vrrpd?.Output ?? "";

    public bool Saw(string text) => _vrrpd?.Saw(text) ?? false;

    public bool WaitFor(string text, TimeSpan timeout) => Wait.Until(() => Saw(text), timeout);

    public bool HasExited => _vrrpd?.HasExited ?? true;

    /// <summary>The states vrrpd's router in the LAN's family entered, in order ("Backup", "Master", "Initialize").</summary>
    public IReadOnlyList<string> Roles
    {
        get
        {
            string prefix = $"[VRID {Router.Vrid.ToString(CultureInfo.InvariantCulture)}] [IPv{Family.ToString(CultureInfo.InvariantCulture)}] ";
            return [.. (_vrrpd?.Lines ?? []).Select(l => l.IndexOf(prefix, StringComparison.Ordinal) is int at && at >= 0 ? Transition().Match(l[(at + prefix.Length)..]) : Match.Empty)
                                            .Where(m => m.Success).Select(m => m.Groups[1].Value)];
        }
    }

    public string? Role => Roles.Count > 0 ? Roles[^1] : null;

    /// <summary>The macvlan is in protodown (vrrpd's BACKUP): the virtual address on it does not answer.</summary>
    public bool Protodown => _lan.Ip("-n", _lan.Node(Node), "-d", "link", "show", "dev", Interface).Contains("protodown on", StringComparison.Ordinal);

    /// <summary>vtysh's `show vrrp json`, for the router of the LAN's family.</summary>
    public FrrState State()
    {
        string json = Shell.Run("ip", "netns", "exec", _lan.Node(Node), Vtysh, "--vty_socket", Directory, "-d", "vrrpd", "-c", "show vrrp json");
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement router = document.RootElement[0].GetProperty(Family == 4 ? "v4" : "v6");
        JsonElement stats = router.GetProperty("stats");
        return new FrrState(router.GetProperty("status").GetString() ?? "", stats.GetProperty("adverRx").GetInt64(), stats.GetProperty("adverTx").GetInt64(),
                            router.GetProperty("primaryAddress").GetString() ?? "");
    }

    public string Describe() =>
        $"--- FRR on node {Node.ToString(CultureInfo.InvariantCulture)} ({ConfigPath}):\n{(File.Exists(ConfigPath) ? File.ReadAllText(ConfigPath) : "")}"
        + $"--- vrrpd:\n{Output}\n--- zebra:\n{_zebra?.Output}\n--- its roles: {string.Join(", ", Roles)}";

    /// <summary>A planned stop: SIGTERM to vrrpd, which as master sends an advert of priority 0. Waits until it has exited.</summary>
    public void Stop()
    {
        _vrrpd!.Signal("TERM");
        if (!_vrrpd.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            Assert.Fail("vrrpd did not stop within 10 s of SIGTERM\n" + Describe());
        }
    }

    /// <summary>A crash: SIGKILL to vrrpd; nothing more is sent, and its macvlan stays as it was.</summary>
    public void Kill() => Kill(_vrrpd, "vrrpd");

    static void Kill(UcarpProcess? daemon, string name)
    {
        if (daemon is null)
        {
            return;
        }
        int pid = daemon.Pid;
        try
        {
            if (!daemon.HasExited)
            {
                Signals.Kill(pid, 9);
                daemon.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
            // Disposed with the LAN first (a test's teardown), which killed it.
        }
        try
        {
            System.IO.Directory.Delete(Path.Combine(CrashLogBase, $"{name}.{pid.ToString(CultureInfo.InvariantCulture)}"), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Whatever the test did, no FRR daemon outlives it, and its directories go.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        LiveResources.Remove(this);
        Kill(_vrrpd, "vrrpd");
        Kill(_zebra, "zebra");
        _vrrpd?.Dispose();
        _zebra?.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    public static void Require()
    {
        if (!File.Exists(ZebraProgram) || !File.Exists(VrrpdProgram) || !File.Exists(Vtysh))
        {
            Assert.Ignore("FRR is not installed (tests/install-deps.sh installs it)");
        }
    }

    /// <summary>The installed package's version, for messages ("8.4.4-1.1~deb12u2").</summary>
    public static string Version => Shell.RunAllowingFailure("dpkg-query", ["-W", "-f=${Version}", "frr"], out _).Trim();

    UcarpProcess Start(string program, string name) =>
        _lan.StartRaw(Node, program, "-f", Path.Combine(Directory, name + ".conf"), "-i", Path.Combine(Directory, name + ".pid"), "-z", ZservSocket,
                      "--vty_socket", Directory, "-P", "0", "--log", "stdout", "--log-level", "debug");

    /// <summary>
    /// The macvlan as FRR's documentation has it made with iproute2, once per node (a second
    /// FRR on the node finds it there). addrgenmode is set after the link is made: given to
    /// `ip link add`, this kernel refuses it (EAFNOSUPPORT). IPv6 skips duplicate address
    /// detection on it, so its link-local address, vrrpd's source, is usable at once.
    /// </summary>
    void AddMacvlan()
    {
        string ns = _lan.Node(Node);
        Shell.RunAllowingFailure("ip", ["-n", ns, "link", "show", "dev", Interface], out int exists);
        if (exists == 0)
        {
            return;
        }
        _lan.Ip("-n", ns, "link", "add", Interface, "link", "eth0", "type", "macvlan", "mode", "bridge");
        _lan.Ip("-n", ns, "link", "set", "dev", Interface, "addrgenmode", "random");
        _lan.Ip("-n", ns, "link", "set", "dev", Interface, "address", VirtualMac);
        if (Family == 6)
        {
            Shell.Run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", $"net.ipv6.conf.{Interface}.accept_dad=0");
            _lan.Ip("-n", ns, "addr", "add", _lan.VirtualAddress + "/64", "dev", Interface, "nodad");
        }
        else
        {
            _lan.Ip("-n", ns, "addr", "add", _lan.VirtualAddress + "/24", "dev", Interface);
        }
        _lan.Ip("-n", ns, "link", "set", "dev", Interface, "up");
    }

    string Config()
    {
        string vrid = Router.Vrid.ToString(CultureInfo.InvariantCulture);
        var c = new StringBuilder();
        c.Append(CultureInfo.InvariantCulture, $"hostname {_lan.Node(Node)}\n");
        c.Append("debug vrrp protocol\ndebug vrrp packets\n");
        c.Append("interface eth0\n");
        c.Append(CultureInfo.InvariantCulture, $" vrrp {vrid} version {Router.Version}\n");
        c.Append(CultureInfo.InvariantCulture, $" vrrp {vrid} priority {Router.Priority}\n");
        c.Append(CultureInfo.InvariantCulture, $" vrrp {vrid} advertisement-interval {Router.AdvertIntervalMs}\n");
        if (Router.NoPreempt)
        {
            c.Append(CultureInfo.InvariantCulture, $" no vrrp {vrid} preempt\n");
        }
        // The address last: it starts the router.
        c.Append(CultureInfo.InvariantCulture, $" vrrp {vrid} {(Family == 4 ? "ip" : "ipv6")} {_lan.VirtualAddress}\n");
        return c.ToString();
    }

    /// <summary>"Backup -> Master" at the end of a line: the state entered.</summary>
    [GeneratedRegex(@"^\w+ -> (\w+)$")]
    private static partial Regex Transition();
}
