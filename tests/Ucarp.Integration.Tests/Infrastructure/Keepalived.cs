using System.Globalization;
using System.Text;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>One vrrp_instance of a <see cref="Keepalived"/>: what keepalived.conf says.</summary>
sealed record KeepalivedInstance(int Priority)
{
    /// <summary>The vrrp_instance's name, which keepalived's log lines carry ("(VI) Entering MASTER STATE").</summary>
    public string Name { get; init; } = "VI";
    /// <summary>vrrp_version: 2 or 3.</summary>
    public int Version { get; init; } = 3;
    public int Vrid { get; init; } = 42;
    /// <summary>advert_int as keepalived reads it: whole seconds for v2, decimals allowed for v3.</summary>
    public string AdvertInt { get; init; } = "1";
    /// <summary>virtual_ipaddress entries; null: the LAN's virtual address with the LAN's prefix (/24 or /64).</summary>
    public IReadOnlyList<string>? Vips { get; init; }
    /// <summary>authentication { auth_type PASS auth_pass ... } (v2); null: none.</summary>
    public string? Password { get; init; }
    public bool NoPreempt { get; init; }
    /// <summary>use_vmac: the addresses on a macvlan child vrrp.VRID with the virtual router MAC.</summary>
    public bool UseVmac { get; init; }
    /// <summary>unicast_src_ip; with <see cref="UnicastPeers"/> the adverts go to the peers instead of the group.</summary>
    public string? UnicastSource { get; init; }
    public IReadOnlyList<string> UnicastPeers { get; init; } = [];
    /// <summary>global_defs v3_checksum_as_v2 (keepalived 2.2.8 on; see <see cref="Keepalived.Knows"/>).</summary>
    public bool V3ChecksumAsV2 { get; init; }
    /// <summary>A track_script (weight 0: FAULT while it fails, checked every second) that fails while this file exists; null: none.</summary>
    public string? FaultWhile { get; init; }
}

/// <summary>
/// Debian's keepalived (2.2) as a VRRP router on node i of a <see cref="TestLan"/>: its
/// keepalived.conf, pid files and role log are in the LAN's directory, so nothing is shared
/// with another test or with the host's own keepalived (/run, /etc are not touched). It runs
/// in the node's namespace with `ip netns exec`, in the foreground (-n), VRRP only (-P),
/// logging to its stderr (-l, -D for the priority-0 and preemption lines) and not to syslog
/// (-G); a VRRP process that dies is not respawned (-R), so a crash shows as an exit.
/// keepalived adds and removes the virtual addresses itself: <see cref="HoldsVip"/> reads
/// the node's eth0. Its notify_master/backup/fault/stop scripts log the role, with a
/// timestamp and the namespace, to <see cref="RoleLog"/> and to the LAN's script log.
/// </summary>
sealed class Keepalived : IDisposable
{
    public const string Program = "/usr/sbin/keepalived";
    static int _starts;
    static readonly Dictionary<string, bool> Keywords = [];

    readonly TestLan _lan;
    readonly UcarpProcess _process;
    bool _disposed;

    public Keepalived(TestLan lan, int node, KeepalivedInstance instance)
        : this(lan, node, [instance], syncGroup: false)
    {
    }

    /// <summary>Several vrrp_instances in one keepalived; with <paramref name="syncGroup"/>, all in one vrrp_sync_group.</summary>
    public Keepalived(TestLan lan, int node, IReadOnlyList<KeepalivedInstance> instances, bool syncGroup)
    {
        Require();
        _lan = lan;
        Node = node;
        Instance = instances[0];
        // Fresh file names at every start: keepalived refuses to start while the process a
        // pid file names is alive, and the previous one on this node may still be exiting.
        string name = $"keepalived-n{node}-{Interlocked.Increment(ref _starts).ToString(CultureInfo.InvariantCulture)}";
        ConfigPath = Path.Combine(lan.Directory, name + ".conf");
        PidFile = Path.Combine(lan.Directory, name + ".pid");
        VrrpPidFile = Path.Combine(lan.Directory, name + ".vrrp.pid");
        RoleLog = Path.Combine(lan.Directory, name + ".roles");
        string notify = Path.Combine(lan.Directory, name + "-notify.sh");
        File.WriteAllText(notify,
            $"#!/bin/sh\nline=\"$(date +%s.%N) $1 $(ip netns identify) $2\"\necho \"$line\" >> {RoleLog}\necho \"keepalived $line\" >> {lan.ScriptLog}\n");
        File.SetUnixFileMode(notify, (UnixFileMode)0b111_101_101);
        File.WriteAllText(ConfigPath, Config(lan, node, instances, syncGroup, notify));
        _process = lan.StartRaw(node, Program, "--dont-fork", "--vrrp", "--log-console", "--log-detail", "--no-syslog", "--dont-respawn",
                                "--use-file=" + ConfigPath, "--pid=" + PidFile, "--vrrp_pid=" + VrrpPidFile);
    }

    public int Node { get; }
    public KeepalivedInstance Instance { get; }
    public string ConfigPath { get; }
    public string PidFile { get; }
    public string VrrpPidFile { get; }
    /// <summary>"SECONDS.NANOSECONDS MASTER|BACKUP|FAULT|STOP NAMESPACE INSTANCE" per notify script run.</summary>
    public string RoleLog { get; }

    /// <summary>The parent's pid (`ip netns exec` execs keepalived).</summary>
    public int Pid => _process.Pid;

    /// <summary>The VRRP process's pid, from its pid file; 0 before it has written it.</summary>
    public int VrrpPid =>
        File.Exists(VrrpPidFile) && int.TryParse(File.ReadAllText(VrrpPidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0;

    public bool HasExited => _process.HasExited;

    /// <summary>keepalived's log lines ("err: Thu Dec  3 22:47:44 2026: (VI) Entering MASTER STATE").</summary>
    public string Output => _process.Output;

    public bool Saw(string text) => _process.Saw(text);

    public bool WaitFor(string text, TimeSpan timeout) => _process.WaitFor(text, timeout);

    public int Count(string text) => _process.Count(text);

    /// <summary>The roles its notify scripts were run for, in order (of every instance).</summary>
    public IReadOnlyList<string> Roles => RolesOf(null);

    public string? Role => Roles.Count > 0 ? Roles[^1] : null;

    /// <summary>The roles the notify scripts of one vrrp_instance (by name; null: every one) were run for, in order.</summary>
    public IReadOnlyList<string> RolesOf(string? instance) =>
        File.Exists(RoleLog)
            ? [.. File.ReadAllLines(RoleLog).Select(l => l.Split(' ')).Where(f => f.Length > 3 && (instance is null || f[3] == instance)).Select(f => f[1])]
            : [];

    /// <summary>The last role one vrrp_instance's notify script was run for, or null.</summary>
    public string? RoleOf(string instance) => RolesOf(instance) is { Count: > 0 } roles ? roles[^1] : null;

    public bool IsMaster => Role == "MASTER";

    /// <summary>The virtual address is on its node's eth0 (keepalived adds it when MASTER).</summary>
    public bool HoldsVip => _lan.HoldsVip(Node);

    public string Describe() =>
        $"--- keepalived on node {Node} ({ConfigPath}):\n{File.ReadAllText(ConfigPath)}{_process.Output}\n--- its roles: {string.Join(", ", Roles)}";

    /// <summary>
    /// A planned stop: SIGTERM to the parent, which stops the VRRP process; a master sends an
    /// advert of priority 0 and removes its addresses. Waits until keepalived has exited.
    /// </summary>
    public void Stop()
    {
        _process.Signal("TERM");
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            Assert.Fail("keepalived did not stop within 10 s of SIGTERM\n" + Describe());
        }
    }

    /// <summary>
    /// A crash: nothing more is sent and the addresses stay where they are. The parent is
    /// stopped first (it would respawn the VRRP process, or with -R stop cleanly), then the
    /// VRRP process is killed before the parent: killed after it, it would be sent SIGTERM
    /// (PR_SET_PDEATHSIG) and resign with a priority-0 advert, a planned handover.
    /// </summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            Signals.Kill(Pid, 19 /* SIGSTOP */);
        }
        if (VrrpProcessAlive)
        {
            Signals.Kill(VrrpPid, 9);
        }
        if (!_process.HasExited)
        {
            Signals.Kill(Pid, 9);
            _process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        // Reaped by init once its parent is gone; until then a zombie, which sends nothing.
        Wait.Until(() => !VrrpProcessAlive, TimeSpan.FromSeconds(5));
    }

    /// <summary>The VRRP process runs (it exists and is not a zombie).</summary>
    public bool VrrpProcessAlive
    {
        get
        {
            int pid = VrrpPid;
            if (pid <= 0)
            {
                return false;
            }
            try
            {
                string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
                // The command line says it is this keepalived's, not a process that got the pid since.
                string cmdline = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline");
                return cmdline.Contains(ConfigPath, StringComparison.Ordinal) && !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>Whatever the test did, no keepalived outlives it (the LAN would also kill it with its namespace).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Kill();
        _process.Dispose();
    }

    public static void Require()
    {
        if (!File.Exists(Program))
        {
            Assert.Ignore("keepalived is not installed (tests/install-deps.sh installs it)");
        }
    }

    /// <summary>
    /// Whether this keepalived knows a global_defs keyword: its config check (-t) fails on
    /// an unknown one. (v3_checksum_as_v2 came in 2.2.8; Debian 12 has 2.2.7.)
    /// </summary>
    public static bool Knows(string globalKeyword)
    {
        Require();
        lock (Keywords)
        {
            if (!Keywords.TryGetValue(globalKeyword, out bool known))
            {
                string dir = Directory.CreateTempSubdirectory("ucarpnet-kaprobe-").FullName;
                try
                {
                    string conf = Path.Combine(dir, "probe.conf");
                    File.WriteAllText(conf, $"global_defs {{\n    {globalKeyword}\n}}\n");
                    string output = Shell.RunAllowingFailure(Program, ["--config-test", "--use-file=" + conf], out int code);
                    known = code == 0 && !output.Contains("Unknown keyword", StringComparison.Ordinal);
                    Keywords[globalKeyword] = known;
                }
                finally
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
            return known;
        }
    }

    /// <summary>The version keepalived prints, for messages ("Keepalived v2.2.7 (01/16,2022)").</summary>
    public static string Version =>
        Shell.RunAllowingFailure(Program, ["--version"], out _).Split('\n').FirstOrDefault(l => l.StartsWith("Keepalived", StringComparison.Ordinal))?.Trim() ?? "keepalived";

    static string Config(TestLan lan, int node, IReadOnlyList<KeepalivedInstance> instances, bool syncGroup, string notify)
    {
        KeepalivedInstance first = instances[0];
        var c = new StringBuilder();
        c.Append("global_defs {\n");
        // A router_id of its own: keepalived's default is the host name, which every namespace shares.
        c.Append(CultureInfo.InvariantCulture, $"    router_id {lan.Node(node)}\n");
        c.Append(CultureInfo.InvariantCulture, $"    vrrp_version {first.Version}\n");
        // The notify scripts run as root (there is no keepalived_script user); script
        // security is left off: it would refuse scripts under /tmp, which others may write.
        c.Append("    script_user root\n");
        if (first.V3ChecksumAsV2)
        {
            c.Append("    v3_checksum_as_v2\n");
        }
        c.Append("}\n");
        foreach (KeepalivedInstance k in instances.Where(k => k.FaultWhile is not null))
        {
            // fall 1, rise 1: one failing run is a fault, one passing run ends it.
            c.Append(CultureInfo.InvariantCulture,
                     $"vrrp_script {k.Name}_file {{\n    script \"/usr/bin/test ! -e {k.FaultWhile}\"\n    interval 1\n    fall 1\n    rise 1\n}}\n");
        }
        if (syncGroup)
        {
            c.Append(CultureInfo.InvariantCulture, $"vrrp_sync_group G {{\n    group {{\n{string.Concat(instances.Select(k => $"        {k.Name}\n"))}    }}\n}}\n");
        }
        foreach (KeepalivedInstance k in instances)
        {
            AppendInstance(c, lan, k, notify);
        }
        return c.ToString();
    }

    static void AppendInstance(StringBuilder c, TestLan lan, KeepalivedInstance k, string notify)
    {
        c.Append(CultureInfo.InvariantCulture, $"vrrp_instance {k.Name} {{\n");
        // BACKUP: it waits its master-down interval before taking over, as an RFC router does.
        c.Append("    state BACKUP\n");
        c.Append("    interface eth0\n");
        c.Append(CultureInfo.InvariantCulture, $"    virtual_router_id {k.Vrid}\n");
        c.Append(CultureInfo.InvariantCulture, $"    priority {k.Priority}\n");
        c.Append(CultureInfo.InvariantCulture, $"    advert_int {k.AdvertInt}\n");
        if (k.NoPreempt)
        {
            c.Append("    nopreempt\n");
        }
        if (k.UseVmac)
        {
            c.Append("    use_vmac\n");
        }
        if (k.Password is not null)
        {
            c.Append(CultureInfo.InvariantCulture, $"    authentication {{\n        auth_type PASS\n        auth_pass {k.Password}\n    }}\n");
        }
        if (k.UnicastSource is not null)
        {
            c.Append(CultureInfo.InvariantCulture, $"    unicast_src_ip {k.UnicastSource}\n");
        }
        if (k.UnicastPeers.Count > 0)
        {
            c.Append("    unicast_peer {\n");
            foreach (string peer in k.UnicastPeers)
            {
                c.Append(CultureInfo.InvariantCulture, $"        {peer}\n");
            }
            c.Append("    }\n");
        }
        if (k.FaultWhile is not null)
        {
            c.Append(CultureInfo.InvariantCulture, $"    track_script {{\n        {k.Name}_file\n    }}\n");
        }
        c.Append("    virtual_ipaddress {\n");
        foreach (string vip in k.Vips ?? [lan.VirtualAddress + (lan.Ipv6 ? "/64" : "/24")])
        {
            c.Append(CultureInfo.InvariantCulture, $"        {vip}\n");
        }
        c.Append("    }\n");
        foreach (string role in new[] { "master", "backup", "fault", "stop" })
        {
            c.Append(CultureInfo.InvariantCulture, $"    notify_{role} \"{notify} {role.ToUpperInvariant()} {k.Name}\"\n");
        }
        c.Append("}\n");
    }
}
