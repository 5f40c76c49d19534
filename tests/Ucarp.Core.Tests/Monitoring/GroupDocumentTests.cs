using System.Text.Json;
using System.Text.RegularExpressions;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Monitoring;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Monitoring;

/// <summary>The state file, the metrics file and systemd's STATUS for several groups (--config), and a plain command line's unchanged.</summary>
public class GroupDocumentTests
{
    static StatusSnapshot Group(string name, int vhid, CarpState state = CarpState.Backup, string iface = "eth0", long sent = 55) => new()
    {
        Name = name,
        State = state,
        InElection = true,
        LinkUp = true,
        SinceUnixMicros = 1_795_000_000_123_456,
        NowUnixMicros = 1_795_000_060_000_001,
        Interface = iface,
        Vhid = vhid,
        VirtualAddress = $"192.0.2.{vhid}",
        Source = new IpAddress(192, 0, 2, 2),
        AdvBase = 1,
        AdvSkew = 20,
        Skew = new SkewInUse(20, 50, "check failing"),
        Preempt = true,
        Master = new IpAddress(192, 0, 2, 1),
        Health = new HealthSnapshot("pidof nginx", false, false, 0, 3, 10, 4, 50),
        Transitions = 3,
        AdvertsSent = sent,
        AdvertSendErrors = 1,
        AdvertsReceived = 7,
        ScriptRuns = 4,
        ScriptFailures = 2,
        Rejected = new Dictionary<Rejection, long> { [Rejection.BadDigest] = 9, [Rejection.BadTtl] = 1 },
        Pid = 4321,
    };

    static string Golden(string file) => File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", file));

    [Test]
    public void A_plain_command_lines_documents_are_byte_for_byte_what_they_were()
    {
        // Golden/*-one-group.*: the output of the one-group builders before groups existed, for this
        // snapshot, with the series added since (build info, written timestamp, state, address) where
        // they go, and the keys added since (mode, addresses, etcd).
        StatusSnapshot s = Group("ucarp", 100) with { VirtualAddress = "192.0.2.100", Vhid = 42 };
        Assert.That(StateDocument.Build(s), Is.EqualTo(Golden("state-one-group.json")));
        Assert.That(MetricsDocument.Build(s), Is.EqualTo(Golden("metrics-one-group.prom")));
    }

    static readonly string[] GroupKeys =
    [
        "name", "mode", "state", "in_election", "election_reason", "link", "since", "interface", "vhid", "virtual_address", "addresses",
        "source_address", "advbase", "advskew", "advskew_in_use", "advskew_reason", "preempt", "master", "health_check", "etcd", "vrrp", "counters",
    ];

    [Test]
    public void The_state_file_of_many_groups_holds_each_groups_object_and_the_process_once()
    {
        StatusSnapshot[] groups =
        [
            Group("web", 10, CarpState.Master, sent: 100),
            Group("db \"main\"\n", 11, sent: 200),
            Group("outside", 12, iface: "eth1", sent: 300) with { Stopped = true, Master = null },
        ];
        using JsonDocument doc = JsonDocument.Parse(StateDocument.Build(groups, pid: 777, nowUnixMicros: 1_795_000_061_000_002));
        JsonElement r = doc.RootElement;
        Assert.That(r.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "groups", "pid", "updated" }));
        Assert.That(r.GetProperty("pid").GetInt32(), Is.EqualTo(777));
        Assert.That(r.GetProperty("updated").GetString(), Is.EqualTo("2026-11-18T11:07:41.000002Z"));
        JsonElement[] g = [.. r.GetProperty("groups").EnumerateArray()];
        Assert.That(g, Has.Length.EqualTo(3));
        foreach (JsonElement group in g)
        {
            Assert.That(group.EnumerateObject().Select(p => p.Name), Is.EqualTo(GroupKeys), "today's keys, name first, pid and updated once outside");
        }
        Assert.That(g.Select(x => x.GetProperty("name").GetString()), Is.EqualTo(new[] { "web", "db \"main\"\n", "outside" }));
        Assert.That(g.Select(x => x.GetProperty("state").GetString()), Is.EqualTo(new[] { "MASTER", "BACKUP", "STOPPED" }));
        Assert.That(g.Select(x => x.GetProperty("vhid").GetInt32()), Is.EqualTo(new[] { 10, 11, 12 }));
        Assert.That(g.Select(x => x.GetProperty("interface").GetString()), Is.EqualTo(new[] { "eth0", "eth0", "eth1" }));
        Assert.That(g.Select(x => x.GetProperty("counters").GetProperty("adverts_sent").GetInt64()), Is.EqualTo(new[] { 100L, 200L, 300L }));
        Assert.That(g[0].GetProperty("counters").GetProperty("rejected").GetProperty("bad_digest").GetInt64(), Is.EqualTo(9));
        Assert.That(g[1].GetProperty("health_check").GetProperty("weight").GetInt32(), Is.EqualTo(50));
        Assert.That(g[2].GetProperty("master").ValueKind, Is.EqualTo(JsonValueKind.Null));

        using JsonDocument none = JsonDocument.Parse(StateDocument.Build([], pid: 1, nowUnixMicros: 0));
        Assert.That(none.RootElement.GetProperty("groups").GetArrayLength(), Is.Zero, "a file with no group yet is still JSON");
    }

    // One sample: name, labels (values escaped as the text format says), value.
    static readonly Regex SampleLine = new("^(ucarp_[a-z_]+)\\{(.*)\\} (-?[0-9.]+)$");
    static readonly Regex LabelPair = new("\\G([a-z_]+)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(?:,|$)");

    static (string Name, List<(string Key, string Value)> Labels, string Value) Parse(string line)
    {
        Match m = SampleLine.Match(line);
        Assert.That(m.Success, Is.True, line);
        var labels = new List<(string, string)>();
        string text = m.Groups[2].Value;
        int at = 0;
        while (at < text.Length)
        {
            Match pair = LabelPair.Match(text, at);
            Assert.That(pair.Success, Is.True, $"labels of {line} at {at}");
            string value = Regex.Replace(pair.Groups[2].Value, "\\\\(.)", e => e.Groups[1].Value == "n" ? "\n" : e.Groups[1].Value);
            labels.Add((pair.Groups[1].Value, value));
            at += pair.Length;
        }
        return (m.Groups[1].Value, labels, m.Groups[3].Value);
    }

    [Test]
    public void The_metrics_of_many_groups_type_each_family_once_and_label_every_series_with_its_group()
    {
        StatusSnapshot[] groups =
        [
            Group("web", 10, CarpState.Master, sent: 100),
            Group("db \"main\"\\\n", 11, sent: 200),
            Group("outside", 12, iface: "e\"1", sent: 300),
        ];
        string text = MetricsDocument.Build(groups);
        string one = MetricsDocument.Build(groups[0] with { Name = null });
        int families = one.Split('\n').Count(l => l.StartsWith("# TYPE ", StringComparison.Ordinal));
        int perGroup = one.TrimEnd('\n').Split('\n').Count(l => !l.StartsWith('#'));

        var typed = new List<string>();
        var samples = new List<(string Name, List<(string Key, string Value)> Labels, string Value)>();
        foreach (string line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                typed.Add(line.Split(' ')[2]);
            }
            else if (!line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var sample = Parse(line);
                Assert.That(sample.Name, Is.EqualTo(typed[^1]), "every group's samples sit under their family's one TYPE line");
                samples.Add(sample);
            }
        }
        Assert.That(typed, Is.Unique);
        Assert.That(typed, Has.Count.EqualTo(families), "one HELP/TYPE per family, whatever the number of groups");
        Assert.That(samples, Has.Count.EqualTo(3 * perGroup));
        foreach (var s in samples)
        {
            Assert.That(s.Labels.Select(l => l.Key).Take(4), Is.EqualTo(new[] { "group", "interface", "vhid", "vip" }), s.Name);
            Assert.That(s.Labels.Count, Is.EqualTo(s.Name switch { "ucarp_rejected_total" or "ucarp_state" or "ucarp_address_master" => 5, "ucarp_build_info" => 6, _ => 4 }), s.Name);
        }
        string Value(string metric, string group) =>
            samples.Single(s => s.Name == metric && s.Labels[0].Value == group && s.Labels.All(l => l.Key is not "reason" and not "state")).Value;
        Assert.That(Value("ucarp_adverts_sent_total", "web"), Is.EqualTo("100"));
        Assert.That(Value("ucarp_adverts_sent_total", "db \"main\"\\\n"), Is.EqualTo("200"), "the group label read back intact");
        Assert.That(Value("ucarp_adverts_sent_total", "outside"), Is.EqualTo("300"));
        Assert.That(Value("ucarp_master", "web"), Is.EqualTo("1"));
        Assert.That(Value("ucarp_master", "outside"), Is.EqualTo("0"));
        var outside = samples.First(s => s.Labels[0].Value == "outside").Labels.Take(4);
        Assert.That(outside, Is.EqualTo(new[] { ("group", "outside"), ("interface", "e\"1"), ("vhid", "12"), ("vip", "192.0.2.12") }));
        Assert.That(text, Does.Contain("ucarp_rejected_total{group=\"web\",interface=\"eth0\",vhid=\"10\",vip=\"192.0.2.10\",reason=\"bad_digest\"} 9\n"));
    }

    [TestCase(new[] { "MASTER", "BACKUP", "MASTER" }, "3 groups: 2 MASTER, 1 BACKUP")]
    [TestCase(new[] { "BACKUP", "INIT", "MASTER", "STOPPED", "INIT" }, "5 groups: 1 MASTER, 1 BACKUP, 2 INIT, 1 STOPPED")]
    [TestCase(new[] { "BACKUP" }, "1 group: 1 BACKUP")]
    [TestCase(new string[0], "0 groups")]
    public void Systemds_status_counts_the_groups_by_role_in_a_fixed_order(string[] states, string expected) =>
        Assert.That(StatusSummary.Line(states), Is.EqualTo(expected));

    /// <summary>
    /// One description, every address: an etcd group's state object says its connection, its
    /// metrics have etcd series and no CARP rejections; a CARP group the reverse; every
    /// address, extras too, has its own series.
    /// </summary>
    [Test]
    public void Etcd_groups_show_their_connection_and_every_address_has_a_series()
    {
        StatusSnapshot carp = Group("web", 10, CarpState.Master) with { Addresses = ["192.0.2.10", "198.51.100.10"] };
        StatusSnapshot etcd = Group("db", 11, CarpState.Master) with
        {
            Mode = "etcd", Rejected = new Dictionary<Rejection, long>(), Etcd = new EtcdHealth(true, 0x694d7e3c1b2a, 1_250_000, 2),
        };
        StatusSnapshot follow = Group("pg", 12) with { Mode = "follow", Etcd = new EtcdHealth(false, null, null, 0) };
        using JsonDocument doc = JsonDocument.Parse(StateDocument.Build([carp, etcd, follow], pid: 1, nowUnixMicros: 1_795_000_061_000_002));
        JsonElement[] g = [.. doc.RootElement.GetProperty("groups").EnumerateArray()];
        Assert.That(g.Select(x => x.GetProperty("mode").GetString()), Is.EqualTo(new[] { "carp", "etcd", "follow" }));
        Assert.That(g[0].GetProperty("etcd").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(g[0].GetProperty("addresses").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "192.0.2.10", "198.51.100.10" }));
        JsonElement e = g[1].GetProperty("etcd");
        Assert.That((e.GetProperty("reachable").GetBoolean(), e.GetProperty("lease").GetString(), e.GetProperty("renewal_age_seconds").GetDouble(),
                     e.GetProperty("fences").GetInt32()), Is.EqualTo((true, "694d7e3c1b2a", 1.25, 2)));
        Assert.That(g[2].GetProperty("etcd").GetProperty("lease").ValueKind, Is.EqualTo(JsonValueKind.Null));

        string text = MetricsDocument.Build([carp, etcd, follow]);
        string[] samples = [.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#')];
        Assert.That(samples.Where(l => l.StartsWith("ucarp_address_master{group=\"web\"", StringComparison.Ordinal)),
                    Is.EqualTo(new[]
                    {
                        "ucarp_address_master{group=\"web\",interface=\"eth0\",vhid=\"10\",vip=\"192.0.2.10\",address=\"192.0.2.10\"} 1",
                        "ucarp_address_master{group=\"web\",interface=\"eth0\",vhid=\"10\",vip=\"192.0.2.10\",address=\"198.51.100.10\"} 1",
                    }));
        Assert.That(samples.Where(l => l.StartsWith("ucarp_rejected_total", StringComparison.Ordinal)).Select(l => l.Split('"')[1]).Distinct(),
                    Is.EqualTo(new[] { "web" }), "rejections only for CARP groups");
        Assert.That(samples.Where(l => l.StartsWith("ucarp_etcd_", StringComparison.Ordinal)).Select(l => l[..l.IndexOf('{')] + " " + l.Split('"')[1] + " " + l.Split(' ')[^1]),
                    Is.EqualTo(new[]
                    {
                        "ucarp_etcd_reachable db 1", "ucarp_etcd_reachable pg 0", "ucarp_etcd_lease db 1",
                        "ucarp_etcd_renewal_age_seconds db 1.250000", "ucarp_etcd_fences_total db 2",
                    }));
        Assert.That(MetricsDocument.Build(carp with { Name = null }), Does.Not.Contain("ucarp_etcd_"), "a CARP daemon's file has no etcd family at all");
    }
}
