using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Tests.Config;

namespace Ucarp.Core.Tests.Cli;

/// <summary>--follow-key and --follow-value: taken with --etcd and its TLS and credentials; what makes no sense without an election is refused with status 1.</summary>
public class FollowOptionsTests
{
    static readonly string[] Required = ["-i", "eth0", "-s", "192.0.2.11", "-v", "1", "-p", "pw", "-a", "192.0.2.100"];

    static (int Exit, Configuration? Config, List<string> Transcript) Run(params string[] args) => CliRun.Run(Required, args);

    [Test]
    public void The_key_and_value_are_taken_and_the_value_defaults_to_none_given()
    {
        var (exit, c, _) = Run("--etcd=https://192.0.2.1:2379", "--etcd-cacert=/ca.pem", "--etcd-user=u", "--etcd-password-file=/pw",
                               "--follow-key=/service/pg/leader", "--follow-value=pg 1");
        Assert.That(exit, Is.Zero);
        Assert.That((c!.FollowKey, c.FollowValue, c.EtcdUser), Is.EqualTo(("/service/pg/leader", "pg 1", "u")));
        (exit, c, _) = Run("--etcd=http://192.0.2.1", "--follow-key=/k");
        Assert.That(exit, Is.Zero);
        Assert.That(c!.FollowValue, Is.Null, "the daemon puts the host name in");
    }

    [TestCase(new[] { "--follow-key=/k" }, "--follow-key needs --etcd: the key is read from etcd")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--follow-value=pg1" }, "--follow-value needs --follow-key")]
    [TestCase(new[] { "--follow-value=pg1" }, "--follow-value needs --follow-key")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--follow-key=/k", "-P" },
              "--follow-key cannot be used with -P/--preempt: the key decides who holds, there is no election")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--follow-key=/k", "--check=true", "--check-weight=50" },
              "--follow-key cannot be used with --check-weight: the key decides who holds, there is no election")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--follow-key=" }, "--follow-key needs a non-empty argument")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--follow-key=/k", "--follow-value=" }, "--follow-value needs a non-empty argument")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--follow-key=/k", "--peer=192.0.2.12" },
              "--etcd cannot be used with --peer, -M/--nomcast or -m/--mcast: etcd decides, no adverts are sent")]
    public void What_cannot_work_is_refused_with_status_1(string[] options, string message)
    {
        var (exit, _, transcript) = Run(options);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo("err: [ERROR] " + message));
    }

    [Test]
    public void A_config_file_group_and_defaults_take_them_and_a_reload_sees_a_change()
    {
        const string Defaults = "defaults -i eth0 -s 192.0.2.1 -p pw -u /up -d /down --etcd=http://192.0.2.9 --follow-key=/service/pg/leader\n";
        ConfigReadResult result = ConfigReaderTests.Read(Defaults + "group pg -v 1 -a 192.0.2.10 --follow-value=pg1\ngroup pg2 -v 1 -a 192.0.2.11\n");
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(result.Groups.Select(g => (g.Settings.FollowKey, g.Settings.FollowValue)),
                    Is.EqualTo(new[] { ("/service/pg/leader", "pg1"), ("/service/pg/leader", (string?)null) }));
        ConfigReadResult other = ConfigReaderTests.Read(Defaults + "group pg -v 1 -a 192.0.2.10 --follow-value=pg2\n");
        Assert.That(ReloadDiff.Differences(result.Groups[0], other.Groups[0]), Has.Some.StartsWith("--follow-value"));
        ConfigReadResult refused = ConfigReaderTests.Read(Defaults + "group pg -v 1 -a 192.0.2.10 -P\n");
        Assert.That(refused.Diagnostics.Single().Format("F"),
                    Is.EqualTo("F:2: --follow-key cannot be used with -P/--preempt: the key decides who holds, there is no election"));
    }
}
