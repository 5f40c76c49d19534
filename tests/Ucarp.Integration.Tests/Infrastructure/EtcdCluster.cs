using System.Globalization;
using System.Text.Json;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// A three-member etcd cluster (Debian's etcd-server 3.4) on nodes 1-3 of a test LAN,
/// 192.0.2.1-3, with fast elections (heartbeat 50 ms, election timeout 500 ms) so a lost
/// leader is replaced within a second. Plain HTTP, or TLS with client certificates, or
/// with users and passwords. The members are the LAN's processes: it stops them.
/// </summary>
sealed class EtcdCluster
{
    public const string Etcd = "/usr/bin/etcd";
    public const string Etcdctl = "/usr/bin/etcdctl";
    public const int Members = 3;

    readonly TestLan _lan;
    readonly string _dir;
    readonly UcarpProcess?[] _members = new UcarpProcess?[Members + 1];
    readonly bool[] _killed = new bool[Members + 1];

    /// <param name="etcdDefaults">
    /// etcd's own heartbeat (100 ms) and election timeout (1 s), as users run it, and
    /// nodes on the default lease TTL. Otherwise the members elect faster (50 ms, 500 ms)
    /// and nodes run a 3 s TTL, which such a cluster's elections fit in.
    /// </param>
    public EtcdCluster(TestLan lan, EtcdSecurity security = EtcdSecurity.None, bool etcdDefaults = false)
    {
        _lan = lan;
        Security = security;
        EtcdDefaults = etcdDefaults;
        _dir = Path.Combine(lan.Directory, "etcd");
        Directory.CreateDirectory(_dir);
        if (security == EtcdSecurity.Tls)
        {
            Pki = new TestPki(Path.Combine(_dir, "pki"), Enumerable.Range(1, Members).Select(TestLan.Address));
        }
        for (int i = 1; i <= Members; i++)
        {
            Start(i, fresh: true);
        }
        if (!Wait.Until(Healthy, TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("etcd did not become healthy:\n" + string.Join("\n", _members.Where(m => m is not null).Select(m => m!.Output)));
        }
        if (security == EtcdSecurity.Password)
        {
            Ctl("user", "add", "root:rootpw");
            Ctl("role", "add", "ucarp");
            Ctl("role", "grant-permission", "ucarp", "--prefix=true", "readwrite", "/ucarp");
            Ctl("user", "add", "ucarp:secret-pw");
            Ctl("user", "grant-role", "ucarp", "ucarp");
            Ctl("auth", "enable");
        }
    }

    public EtcdSecurity Security { get; }
    public bool EtcdDefaults { get; }
    public TestPki? Pki { get; }
    string Scheme => Security == EtcdSecurity.Tls ? "https" : "http";

    public string Endpoint(int i) => $"{Scheme}://{TestLan.Address(i)}:2379";
    public string Endpoints => string.Join(",", Enumerable.Range(1, Members).Select(Endpoint));

    /// <summary>The options a ucarp node needs to reach this cluster.</summary>
    public string[] ClientOptions(string? passwordFile = null) =>
    [
        .. Security switch
        {
            EtcdSecurity.Tls => new[] { "--etcd=" + Endpoints, "--etcd-cacert=" + Pki!.Ca, "--etcd-cert=" + Pki.ClientCert, "--etcd-key=" + Pki.ClientKey },
            EtcdSecurity.Password => ["--etcd=" + Endpoints, "--etcd-user=ucarp", "--etcd-password-file=" + (passwordFile ?? PasswordFile("secret-pw"))],
            _ => ["--etcd=" + Endpoints],
        },
        .. EtcdDefaults ? Array.Empty<string>() : ["--etcd-ttl=3"],
    ];

    public string PasswordFile(string password)
    {
        string path = Path.Combine(_dir, $"pw-{Guid.NewGuid():N}");
        File.WriteAllText(path, password + "\n");
        return path;
    }

    public void Start(int i, bool fresh = false)
    {
        string data = Path.Combine(_dir, $"m{i}");
        string a = TestLan.Address(i);
        var args = new List<string>
        {
            "--name", $"m{i}", "--data-dir", data,
            "--listen-client-urls", $"{Scheme}://{a}:2379", "--advertise-client-urls", $"{Scheme}://{a}:2379",
            "--listen-peer-urls", $"http://{a}:2380", "--initial-advertise-peer-urls", $"http://{a}:2380",
            "--initial-cluster", string.Join(",", Enumerable.Range(1, Members).Select(m => $"m{m}=http://{TestLan.Address(m)}:2380")),
            "--initial-cluster-state", fresh ? "new" : "existing", "--initial-cluster-token", "ucarp-test",
            "--log-level", "warn",
        };
        if (!EtcdDefaults)
        {
            args.AddRange(["--heartbeat-interval", "50", "--election-timeout", "500"]);
        }
        if (Security == EtcdSecurity.Tls)
        {
            args.AddRange(["--cert-file", Pki!.ServerCert(i), "--key-file", Pki.ServerKey(i), "--client-cert-auth", "--trusted-ca-file", Pki.Ca]);
        }
        _members[i] = _lan.StartRaw(i, Etcd, [.. args]);
        _killed[i] = false;
    }

    public void Kill(int i)
    {
        _killed[i] = true;
        _members[i]?.Signal("KILL");
        _members[i]?.WaitForExit(TimeSpan.FromSeconds(5));
    }

    /// <summary>Runs etcdctl (v3) against the cluster from node 1's namespace, as root when auth is on.</summary>
    public string Ctl(params string[] args)
    {
        var all = new List<string> { "netns", "exec", _lan.Node(1), Etcdctl, "--endpoints=" + Endpoints, "--dial-timeout=2s", "--command-timeout=3s" };
        if (Security == EtcdSecurity.Tls)
        {
            all.AddRange(["--cacert=" + Pki!.Ca, "--cert=" + Pki.ClientCert, "--key=" + Pki.ClientKey]);
        }
        if (Security == EtcdSecurity.Password && _authOn)
        {
            all.Add("--user=root:rootpw");
        }
        all.AddRange(args);
        string output = Shell.Run("ip", [.. all]);
        if (args.Length >= 2 && args[0] == "auth" && args[1] == "enable")
        {
            _authOn = true;
        }
        return output;
    }

    bool _authOn;

    public bool Healthy()
    {
        Shell.RunAllowingFailure("ip", ["netns", "exec", _lan.Node(1), Etcdctl, "--endpoints=" + Endpoints, "--dial-timeout=1s",
                                        .. TlsArgs(), "endpoint", "health"], out int code);
        return code == 0;
    }

    string[] TlsArgs() => Security == EtcdSecurity.Tls ? ["--cacert=" + Pki!.Ca, "--cert=" + Pki.ClientCert, "--key=" + Pki.ClientKey] : [];

    /// <summary>How many calls of every gRPC method the members have started (each gateway request is one), from their metrics.</summary>
    public long AllCalls() => Calls(null);

    /// <summary>How many calls of a gRPC method (Txn, Range, LeaseGrant...) the members have started, from their metrics (plain HTTP only).</summary>
    public long Calls(string? method)
    {
        long total = 0;
        for (int i = 1; i <= Members; i++)
        {
            string text = Shell.RunAllowingFailure("ip", ["netns", "exec", _lan.Node(1), "curl", "-s", "--max-time", "2", Endpoint(i) + "/metrics"], out _);
            foreach (string line in text.Split('\n'))
            {
                if (line.StartsWith("grpc_server_started_total{", StringComparison.Ordinal) && (method is null || line.Contains($"grpc_method=\"{method}\"", StringComparison.Ordinal))
                    && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double n))
                {
                    total += (long)n;
                }
            }
        }
        return total;
    }

    /// <summary>Which member (1-3) leads now, or 0; asks the members not killed (etcdctl's complaint about a dead one would spoil the JSON).</summary>
    public int Leader()
    {
        string live = string.Join(",", Enumerable.Range(1, Members).Where(i => !_killed[i]).Select(Endpoint));
        string json = Shell.RunAllowingFailure("ip", ["netns", "exec", _lan.Node(1), Etcdctl, "--endpoints=" + live, "--dial-timeout=1s",
                                                      .. TlsArgs(), .. (_authOn ? new[] { "--user=root:rootpw" } : []), "endpoint", "status", "-w", "json"], out _);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            foreach (JsonElement member in doc.RootElement.EnumerateArray())
            {
                JsonElement status = member.GetProperty("Status");
                if (status.GetProperty("header").GetProperty("member_id").GetUInt64() == status.GetProperty("leader").GetUInt64())
                {
                    string endpoint = member.GetProperty("Endpoint").GetString()!;
                    return int.Parse(endpoint.Split("//")[1].Split(':')[0].Split('.')[3], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
        }
        return 0;
    }
}

enum EtcdSecurity
{
    None,
    Tls,
    Password,
}

/// <summary>A throwaway CA, server certificates with the members' IP addresses, and a client certificate (openssl).</summary>
sealed class TestPki
{
    readonly string _dir;

    public TestPki(string dir, IEnumerable<string> serverAddresses)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
        Openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=ucarp test CA", "-keyout", Path.Combine(dir, "ca-key.pem"), "-out", Ca);
        int i = 1;
        foreach (string address in serverAddresses)
        {
            Issue($"server{i}", $"/CN=etcd{i}", $"subjectAltName=IP:{address}\nextendedKeyUsage=serverAuth,clientAuth");
            i++;
        }
        Issue("client", "/CN=ucarp", "extendedKeyUsage=clientAuth");
        // Another authority, which signed nothing here: trusting it must fail.
        Openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=other CA", "-keyout", Path.Combine(dir, "other-key.pem"), "-out", OtherCa);
    }

    public string Ca => Path.Combine(_dir, "ca.pem");
    public string OtherCa => Path.Combine(_dir, "other-ca.pem");
    public string ClientCert => Path.Combine(_dir, "client.pem");
    public string ClientKey => Path.Combine(_dir, "client-key.pem");
    public string ServerCert(int i) => Path.Combine(_dir, $"server{i}.pem");
    public string ServerKey(int i) => Path.Combine(_dir, $"server{i}-key.pem");

    void Issue(string name, string subject, string extensions)
    {
        string key = Path.Combine(_dir, name + "-key.pem"), csr = Path.Combine(_dir, name + ".csr"), ext = Path.Combine(_dir, name + ".ext");
        File.WriteAllText(ext, extensions + "\n");
        Openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subject, "-keyout", key, "-out", csr);
        Openssl("x509", "-req", "-in", csr, "-CA", Ca, "-CAkey", Path.Combine(_dir, "ca-key.pem"), "-CAcreateserial", "-days", "2",
                "-extfile", ext, "-out", Path.Combine(_dir, name + ".pem"));
    }

    static void Openssl(params string[] args) => Shell.Run("openssl", args);
}
