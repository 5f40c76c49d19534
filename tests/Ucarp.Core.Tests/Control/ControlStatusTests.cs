using System.Text.Json;
using Ucarp.Core.Control;

namespace Ucarp.Core.Tests.Control;

/// <summary>`ucarpctl status` as text and as JSON.</summary>
public class ControlStatusTests
{
    const long Since = 1_795_000_000;   // 2026-11-18T11:06:40Z

    static readonly GroupStatus Web = new("web", "eth0", 1, ["192.0.2.100", "192.0.2.101"], "MASTER", "192.0.2.1", Since, true, "passing", null);
    static readonly GroupStatus Db = new("db", "eth1.20", 200, ["2001:db8::5"], "BACKUP", null, Since + 61, false, "failing",
                                         "health check failed 2 times in a row");

    [Test]
    public void Text_is_a_header_and_one_aligned_line_per_group()
    {
        Assert.That(ControlStatus.Text([Web, Db]), Is.EqualTo(
            "NAME  INTERFACE  VHID  ADDRESSES                STATE   MASTER     SINCE                 HEALTH   ELECTION  REASON\n" +
            "web   eth0       1     192.0.2.100,192.0.2.101  MASTER  192.0.2.1  2026-11-18T11:06:40Z  passing  in        -\n" +
            "db    eth1.20    200   2001:db8::5              BACKUP  -          2026-11-18T11:07:41Z  failing  out       health check failed 2 times in a row\n"));
    }

    [Test]
    public void Text_fields_stay_one_word_on_one_line_whatever_they_hold()
    {
        var odd = new GroupStatus("a b", "", 7, [], "BACKUP", "x\ny", -5, false, "none", "line\nbreak");
        string[] lines = ControlStatus.Text([odd]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        string[] fields = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(fields, Is.EqualTo(new[] { "a?b", "-", "7", "-", "BACKUP", "x?y", "-", "none", "out", "line?break" }));
    }

    [Test]
    public void Json_holds_every_group_with_the_documented_keys()
    {
        using var doc = JsonDocument.Parse(ControlStatus.Json([Web, Db]));
        JsonElement[] groups = [.. doc.RootElement.GetProperty("groups").EnumerateArray()];
        Assert.That(doc.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "groups" }));
        Assert.That(groups, Has.Length.EqualTo(2));
        Assert.That(groups[0].EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
        {
            "name", "interface", "vhid", "addresses", "state", "master", "since", "in_election", "health", "reason",
        }));
        Assert.Multiple(() =>
        {
            Assert.That(groups[0].GetProperty("name").GetString(), Is.EqualTo("web"));
            Assert.That(groups[0].GetProperty("interface").GetString(), Is.EqualTo("eth0"));
            Assert.That(groups[0].GetProperty("vhid").GetInt32(), Is.EqualTo(1));
            Assert.That(groups[0].GetProperty("addresses").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "192.0.2.100", "192.0.2.101" }));
            Assert.That(groups[0].GetProperty("state").GetString(), Is.EqualTo("MASTER"));
            Assert.That(groups[0].GetProperty("master").GetString(), Is.EqualTo("192.0.2.1"));
            Assert.That(groups[0].GetProperty("since").GetString(), Is.EqualTo("2026-11-18T11:06:40Z"));
            Assert.That(groups[0].GetProperty("in_election").GetBoolean(), Is.True);
            Assert.That(groups[0].GetProperty("reason").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(groups[1].GetProperty("master").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(groups[1].GetProperty("in_election").GetBoolean(), Is.False);
            Assert.That(groups[1].GetProperty("health").GetString(), Is.EqualTo("failing"));
            Assert.That(groups[1].GetProperty("reason").GetString(), Is.EqualTo("health check failed 2 times in a row"));
        });
    }

    [Test]
    public void Json_escapes_every_string_and_survives_what_no_calendar_holds()
    {
        string nasty = "q\"b\\s/\n\t\u0001\u007f\u00e9\ud83d\ude00";
        var odd = new GroupStatus(nasty, nasty, 0, [nasty, ""], nasty, nasty, long.MaxValue, false, nasty, nasty);
        using var doc = JsonDocument.Parse(ControlStatus.Json([odd]));
        JsonElement g = doc.RootElement.GetProperty("groups")[0];
        foreach (string key in new[] { "name", "interface", "state", "master", "health", "reason" })
        {
            Assert.That(g.GetProperty(key).GetString(), Is.EqualTo(nasty), key);
        }
        Assert.That(g.GetProperty("addresses")[0].GetString(), Is.EqualTo(nasty));
        Assert.That(g.GetProperty("since").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(ControlStatus.Text([odd]), Does.Contain(" - "));
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
        var groups = Enumerable.Range(1, 255).Select(v => new GroupStatus($"group-{v}", "eth0", v, [$"198.51.100.{v}", $"203.0.113.{v}"],
                                                                          "BACKUP", "192.0.2.1", Since, true, "passing", null)).ToList();
        string json = ControlStatus.Json(groups);
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("groups").GetArrayLength(), Is.EqualTo(255));
        Assert.That(json.Length, Is.LessThan(ControlFraming.MaxReply / 16));
        Assert.That(ControlStatus.Text(groups).Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(256));
    }
}
