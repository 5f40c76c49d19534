using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>--state-file, --metrics-file, --pidfile and systemd's notify socket, on a real election.</summary>
public class MonitoringTests : NamespaceTest
{
    static string Path_(TestLan lan, string name) => Path.Combine(lan.Directory, name);

    static JsonElement? State(string path)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.Clone();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null; // not written yet (a half-written file would be a failure: rename makes it whole)
        }
    }

    static string? Field(string path, string name) => State(path) is JsonElement s && s.GetProperty(name).ValueKind == JsonValueKind.String
        ? s.GetProperty(name).GetString() : null;

    [Test]
    public void The_state_file_follows_the_election_and_the_failover()
    {
        using var lan = new TestLan(2);
        string s1 = Path_(lan, "n1.json"), s2 = Path_(lan, "n2.json");
        using UcarpProcess a = lan.Start(1, Binary("clone"), "-k", "0", "--state-file", s1);
        Assert.That(Wait.Until(() => Field(s1, "state") == "MASTER", Long), Is.True, Describe(lan, a));
        using UcarpProcess b = lan.Start(2, Binary("clone"), "-k", "100", "--state-file", s2);
        Assert.That(Wait.Until(() => Field(s2, "state") == "BACKUP" && Field(s2, "master") == TestLan.Address(1), Long), Is.True,
                    Describe(lan, a, b) + File.ReadAllText(s2));
        JsonElement backup = State(s2)!.Value;
        Assert.That((backup.GetProperty("interface").GetString(), backup.GetProperty("vhid").GetInt32(), backup.GetProperty("virtual_address").GetString(),
                     backup.GetProperty("source_address").GetString(), backup.GetProperty("advskew").GetInt32()),
                    Is.EqualTo(("eth0", 42, TestLan.Vip, TestLan.Address(2), 100)));
        Assert.That(backup.GetProperty("pid").GetInt32(), Is.EqualTo(b.Pid));
        string since = backup.GetProperty("since").GetString()!;
        Assert.That(Field(s1, "master"), Is.EqualTo(TestLan.Address(1)));
        // The backup's counters move with the adverts it hears (refreshed once per advert interval).
        long heard = backup.GetProperty("counters").GetProperty("adverts_received").GetInt64();
        Assert.That(Wait.Until(() => State(s2)!.Value.GetProperty("counters").GetProperty("adverts_received").GetInt64() > heard, Short), Is.True);

        a.Signal("KILL");
        Assert.That(Wait.Until(() => Field(s2, "state") == "MASTER", Long), Is.True, Describe(lan, a, b));
        JsonElement master = State(s2)!.Value;
        Assert.That(master.GetProperty("master").GetString(), Is.EqualTo(TestLan.Address(2)));
        Assert.That(string.CompareOrdinal(master.GetProperty("since").GetString(), since), Is.GreaterThan(0), "since moved on");
        Assert.That(master.GetProperty("counters").GetProperty("transitions").GetInt64(), Is.EqualTo(2), "INIT to BACKUP, then MASTER");

        b.Signal("TERM");
        Assert.That(b.WaitForExit(Short), Is.True);
        // Without -z the daemon dies as ucarp's does (status 143, the address left up), and its file says it has stopped.
        Assert.That(b.ExitCode, Is.EqualTo(143));
        Assert.That(Field(s2, "state"), Is.EqualTo("STOPPED"));
        Assert.That(State(s2)!.Value.GetProperty("master").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public void The_metrics_file_counts_a_forged_advert_under_its_reason_and_parses_with_prometheus_client()
    {
        Binaries.RequirePrometheusParser();
        using var lan = new TestLan(2);
        string metrics = Path_(lan, "ucarp.prom");
        using UcarpProcess a = lan.Start(1, Binary("clone"), "-k", "0", "-z", "--metrics-file", metrics);
        Assert.That(Wait.Until(() => Sample(metrics, "ucarp_master") == 1, Long), Is.True, Describe(lan, a));
        // Debian's ucarp with another password: valid adverts in every way but the digest.
        using UcarpProcess forger = lan.StartRaw(2, Binary("debian"), "-i", "eth0", "-s", TestLan.Address(2), "-v", "42", "-p", "other",
                                                 "-a", TestLan.Vip, "-k", "200");
        Assert.That(Wait.Until(() => Sample(metrics, "ucarp_rejected_total", "bad_digest") >= 2, Long), Is.True, Describe(lan, a, forger));
        Assert.That(Sample(metrics, "ucarp_rejected_total", "bad_ttl"), Is.Zero);
        Assert.That(Sample(metrics, "ucarp_adverts_sent_total"), Is.GreaterThan(0));

        string parsed = Shell.Run("/usr/bin/python3", "-c",
            "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\n" +
            "fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))\n" +
            "print(len(fams), sum(len(f.samples) for f in fams), [f.type for f in fams if f.name == 'ucarp_rejected'][0])", metrics);
        string[] fields = parsed.Trim().Split(' ');
        Assert.That(int.Parse(fields[0], CultureInfo.InvariantCulture), Is.EqualTo(19), parsed);
        // 17 single series (one address), 5 states, 13 rejection reasons
        Assert.That(int.Parse(fields[1], CultureInfo.InvariantCulture), Is.EqualTo(17 + 5 + 13), parsed);
        Assert.That(fields[2], Is.EqualTo("counter"));

        a.Signal("TERM");
        Assert.That(a.WaitForExit(Short), Is.True);
        Assert.That(File.Exists(metrics), Is.False, "a stopped daemon exports nothing");
    }

    /// <summary>
    /// --metrics-listen serves the metrics file's series over HTTP (GET and HEAD of /metrics
    /// only, every other request refused with its status), and 40 idle clients plus one that
    /// trickles its request, for 8 s, neither delay an advert nor keep the next scrape out:
    /// the trickler is dropped at its 5 s.
    /// </summary>
    [Test]
    public void Metrics_over_http_are_the_files_series_and_slow_clients_delay_no_advert()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(1);
        string metrics = Path_(lan, "ucarp.prom");
        using UcarpProcess a = lan.Start(1, Binary("clone"), "-k", "0", "--metrics-file", metrics, "--metrics-listen=" + TestLan.Address(1) + ":9155");
        Assert.That(Wait.Until(() => Sample(metrics, "ucarp_master") == 1, Long), Is.True, Describe(lan, a));
        using Capture capture = lan.StartCapture($"proto 112 and src {TestLan.Address(1)}");
        string probe = Path.Combine(Binaries.Repository, "tests/Ucarp.Integration.Tests/Infrastructure/http-probe.py");
        string output = Shell.Run("ip", "netns", "exec", lan.Node(1), "timeout", "30", "python3", probe, TestLan.Address(1), "9155", "8");
        List<long> gaps = HardeningTests.AdvertGaps(capture.Stop(), TestLan.Address(1));
        TestContext.Out.WriteLine($"{gaps.Count + 1} adverts, gaps {gaps.DefaultIfEmpty().Min() / 1000.0:F1}..{gaps.DefaultIfEmpty().Max() / 1000.0:F1} ms");
        using JsonDocument doc = JsonDocument.Parse(output);
        JsonElement r = doc.RootElement;
        string get = r.GetProperty("get").GetString()!;
        string[] parts = get.Split("\r\n\r\n", 2);
        Assert.That(parts[0], Does.StartWith("HTTP/1.1 200 OK\r\n").And.Contain("Content-Type: text/plain; version=0.0.4; charset=utf-8"), get);
        static string[] Series(string text) =>
            [.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal)];
        Assert.That(Series(parts[1]), Is.EqualTo(Series(File.ReadAllText(metrics))), "the file's series, over HTTP");
        Assert.That(parts[1], Does.Contain("state=\"MASTER\"} 1"));
        string head = r.GetProperty("head").GetString()!;
        Assert.That((head.Split("\r\n")[0], head.EndsWith("\r\n\r\n", StringComparison.Ordinal)), Is.EqualTo(("HTTP/1.1 200 OK", true)), "HEAD: no body");
        Assert.That(new[] { "post", "other", "big", "junk" }.Select(k => r.GetProperty(k).GetString()),
                    Is.EqualTo(new[] { "HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 404 Not Found", "HTTP/1.1 431 Request Header Fields Too Large", "HTTP/1.1 400 Bad Request" }));
        Assert.That(r.GetProperty("trickle_closed_after").GetDouble(), Is.InRange(4.0, 8.0), "a client that never finishes its request is dropped at 5 s");
        Assert.That(r.GetProperty("after").GetString(), Is.EqualTo("HTTP/1.1 200 OK"), "scraped again after the hostile clients");
        Assert.That(gaps, Has.Count.GreaterThanOrEqualTo(7), "the master kept advertising");
        Assert.That(gaps.Max(), Is.LessThan(1_000_000 + 200_000), "no advert was late");
    }

    /// <summary>The value of a sample in the metrics file (optionally with reason="..."), or -1.</summary>
    static long Sample(string path, string name, string? reason = null)
    {
        if (!File.Exists(path))
        {
            return -1;
        }
        string prefix = name + "{";
        foreach (string line in File.ReadAllLines(path))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal) && (reason is null || line.Contains($"reason=\"{reason}\"", StringComparison.Ordinal)))
            {
                return long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    [TestCase(true)]
    [TestCase(false)]
    public void The_pidfile_names_the_detached_daemon_refuses_a_second_and_goes_on_sigterm(bool shutdownAtExit)
    {
        using var lan = new TestLan(1);
        string pidfile = Path_(lan, "ucarp.pid");
        string[] extra = shutdownAtExit ? ["-B", "-z", "--pidfile", pidfile] : ["-B", "--pidfile", pidfile];
        using UcarpProcess parent = lan.Start(1, Binary("clone"), extra);
        Assert.That(parent.WaitForExit(Short), Is.True);
        Assert.That(parent.ExitCode, Is.Zero);
        Assert.That(Wait.Until(() => File.Exists(pidfile), Short), Is.True);
        int pid = int.Parse(File.ReadAllText(pidfile).Trim(), CultureInfo.InvariantCulture);
        Assert.That(pid, Is.Not.EqualTo(parent.Pid), "the detached daemon's own pid");
        Assert.That(File.ReadAllText($"/proc/{pid}/comm").Trim(), Is.EqualTo("ucarp"), "named ucarp for ps, pidof and killall");
        Assert.That(File.ReadAllText($"/proc/{pid}/cmdline"), Does.Contain("192.0.2.100"));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True);

        using UcarpProcess second = lan.Start(1, Binary("clone"), extra);
        Assert.That(second.WaitForExit(Short), Is.True);
        Assert.That(second.ExitCode, Is.EqualTo(2));
        Assert.That(second.Lines, Does.Contain($"err: [ERROR] Pidfile [{pidfile}] names a running ucarp (pid {pid}): not starting"));
        Assert.That(File.ReadAllText(pidfile).Trim(), Is.EqualTo(pid.ToString(CultureInfo.InvariantCulture)));

        Shell.Run("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
        Assert.That(Wait.Until(() => !Directory.Exists($"/proc/{pid}"), Short), Is.True);
        Assert.That(File.Exists(pidfile), Is.False);
        // -z releases the address; without it the daemon dies as ucarp's does and leaves it.
        Assert.That(lan.HoldsVip(1), Is.EqualTo(!shutdownAtExit));
    }

    [Test]
    public void A_stale_pidfile_is_replaced()
    {
        using var lan = new TestLan(1);
        string pidfile = Path_(lan, "ucarp.pid");
        File.WriteAllText(pidfile, "1\n"); // init, not a ucarp
        using UcarpProcess a = lan.Start(1, Binary("clone"), "--pidfile", pidfile);
        Assert.That(Wait.Until(() => File.Exists(pidfile) && File.ReadAllText(pidfile).Trim() == a.Pid.ToString(CultureInfo.InvariantCulture), Short),
                    Is.True, Describe(lan, a));
    }

    [Serial]
    [Test]
    public void Systemd_hears_ready_status_watchdog_and_stopping()
    {
        using var lan = new TestLan(1);
        string socketPath = Path_(lan, "notify");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = new List<(TimeSpan At, string Text)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var reader = new CancellationTokenSource();
        Task reading = Task.Run(() =>
        {
            byte[] buffer = new byte[512];
            while (!reader.IsCancellationRequested)
            {
                if (listener.Poll(100_000, SelectMode.SelectRead))
                {
                    int n = listener.Receive(buffer);
                    lock (messages)
                    {
                        messages.Add((clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, n)));
                    }
                }
            }
        });
        List<string> Texts() { lock (messages) { return messages.Select(m => m.Text).ToList(); } }

        using UcarpProcess a = lan.StartRaw(1, "env", [$"NOTIFY_SOCKET={socketPath}", "WATCHDOG_USEC=400000", Binary("clone"),
            "-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-p", "test", "-a", TestLan.Vip, "-u", lan.UpScript, "-d", lan.DownScript, "-z"]);
        Assert.That(Wait.Until(() => Texts().Contains("STATUS=MASTER on eth0 id 42"), Long), Is.True, string.Join("|", Texts()) + Describe(lan, a));
        List<string> texts = Texts();
        Assert.That(texts.IndexOf("READY=1"), Is.GreaterThanOrEqualTo(0).And.LessThan(texts.IndexOf("STATUS=MASTER on eth0 id 42")));
        Assert.That(texts.IndexOf("STATUS=BACKUP on eth0 id 42"), Is.LessThan(texts.IndexOf("READY=1")), "the state is told with or before READY");
        // Pinged at half of WATCHDOG_USEC: 200 ms apart, so several by now (over 3 s).
        TimeSpan[] pings;
        lock (messages)
        {
            pings = messages.Where(m => m.Text == "WATCHDOG=1").Select(m => m.At).ToArray();
        }
        Assert.That(pings.Length, Is.GreaterThanOrEqualTo(10), string.Join("|", texts));
        TimeSpan widest = pings.Zip(pings.Skip(1), (x, y) => y - x).Max();
        Assert.That(widest.TotalMilliseconds, Is.LessThan(400), "never as late as the watchdog's limit");

        a.Signal("TERM");
        Assert.That(a.WaitForExit(Short), Is.True);
        Assert.That(Wait.Until(() => Texts().Contains("STOPPING=1"), Short), Is.True, string.Join("|", Texts()));
        reader.Cancel();
        reading.Wait(TimeSpan.FromSeconds(2));
    }

    [Test]
    public void A_file_that_cannot_be_written_is_reported_once_and_the_protocol_goes_on()
    {
        using var lan = new TestLan(1);
        string missing = Path_(lan, "no/such/dir/state.json");
        using UcarpProcess a = lan.Start(1, Binary("clone"), "--state-file", missing, "--metrics-file", Path_(lan, "m.prom"));
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, Describe(lan, a));
        Assert.That(Wait.Until(() => Sample(Path_(lan, "m.prom"), "ucarp_adverts_sent_total") >= 2, Short), Is.True, Describe(lan, a));
        Assert.That(a.Count($"[WARNING] Unable to write [{missing}]"), Is.EqualTo(1), Describe(lan, a));
    }
}
