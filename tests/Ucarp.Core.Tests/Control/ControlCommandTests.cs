using Ucarp.Core.Control;

namespace Ucarp.Core.Tests.Control;

/// <summary>The grammar ucarpctl and the daemon share.</summary>
public class ControlCommandTests
{
    [TestCase("status", ControlVerb.Status, false, null)]
    [TestCase("status --json", ControlVerb.Status, true, null)]
    [TestCase("status web", ControlVerb.Status, false, "web")]
    [TestCase("status web --json", ControlVerb.Status, true, "web")]
    [TestCase("version", ControlVerb.Version, false, null)]
    [TestCase("demote web", ControlVerb.Demote, false, "web")]
    [TestCase("demote --all", ControlVerb.Demote, false, null)]
    [TestCase("promote db-1.eu_x", ControlVerb.Promote, false, "db-1.eu_x")]
    [TestCase("promote --all", ControlVerb.Promote, false, null)]
    [TestCase("reload", ControlVerb.Reload, false, null)]
    [TestCase("demote web --wait", ControlVerb.Demote, false, "web")]
    [TestCase("demote web --wait --json", ControlVerb.Demote, true, "web")]
    [TestCase("promote --all --json", ControlVerb.Promote, true, null)]
    [TestCase("reload --json", ControlVerb.Reload, true, null)]
    [TestCase("version --json", ControlVerb.Version, true, null)]
    [TestCase("demote --all --wait", ControlVerb.Demote, false, null)]
    [TestCase("watch", ControlVerb.Watch, false, null)]
    [TestCase("watch --json", ControlVerb.Watch, true, null)]
    public void Commands_parse_and_go_back_to_their_words(string line, ControlVerb verb, bool json, string? group)
    {
        bool wait = line.Contains(" --wait", StringComparison.Ordinal);
        string[] words = line.Split(' ');
        ControlCommand? command = ControlCommand.Parse(words, out string error);
        Assert.That(command, Is.EqualTo(new ControlCommand(verb, json, group, wait)), error);
        Assert.That(command!.Words(), Is.EqualTo(words));
    }

    [TestCase("", "no command given")]
    [TestCase("stat", "unknown command [stat]")]
    [TestCase("STATUS", "unknown command [STATUS]")]
    [TestCase("status --jsonx", "status takes a group name and --json, each at most once, not [--jsonx]")]
    [TestCase("status --json --json", "status takes a group name and --json, each at most once, not [--json]")]
    [TestCase("status web db", "status takes a group name and --json, each at most once, not [db]")]
    [TestCase("status a/b", "status takes a group name and --json, each at most once, not [a/b]")]
    [TestCase("version now", "version takes no argument but --json")]
    [TestCase("reload now", "reload takes no argument but --json")]
    [TestCase("watch web", "watch takes no argument but --json")]
    [TestCase("demote", "demote takes one group name or --all, and --wait, --json")]
    [TestCase("demote --wait", "demote takes one group name or --all, and --wait, --json")]
    [TestCase("demote web --wait --wait", "demote takes one group name or --all, and --wait, --json")]
    [TestCase("promote a b", "promote takes one group name or --all, and --json")]
    [TestCase("promote web --wait", "promote takes one group name or --all, and --json")]
    [TestCase("demote --al", "not a group name: [--al]")]
    [TestCase("demote -web", "not a group name: [-web]")]
    [TestCase("demote a/b", "not a group name: [a/b]")]
    [TestCase("demote 0123456789012345678901234567890123", "not a group name: [0123456789012345678901234567890123]")]
    public void Bad_commands_are_refused_with_a_reason(string line, string reason)
    {
        string[] words = line.Length == 0 ? [] : line.Split(' ');
        Assert.That(ControlCommand.Parse(words, out string error), Is.Null);
        Assert.That(error, Is.EqualTo(reason));
    }

    [Test]
    public void A_hostile_word_is_shown_short_and_without_control_characters()
    {
        Assert.That(ControlCommand.Parse([new string('x', 5000) + "\u001b[2J"], out string error), Is.Null);
        Assert.That(error, Is.EqualTo("unknown command [" + new string('x', 64) + "...]"));
        Assert.That(ControlCommand.Parse(["a\u001b[2Jb\n"], out error), Is.Null);
        Assert.That(error, Is.EqualTo("unknown command [a?[2Jb?]"));
    }

    [Test]
    public void Any_other_answer_as_json_is_its_exit_and_its_lines()
    {
        Assert.That(ControlStatus.Reply(1, "ucarp.conf:4: no group\nucarp.conf: the file is refused, \"every\" group keeps running\n"),
                    Is.EqualTo("{\"exit\":1,\"lines\":[\"ucarp.conf:4: no group\",\"ucarp.conf: the file is refused, \\\"every\\\" group keeps running\"]}\n"));
        Assert.That(ControlStatus.Reply(0, ""), Is.EqualTo("{\"exit\":0,\"lines\":[]}\n"));
    }
}
