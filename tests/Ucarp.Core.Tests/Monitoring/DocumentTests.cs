using System.Text.Json;
using System.Text.RegularExpressions;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Monitoring;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Monitoring;

/// <summary>The state file's JSON and the metrics file's text format, from one snapshot.</summary>
public class DocumentTests
{
    static StatusSnapshot Snapshot(CarpState state = CarpState.Master, bool stopped = false, string iface = "eth0",
                                   HealthSnapshot? health = null, IpAddress? master = null, SkewInUse? skew = null) => new()
    {
        State = state,
        Stopped = stopped,
        InElection = health?.Passing ?? true,
        ElectionReason = health is null ? null : "health check failed 2 times in a row",
        LinkUp = true,
        SinceUnixMicros = 1_795_000_000_123_456,
        NowUnixMicros = 1_795_000_060_000_001,
        Interface = iface,
        Vhid = 42,
        VirtualAddress = "192.0.2.100",
        Source = new IpAddress(192, 0, 2, 1),
        AdvBase = 1,
        AdvSkew = 20,
        Skew = skew,
        Preempt = true,
        Master = master,
        Health = health,
        Transitions = 3,
        AdvertsSent = 55,
        AdvertSendErrors = 1,
        AdvertsReceived = 7,
        ScriptRuns = 4,
        ScriptFailures = 2,
        Rejected = new Dictionary<Rejection, long> { [Rejection.BadDigest] = 9, [Rejection.BadTtl] = 1 },
        Pid = 4321,
    };

    [Test]
    public void The_state_file_is_json_with_the_documented_keys_and_values()
    {
        using JsonDocument doc = JsonDocument.Parse(StateDocument.Build(Snapshot(master: new IpAddress(192, 0, 2, 1))));
        JsonElement r = doc.RootElement;
        Assert.That(r.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
        {
            "mode", "state", "in_election", "election_reason", "link", "since", "interface", "vhid", "virtual_address", "addresses",
            "source_address", "advbase", "advskew", "advskew_in_use", "advskew_reason", "preempt", "master", "health_check", "etcd", "vrrp", "counters", "pid", "updated",
        }));
        Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("MASTER"));
        Assert.That(r.GetProperty("in_election").GetBoolean(), Is.True);
        Assert.That(r.GetProperty("election_reason").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(r.GetProperty("since").GetString(), Is.EqualTo("2026-11-18T11:06:40.123456Z"));
        Assert.That(r.GetProperty("updated").GetString(), Is.EqualTo("2026-11-18T11:07:40.000001Z"));
        Assert.That(r.GetProperty("vhid").GetInt32(), Is.EqualTo(42));
        Assert.That(r.GetProperty("advskew").GetInt32(), Is.EqualTo(20));
        Assert.That(r.GetProperty("advskew_in_use").GetInt32(), Is.EqualTo(20), "without --check-weight: -k");
        Assert.That(r.GetProperty("advskew_reason").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(r.GetProperty("preempt").GetBoolean(), Is.True);
        Assert.That(r.GetProperty("master").GetString(), Is.EqualTo("192.0.2.1"));
        Assert.That(r.GetProperty("health_check").ValueKind, Is.EqualTo(JsonValueKind.Null));
        JsonElement c = r.GetProperty("counters");
        Assert.That((c.GetProperty("transitions").GetInt64(), c.GetProperty("adverts_sent").GetInt64(), c.GetProperty("advert_send_errors").GetInt64(),
                     c.GetProperty("adverts_received").GetInt64(), c.GetProperty("scripts_run").GetInt64(), c.GetProperty("script_failures").GetInt64()),
                    Is.EqualTo((3L, 55L, 1L, 7L, 4L, 2L)));
        JsonElement rejected = c.GetProperty("rejected");
        Assert.That(rejected.EnumerateObject().Count(), Is.EqualTo(StatusSnapshot.RejectionNames.Count - 3), "every reason of CARP's, zero or not");
        Assert.That((rejected.GetProperty("bad_digest").GetInt64(), rejected.GetProperty("bad_ttl").GetInt64(), rejected.GetProperty("other_vhid").GetInt64()),
                    Is.EqualTo((9L, 1L, 0L)));
        Assert.That(r.GetProperty("pid").GetInt32(), Is.EqualTo(4321));
    }

    [Test]
    public void Health_out_of_the_election_and_stopped_are_spelled_out()
    {
        var health = new HealthSnapshot("pidof \"nginx\"\n", Passing: false, LastPassed: false, ConsecutivePasses: 0,
                                        ConsecutiveFailures: 3, Runs: 10, Failures: 4);
        using JsonDocument doc = JsonDocument.Parse(StateDocument.Build(Snapshot(CarpState.Backup, health: health)));
        JsonElement r = doc.RootElement;
        Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("BACKUP"));
        Assert.That(r.GetProperty("in_election").GetBoolean(), Is.False);
        Assert.That(r.GetProperty("election_reason").GetString(), Is.EqualTo("health check failed 2 times in a row"));
        Assert.That(r.GetProperty("master").ValueKind, Is.EqualTo(JsonValueKind.Null));
        JsonElement h = r.GetProperty("health_check");
        Assert.That(h.GetProperty("command").GetString(), Is.EqualTo("pidof \"nginx\"\n"), "escaped and read back intact");
        Assert.That((h.GetProperty("status").GetString(), h.GetProperty("last_result").GetString()), Is.EqualTo(("failing", "fail")));
        Assert.That((h.GetProperty("consecutive_failures").GetInt32(), h.GetProperty("runs").GetInt64(), h.GetProperty("failures").GetInt64()),
                    Is.EqualTo((3, 10L, 4L)));

        using JsonDocument stopped = JsonDocument.Parse(StateDocument.Build(Snapshot(stopped: true)));
        Assert.That(stopped.RootElement.GetProperty("state").GetString(), Is.EqualTo("STOPPED"));
    }

    [Test]
    public void A_failing_checks_weight_shows_as_the_advskew_in_use_and_why()
    {
        var health = new HealthSnapshot("true", Passing: false, LastPassed: false, ConsecutivePasses: 0,
                                        ConsecutiveFailures: 2, Runs: 5, Failures: 2, Weight: 50);
        StatusSnapshot s = Snapshot(health: health, skew: new SkewInUse(20, 50, "check failing")) with { InElection = true, ElectionReason = null };
        using JsonDocument doc = JsonDocument.Parse(StateDocument.Build(s));
        JsonElement r = doc.RootElement;
        Assert.That((r.GetProperty("advskew").GetInt32(), r.GetProperty("advskew_in_use").GetInt32(), r.GetProperty("advskew_reason").GetString()),
                    Is.EqualTo((20, 70, "check failing")));
        Assert.That(r.GetProperty("in_election").GetBoolean(), Is.True, "a weight keeps the node in the election");
        Assert.That(r.GetProperty("health_check").GetProperty("weight").GetInt32(), Is.EqualTo(50));

        const string Id = "interface=\"eth0\",vhid=\"42\",vip=\"192.0.2.100\"";
        string[] lines = MetricsDocument.Build(s).Split('\n');
        Assert.That(lines, Does.Contain($"ucarp_advskew{{{Id}}} 70"));
        Assert.That(lines, Does.Contain($"ucarp_advskew_weight{{{Id}}} 50"));
        string[] capped = MetricsDocument.Build(s with { Skew = new SkewInUse(240, 50, "check failing") }).Split('\n');
        Assert.That(capped, Does.Contain($"ucarp_advskew{{{Id}}} 254"));

        using JsonDocument passing = JsonDocument.Parse(StateDocument.Build(Snapshot(health: health with { Passing = true },
                                                                                     skew: new SkewInUse(20, 0, "check passing"))));
        Assert.That((passing.RootElement.GetProperty("advskew_in_use").GetInt32(), passing.RootElement.GetProperty("advskew_reason").GetString()),
                    Is.EqualTo((20, "check passing")));
        using JsonDocument noWeight = JsonDocument.Parse(StateDocument.Build(Snapshot(health: health with { Weight = 0 })));
        Assert.That(noWeight.RootElement.GetProperty("health_check").GetProperty("weight").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [TestCase("eth\u0001\t\\\"x")]
    [TestCase("ét0")]
    public void Any_interface_name_stays_valid_json(string iface)
    {
        using JsonDocument doc = JsonDocument.Parse(StateDocument.Build(Snapshot(iface: iface)));
        Assert.That(doc.RootElement.GetProperty("interface").GetString(), Is.EqualTo(iface));
    }

    static readonly Regex SampleLine = new("^(ucarp_[a-z_]+)\\{((?:[a-z_]+=\"(?:[^\"\\\\\\n]|\\\\.)*\",?)+)\\} (-?[0-9.]+)$");

    [Test]
    public void The_metrics_follow_the_text_format_each_family_typed_once()
    {
        string text = MetricsDocument.Build(Snapshot());
        Assert.That(text, Does.EndWith("\n"));
        var typed = new List<string>();
        foreach (string line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                typed.Add(line.Split(' ')[2]);
                Assert.That(line.Split(' ')[3], Is.AnyOf("gauge", "counter"));
                continue;
            }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }
            Match m = SampleLine.Match(line);
            Assert.That(m.Success, Is.True, line);
            Assert.That(typed[^1], Is.EqualTo(m.Groups[1].Value), "a sample follows its family's TYPE line");
        }
        Assert.That(typed, Is.Unique);
        Assert.That(typed.Where(t => t.EndsWith("_total", StringComparison.Ordinal)),
                    Is.EquivalentTo(new[] { "ucarp_transitions_total", "ucarp_adverts_sent_total", "ucarp_advert_send_errors_total",
                                            "ucarp_adverts_received_total", "ucarp_rejected_total", "ucarp_script_runs_total",
                                            "ucarp_script_failures_total", "ucarp_health_check_runs_total", "ucarp_health_check_failures_total" }));
    }

    [Test]
    public void The_metrics_carry_the_values()
    {
        string[] lines = MetricsDocument.Build(Snapshot()).Split('\n');
        const string Id = "interface=\"eth0\",vhid=\"42\",vip=\"192.0.2.100\"";
        Assert.That(lines, Does.Contain($"ucarp_master{{{Id}}} 1"));
        Assert.That(lines, Does.Contain($"ucarp_adverts_sent_total{{{Id}}} 55"));
        Assert.That(lines, Does.Contain($"ucarp_rejected_total{{{Id},reason=\"bad_digest\"}} 9"));
        Assert.That(lines, Does.Contain($"ucarp_rejected_total{{{Id},reason=\"other_vhid\"}} 0"));
        Assert.That(lines, Does.Contain($"ucarp_script_failures_total{{{Id}}} 2"));
        Assert.That(lines, Does.Contain($"ucarp_advskew{{{Id}}} 20"));
        Assert.That(lines, Does.Contain($"ucarp_advskew_weight{{{Id}}} 0"));
        Assert.That(lines, Does.Contain($"ucarp_state_change_timestamp_seconds{{{Id}}} 1795000000.123456"));
        Assert.That(MetricsDocument.Build(Snapshot(CarpState.Backup)).Split('\n'), Does.Contain($"ucarp_master{{{Id}}} 0"));
    }

    [Test]
    public void One_state_series_says_the_state_and_the_daemon_says_its_build_and_when_it_wrote()
    {
        const string Id = "interface=\"eth0\",vhid=\"42\",vip=\"192.0.2.100\"";
        string[] master = MetricsDocument.Build(Snapshot()).Split('\n');
        Assert.That(master.Where(l => l.StartsWith("ucarp_state{", StringComparison.Ordinal)),
                    Is.EqualTo(new[] { "MASTER 1", "BACKUP 0", "INIT 0", "WAITING 0", "STOPPED 0" }.Select(v => $"ucarp_state{{{Id},state=\"{v.Split(' ')[0]}\"}} {v.Split(' ')[1]}")));
        string[] backup = MetricsDocument.Build(Snapshot(CarpState.Backup)).Split('\n');
        Assert.That(backup, Does.Contain($"ucarp_state{{{Id},state=\"BACKUP\"}} 1").And.Contain($"ucarp_state{{{Id},state=\"MASTER\"}} 0"));
        Assert.That(master, Does.Contain($"ucarp_build_info{{{Id},version=\"{Ucarp.Core.Cli.UsageText.Version}\",ucarp=\"1.5.2\"}} 1"));
        Assert.That(master.Single(l => l.StartsWith("ucarp_metrics_written_timestamp_seconds{", StringComparison.Ordinal)),
                    Does.Match(@"^ucarp_metrics_written_timestamp_seconds\{.*\} \d+\.\d{6}$"));
    }

    [Test]
    public void Label_values_are_escaped()
    {
        Assert.That(MetricsDocument.Label("a\"b\\c\nd"), Is.EqualTo("a\\\"b\\\\c\\nd"));
        Assert.That(MetricsDocument.Build(Snapshot(iface: "e\"0")), Does.Contain("interface=\"e\\\"0\""));
    }
}
