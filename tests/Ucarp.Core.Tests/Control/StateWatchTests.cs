using System.Text.Json;
using Ucarp.Core.Control;

namespace Ucarp.Core.Tests.Control;

public class StateWatchTests
{
    const long T0 = 1_780_000_000_123_456;   // 2026-05-28T20:26:40.123Z

    static GroupStatus Row(string name, string state, string? master = "192.0.2.1", bool inElection = true, string health = "none",
                           string? reason = null, long since = 1_780_000_000) =>
        Tests.Monitoring.Snapshots.Row(name, state, master, inElection, health, reason, since);

    [Test]
    public void The_first_look_is_every_group_then_only_what_changed()
    {
        var watch = new StateWatch();
        Assert.That(watch.Changes([Row("web", "BACKUP"), Row("db", "MASTER")], T0).Select(e => (e.Group.Name, e.Previous, e.Group.State)),
                    Is.EqualTo(new[] { ("web", (string?)null, "BACKUP"), ("db", null, "MASTER") }));
        Assert.That(watch.Changes([Row("web", "BACKUP"), Row("db", "MASTER")], T0 + 1), Is.Empty, "nothing changed");
        Assert.That(watch.Changes([Row("web", "BACKUP", since: 1_790_000_000), Row("db", "MASTER")], T0 + 2), Is.Empty,
                    "since alone is not a change");
        IReadOnlyList<WatchEvent> e = watch.Changes([Row("web", "MASTER"), Row("db", "MASTER")], T0 + 3);
        Assert.That(e.Select(x => (x.Group.Name, x.Previous, x.Group.State, x.UnixMicros)), Is.EqualTo(new[] { ("web", (string?)"BACKUP", "MASTER", T0 + 3) }));
    }

    [TestCase("master")]
    [TestCase("election")]
    [TestCase("health")]
    [TestCase("reason")]
    public void A_change_of_master_election_health_or_reason_is_an_event_with_the_state_unchanged(string what)
    {
        var watch = new StateWatch();
        watch.Changes([Row("web", "BACKUP")], T0);
        GroupStatus changed = what switch
        {
            "master" => Row("web", "BACKUP", master: "192.0.2.2"),
            "election" => Row("web", "BACKUP", inElection: false),
            "health" => Row("web", "BACKUP", health: "failing"),
            _ => Row("web", "BACKUP", reason: "its sync set [s] is out"),
        };
        Assert.That(watch.Changes([changed], T0 + 1).Select(x => (x.Previous, x.Group.State)), Is.EqualTo(new[] { ((string?)"BACKUP", "BACKUP") }));
    }

    [Test]
    public void A_group_a_reload_removes_is_said_once_and_one_it_adds_has_no_previous_state()
    {
        var watch = new StateWatch();
        watch.Changes([Row("web", "MASTER"), Row("db", "BACKUP")], T0);
        IReadOnlyList<WatchEvent> e = watch.Changes([Row("web", "MASTER"), Row("mail", "INIT")], T0 + 1);
        Assert.That(e.Select(x => (x.Group.Name, x.Previous, x.Group.State)),
                    Is.EqualTo(new[] { ("mail", (string?)null, "INIT"), ("db", "BACKUP", StateWatch.Removed) }));
        Assert.That(watch.Changes([Row("web", "MASTER"), Row("mail", "INIT")], T0 + 2), Is.Empty);
        watch.Reset();
        Assert.That(watch.Changes([Row("web", "MASTER")], T0 + 3).Single().Previous, Is.Null, "after a reset, from nothing");
    }

    [Test]
    public void Text_is_one_line_with_words_for_awk_and_the_reason_last()
    {
        var e = new WatchEvent(Row("web", "BACKUP", master: null, inElection: false, reason: "demoted by ucarpctl"), "MASTER", T0);
        Assert.That(StateWatch.Text(e), Is.EqualTo("2026-05-28T20:26:40.123Z web MASTER -> BACKUP master=- health=none election=out reason=demoted by ucarpctl\n"));
        Assert.That(StateWatch.Text(new WatchEvent(Row("web", "MASTER"), null, T0)),
                    Is.EqualTo("2026-05-28T20:26:40.123Z web - -> MASTER master=192.0.2.1 health=none election=in\n"));
    }

    [Test]
    public void Json_is_one_object_a_line_with_statuss_fields_plus_time_and_previous()
    {
        string line = StateWatch.Json(new WatchEvent(Row("web", "MASTER"), "BACKUP", T0));
        Assert.That(line.IndexOf('\n'), Is.EqualTo(line.Length - 1));
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement r = doc.RootElement;
        Assert.That((r.GetProperty("time").GetString(), r.GetProperty("previous").GetString(), r.GetProperty("name").GetString(), r.GetProperty("state").GetString()),
                    Is.EqualTo(("2026-05-28T20:26:40.123Z", "BACKUP", "web", "MASTER")));
        var watch = new StateWatch();
        watch.Changes([Row("web", "MASTER")], T0);
        WatchEvent removed = watch.Changes([], T0 + 1).Single();   // a reload took it out of the file
        using JsonDocument gone = JsonDocument.Parse(StateWatch.Json(removed));
        Assert.That((gone.RootElement.GetProperty("state").GetString(), gone.RootElement.GetProperty("master").ValueKind,
                     gone.RootElement.GetProperty("in_election").GetBoolean()), Is.EqualTo(("REMOVED", JsonValueKind.Null, false)), "as the text line says");
        using JsonDocument status = JsonDocument.Parse(ControlStatus.Json([Row("web", "MASTER")]));
        Assert.That(r.EnumerateObject().Select(p => p.Name).Skip(2),
                    Is.EqualTo(status.RootElement.GetProperty("groups")[0].EnumerateObject().Select(p => p.Name)), "the same fields as status --json");
    }
}
