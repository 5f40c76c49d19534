using System.Text.Json;
using Ucarp.Core.Control;
using Ucarp.Core.Monitoring;
using Ucarp.Core.Tests.Monitoring;

namespace Ucarp.Core.Tests.Control;

/// <summary>`ucarpctl status` as text and as JSON.</summary>
public class ControlStatusTests
{
    const long Since = 1_795_000_000;   // 2026-11-18T11:06:40Z

    static readonly GroupStatus Web = Snapshots.Row("web", "MASTER", "192.0.2.1", true, "passing", null, Since, "eth0", 1, ["192.0.2.100", "192.0.2.101"]);
    static readonly GroupStatus Db = Snapshots.Row("db", "BACKUP", null, false, "failing", "health check failed 2 times in a row", Since + 61,
                                                   "eth1.20", 200, ["2001:db8::5"]);

    /// <summary>A VRRP group at 200 (150 in use: a failing check's weight) behind a master heard at 254, or with no master heard.</summary>
    static GroupStatus Vrrp(byte? masterPriority) => GroupStatus.Of(Db.Full with
    {
        Name = "gw",
        Mode = "vrrp",
        Vrrp = new VrrpView(3, 200, 150, masterPriority),
    });

    [Test]
    public void Text_is_a_header_and_one_aligned_line_per_group()
    {
        Assert.That(ControlStatus.Text([Web, Db, Vrrp(254), Vrrp(null)]), Is.EqualTo(
            "NAME  INTERFACE  VHID  ADDRESSES                STATE   MASTER     SINCE                 HEALTH   ELECTION  PROTOCOL  PRIORITY  REASON\n" +
            "web   eth0       1     192.0.2.100,192.0.2.101  MASTER  192.0.2.1  2026-11-18T11:06:40Z  passing  in        carp      -         -\n" +
            "db    eth1.20    200   2001:db8::5              BACKUP  -          2026-11-18T11:07:41Z  failing  out       carp      -         health check failed 2 times in a row\n" +
            "gw    eth1.20    200   2001:db8::5              BACKUP  -          2026-11-18T11:07:41Z  failing  out       vrrp3     150/254   health check failed 2 times in a row\n" +
            "gw    eth1.20    200   2001:db8::5              BACKUP  -          2026-11-18T11:07:41Z  failing  out       vrrp3     150/-     health check failed 2 times in a row\n"));
    }

    [Test]
    public void Text_fields_stay_one_word_on_one_line_whatever_they_hold()
    {
        GroupStatus odd = Web with { Name = "a b", Interface = "", Vhid = 7, Addresses = [], State = "BACKUP", Master = "x\ny", SinceUnixSeconds = -5,
                                     InElection = false, Health = "none", Reason = "line\nbreak" };
        string[] lines = ControlStatus.Text([odd]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        string[] fields = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(fields, Is.EqualTo(new[] { "a?b", "-", "7", "-", "BACKUP", "x?y", "-", "none", "out", "carp", "-", "line?break" }));
    }

    /// <summary>status --json lists each group as the state file describes it: its keys, in its order, "name" first.</summary>
    [Test]
    public void Json_holds_every_group_with_the_state_files_keys()
    {
        using var doc = JsonDocument.Parse(ControlStatus.Json([Web, Db]));
        JsonElement[] groups = [.. doc.RootElement.GetProperty("groups").EnumerateArray()];
        Assert.That(doc.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "groups" }));
        Assert.That(groups, Has.Length.EqualTo(2));
        using var state = JsonDocument.Parse(StateDocument.Build([Web.Full, Db.Full], 1, Since * 1_000_000));
        JsonElement[] file = [.. state.RootElement.GetProperty("groups").EnumerateArray()];
        for (int i = 0; i < 2; i++)
        {
            Assert.That(groups[i].EnumerateObject().Select(p => p.Name), Is.EqualTo(file[i].EnumerateObject().Select(p => p.Name)));
            Assert.That(groups[i].GetRawText().Replace(" ", "").Replace("\n", ""), Is.EqualTo(file[i].GetRawText().Replace(" ", "").Replace("\n", "")),
                        "the same values, to the microsecond");
        }
        Assert.Multiple(() =>
        {
            Assert.That(groups[0].GetProperty("name").GetString(), Is.EqualTo("web"));
            Assert.That(groups[0].GetProperty("mode").GetString(), Is.EqualTo("carp"));
            Assert.That(groups[0].GetProperty("addresses").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "192.0.2.100", "192.0.2.101" }));
            Assert.That(groups[0].GetProperty("since").GetString(), Is.EqualTo("2026-11-18T11:06:40.000000Z"));
            Assert.That(groups[1].GetProperty("master").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(groups[1].GetProperty("in_election").GetBoolean(), Is.False);
            Assert.That(groups[1].GetProperty("health_check").GetProperty("status").GetString(), Is.EqualTo("failing"));
            Assert.That(groups[1].GetProperty("election_reason").GetString(), Is.EqualTo("health check failed 2 times in a row"));
        });
    }

    [Test]
    public void Json_escapes_every_string_and_survives_what_no_calendar_holds()
    {
        string nasty = "q\"b\\s/\n\t\u0001\u007f\u00e9\ud83d\ude00";
        StatusSnapshot full = Snapshots.Group(nasty, iface: nasty, reason: nasty, addresses: [nasty, ""], inElection: false) with { SinceUnixMicros = long.MaxValue };
        using var doc = JsonDocument.Parse(ControlStatus.Json([GroupStatus.Of(full)]));
        JsonElement g = doc.RootElement.GetProperty("groups")[0];
        foreach (string key in new[] { "name", "interface", "virtual_address", "election_reason" })
        {
            Assert.That(g.GetProperty(key).GetString(), Is.EqualTo(nasty), key);
        }
        Assert.That(g.GetProperty("addresses")[0].GetString(), Is.EqualTo(nasty));
        Assert.That(g.GetProperty("since").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(ControlStatus.Text([GroupStatus.Of(full)]), Does.Contain(" - "));
    }

    [Test]
    public void No_groups_is_a_header_or_an_empty_array()
    {
        Assert.That(ControlStatus.Text([]), Does.StartWith("NAME").And.Not.Contain("\n\n"));
        using var doc = JsonDocument.Parse(ControlStatus.Json([]));
        Assert.That(doc.RootElement.GetProperty("groups").GetArrayLength(), Is.Zero);
    }

    [Test]
    public void Every_vhid_fits_well_within_the_reply_limit()
    {
        var groups = Enumerable.Range(1, 255).Select(v => Snapshots.Row($"group-{v}", "BACKUP", "192.0.2.1", true, "passing", null, Since, "eth0", v,
                                                                        [$"198.51.100.{v}", $"203.0.113.{v}"])).ToList();
        string json = ControlStatus.Json(groups);
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("groups").GetArrayLength(), Is.EqualTo(255));
        Assert.That(json.Length, Is.LessThan(ControlFraming.MaxReply / 16));
        Assert.That(ControlStatus.Text(groups).Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(256));
    }
}
