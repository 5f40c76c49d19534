using Ucarp.Core.Keepalived;

namespace Ucarp.Core.Tests.Keepalived;

/// <summary>A script line as keepalived splits it, and the command /bin/sh -c runs with the same arguments.</summary>
public class KeepalivedScriptsTests
{
    static KeepalivedNode Statement(string raw) => new("script", [], raw, new KeepalivedSource("f", 1));

    [TestCase("script \"/usr/bin/pgrep -x nginx\"", "/usr/bin/pgrep -x nginx")]
    [TestCase("script /bin/check", "/bin/check")]
    [TestCase("script \"/bin/test -e '/run/it is up'\"", "/usr/bin/test -e '/run/it is up'")]
    [TestCase("script \"</dev/tcp/127.0.0.1/80\"", "</dev/tcp/127.0.0.1/80")]
    [TestCase("script \"/bin/echo a\\tb\"", "/bin/echo 'a\tb'")]
    [TestCase("script \"/bin/echo it\\'s\"", "/bin/echo 'it'\\''s'")]
    [TestCase("script \"/bin/echo \\x41\\101\"", "/bin/echo AA")]
    [TestCase("script '/bin/echo \"$HOME\"'", "/bin/echo '$HOME'")]
    public void A_script_becomes_the_command_sh_runs_with_its_arguments(string raw, string command)
    {
        (List<string> args, string? user) = KeepalivedScripts.Read(Statement(raw))!.Value;
        Assert.That(user, Is.Null);
        Assert.That(KeepalivedScripts.ShellCommand(args), Is.EqualTo(command.Replace("/usr/bin/test", "/bin/test", StringComparison.Ordinal)));
    }

    [Test]
    public void Words_after_the_script_name_its_user()
    {
        Assert.That(KeepalivedScripts.Read(Statement("notify_master \"/bin/x a\" nobody nogroup"))!.Value.User, Is.EqualTo("nobody nogroup"));
    }

    [TestCase("script \"/bin/x 'a\"")]
    [TestCase("script")]
    [TestCase("script \"/bin/x \\")]
    public void A_script_that_cannot_be_split_is_null(string raw) => Assert.That(KeepalivedScripts.Read(Statement(raw)), Is.Null);
}
