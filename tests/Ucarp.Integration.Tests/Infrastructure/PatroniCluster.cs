using System.Diagnostics;
using System.Globalization;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// A real Patroni 3 cluster (Debian's patroni, PostgreSQL 15) of one member per given
/// node of a test LAN, on the LAN's <see cref="EtcdCluster"/> (etcd3 API), so a ucarp node
/// can run beside each member in its namespace. Its configuration is Infrastructure/patroni.yml
/// (the bench's too): fast timings (ttl 8 s, loop_wait 1 s, retry_timeout 3 s) keep a
/// failover near the ttl. Data, sockets and configuration live in the LAN's directory,
/// PostgreSQL listens on every address of its namespace (the virtual address among them)
/// and trusts the LAN, and Patroni and PostgreSQL run as the postgres user (PostgreSQL
/// refuses root). Debian's default cluster is never used: its port is in the host's
/// network stack, its socket directory is not ours.
/// </summary>
sealed class PatroniCluster : IDisposable
{
    public const string Patroni = "/usr/bin/patroni";
    public const string Patronictl = "/usr/bin/patronictl";
    public const string PgBin = "/usr/lib/postgresql/15/bin";
    public const string Psql = PgBin + "/psql";
    public const string Scope = "ucarptest";
    /// <summary>patroni.yml's ttl, seconds.</summary>
    public const int Ttl = 8;

    readonly TestLan _lan;
    readonly EtcdCluster _etcd;
    readonly string _dir;
    readonly Dictionary<int, UcarpProcess> _patroni = [];
    readonly HashSet<int> _killed = [];

    public static void Require()
    {
        if (!File.Exists(Patroni) || !File.Exists(Patronictl) || !File.Exists(Path.Combine(PgBin, "postgres")) || !File.Exists(Psql))
        {
            Assert.Ignore("patroni, postgresql-15 and postgresql-client-15 are not installed (tests/install-deps.sh installs them)");
        }
        Shell.RunAllowingFailure("id", ["-u", "postgres"], out int code);
        if (code != 0)
        {
            Assert.Ignore("there is no postgres user (Debian's postgresql-common creates it)");
        }
    }

    /// <summary>Starts a member on each of <paramref name="nodes"/>; returns once one of them is primary and the others stream from it.</summary>
    public PatroniCluster(TestLan lan, EtcdCluster etcd, params int[] nodes)
    {
        _lan = lan;
        _etcd = etcd;
        Nodes = nodes;
        _dir = Path.Combine(lan.Directory, "patroni");
        // The LAN's directory is root's (0700): the postgres user needs to pass through it.
        File.SetUnixFileMode(lan.Directory, (UnixFileMode)0b111_001_001);
        Directory.CreateDirectory(_dir);
        try
        {
            foreach (int i in nodes)
            {
                string member = Path.Combine(_dir, Member(i));
                Directory.CreateDirectory(member);
                File.WriteAllText(Config(i), ConfigText(i, member));
            }
            Shell.Run("chown", "-R", "postgres:postgres", _dir);
            foreach (int i in nodes)
            {
                Start(i);
            }
            if (!Wait.Until(Ready, TimeSpan.FromSeconds(60)))
            {
                throw new InvalidOperationException("Patroni did not bootstrap a primary and its replicas:\n" + Describe());
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<int> Nodes { get; }
    public static string Member(int node) => "pg" + node.ToString(CultureInfo.InvariantCulture);
    public static string LeaderKey => $"/service/{Scope}/leader";
    string Config(int node) => Path.Combine(_dir, Member(node), "patroni.yml");
    string DataDir(int node) => Path.Combine(_dir, Member(node), "data");

    /// <summary>Infrastructure/patroni.yml (the bench's too) filled in for node's member.</summary>
    static string ConfigText(int node, string member) =>
        File.ReadAllText(Path.Combine(Binaries.Repository, "tests/Ucarp.Integration.Tests/Infrastructure/patroni.yml"))
            .Replace("@SCOPE@", Scope, StringComparison.Ordinal).Replace("@NAME@", Member(node), StringComparison.Ordinal)
            .Replace("@ADDRESS@", TestLan.Address(node), StringComparison.Ordinal).Replace("@DIR@", member, StringComparison.Ordinal)
            .Replace("@PGBIN@", PgBin, StringComparison.Ordinal)
            .Replace("@ETCD@", string.Join(",", Enumerable.Range(1, EtcdCluster.Members).Select(m => $"{TestLan.Address(m)}:2379")), StringComparison.Ordinal);

    /// <summary>Patroni as the postgres user in node's namespace; setpriv execs, so the process is Patroni itself.</summary>
    void Start(int node) =>
        _patroni[node] = _lan.StartRaw(node, "/usr/bin/setpriv",
            "--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", Patroni, Config(node));

    /// <summary>One primary (Patroni's REST API /primary answers 200) and every other live member a running replica.</summary>
    public bool Ready()
    {
        int[] live = Nodes.Where(n => !_killed.Contains(n)).ToArray();
        return live.Count(n => Rest(n, "primary") == 200) == 1 && live.Count(n => Rest(n, "replica") == 200) == live.Length - 1;
    }

    int Rest(int node, string endpoint)
    {
        string code = Shell.RunAllowingFailure("ip", ["netns", "exec", _lan.Node(node), "curl", "-s", "-o", "/dev/null", "--max-time", "2",
                                                      "-w", "%{http_code}", $"http://{TestLan.Address(node)}:8008/{endpoint}"], out _);
        return int.TryParse(code.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int c) ? c : 0;
    }

    /// <summary>The member Patroni's leader key names now ("" when there is none).</summary>
    public string Leader() => _etcd.Ctl("get", LeaderKey, "--print-value-only").Trim();

    /// <summary>The node whose member holds the leader key, or 0.</summary>
    public int LeaderNode()
    {
        string leader = Leader();
        return Nodes.FirstOrDefault(n => Member(n) == leader);
    }

    /// <summary>Runs patronictl from <paramref name="node"/>'s namespace.</summary>
    public string Ctl(int node, params string[] args) =>
        Shell.Run("ip", ["netns", "exec", _lan.Node(node), Patronictl, "-c", Config(node), .. args]);

    /// <summary>A planned switchover to node's member (patronictl 3.0: --candidate, --force skips the questions).</summary>
    public string Switchover(int to) => Ctl(to, "switchover", "--candidate", Member(to), "--force");

    /// <summary>
    /// The primary's host dies: its Patroni, then its postmaster and the postmaster's
    /// children, SIGKILLed (Patroni first, or it would restart PostgreSQL). Its leader key
    /// then expires with Patroni's lease, within the ttl. Returns the node.
    /// </summary>
    public int KillPrimary()
    {
        int node = LeaderNode();
        if (node == 0)
        {
            throw new InvalidOperationException("no primary to kill:\n" + Describe());
        }
        int postmaster = Postmaster(node);
        _killed.Add(node);
        _patroni[node].Signal("KILL");
        if (postmaster > 0)
        {
            int[] children = Children(postmaster);
            Shell.RunAllowingFailure("kill", ["-KILL", postmaster.ToString(CultureInfo.InvariantCulture), .. children.Select(c => c.ToString(CultureInfo.InvariantCulture))], out _);
        }
        _patroni[node].WaitForExit(TimeSpan.FromSeconds(5));
        return node;
    }

    /// <summary>The postmaster's pid, from the first line of its postmaster.pid, if it still runs.</summary>
    int Postmaster(int node)
    {
        string[] lines = PidFile(node);
        return lines.Length > 0 && int.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid) && Alive(pid) ? pid : 0;
    }

    /// <summary>Running, not a zombie waiting for its reaper.</summary>
    static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z') is false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    string[] PidFile(int node)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(DataDir(node), "postmaster.pid"));
        }
        catch (IOException)
        {
            return [];
        }
    }

    static int[] Children(int pid)
    {
        try
        {
            return Directory.GetDirectories($"/proc/{pid}/task")
                .SelectMany(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>pg_is_in_recovery() of the server at <paramref name="host"/> as a client on node <paramref name="from"/> sees it: "f" on a primary, "t" on a replica, or psql's complaint.</summary>
    public string InRecovery(int from, string host)
    {
        string output = Shell.RunAllowingFailure("ip", ["netns", "exec", _lan.Node(from), "env", "PGCONNECT_TIMEOUT=2", Psql,
                                                        "-h", host, "-U", "postgres", "-d", "postgres", "-XAtc", "select pg_is_in_recovery()"], out _);
        return output.Trim();
    }

    public string Describe() => string.Join("\n", _patroni.Select(p => $"--- Patroni {Member(p.Key)}:\n{string.Join("\n", p.Value.Lines.TakeLast(40))}"));

    /// <summary>
    /// Stops every member (SIGTERM: Patroni stops PostgreSQL), then kills whatever
    /// PostgreSQL is left (a killed primary's) and removes the small System V segment a
    /// killed postmaster leaves behind (postmaster.pid's 7th line: key and id).
    /// </summary>
    public void Dispose()
    {
        foreach ((int node, UcarpProcess patroni) in _patroni)
        {
            if (!_killed.Contains(node) && !patroni.HasExited)
            {
                patroni.Signal("TERM");
            }
        }
        var clock = Stopwatch.StartNew();
        foreach (UcarpProcess patroni in _patroni.Values)
        {
            patroni.WaitForExit(TimeSpan.FromSeconds(Math.Max(1, 20 - clock.Elapsed.TotalSeconds)));
        }
        foreach (int node in Nodes)
        {
            int postmaster = Postmaster(node);
            if (postmaster > 0)
            {
                Shell.RunAllowingFailure("kill", ["-KILL", postmaster.ToString(CultureInfo.InvariantCulture), .. Children(postmaster).Select(c => c.ToString(CultureInfo.InvariantCulture))], out _);
                Wait.Until(() => !Alive(postmaster), TimeSpan.FromSeconds(5));
            }
            string[] pidFile = PidFile(node);
            string[] shm = pidFile.Length >= 7 ? pidFile[6].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            if (shm.Length == 2 && int.TryParse(shm[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int id))
            {
                Shell.RunAllowingFailure("ipcrm", ["-m", id.ToString(CultureInfo.InvariantCulture)], out _);
            }
        }
        foreach (UcarpProcess patroni in _patroni.Values)
        {
            patroni.Dispose();
        }
    }
}
