using Ucarp.Core.Cli;

namespace Ucarp.Core.Tests.Cli;

/// <summary>--etcd and its companions: values, and clear errors with status 1.</summary>
public class EtcdOptionsTests
{
    static readonly string[] Required = ["-i", "eth0", "-s", "192.0.2.11", "-v", "1", "-p", "pw", "-a", "192.0.2.100"];

    static (int Exit, Configuration? Config, List<string> Transcript) Run(params string[] args) => CliRun.Run(Required, args);

    [Test]
    public void Endpoints_prefix_and_key()
    {
        var (exit, c, _) = Run("--etcd=http://192.0.2.1:2379,http://etcd2.example,http://[2001:db8::3]:12379/", "--etcd-prefix=/vips/");
        Assert.That(exit, Is.Zero);
        Assert.That(c!.EtcdEndpoints.Select(e => e.ToString()),
                    Is.EqualTo(new[] { "http://192.0.2.1:2379", "http://etcd2.example:2379", "http://[2001:db8::3]:12379" }));
        Assert.That(c.EtcdPrefix, Is.EqualTo("/vips"));
        Assert.That(EtcdOptions.Key(c), Is.EqualTo("/vips/192.0.2.100"));
    }

    [Test]
    public void Defaults_without_etcd_change_nothing()
    {
        var (exit, c, _) = Run();
        Assert.That(exit, Is.Zero);
        Assert.That(c!.EtcdEndpoints, Is.Empty);
        Assert.That(EtcdOptions.Key(c), Is.EqualTo("/ucarp/192.0.2.100"));
    }

    [Test]
    public void The_key_uses_the_canonical_ipv6_text()
    {
        var host = new RecordingCliHost();
        CliOutcome o = CommandLine.Parse("ucarp", ["-i", "eth0", "-s", "2001:db8::11", "-v", "1", "-p", "pw", "-a", "2001:DB8:0::100",
                                                   "--etcd=http://192.0.2.1"], false, host);
        Assert.That(CommandLine.Validate(o.Configuration!, host, () => "eth0"), Is.Zero);
        Assert.That(EtcdOptions.Key(o.Configuration!), Is.EqualTo("/ucarp/2001:db8::100"));
    }

    [TestCase("--etcd=192.0.2.1:2379", "--etcd needs http:// or https:// URLs separated by commas: [192.0.2.1:2379]")]
    [TestCase("--etcd=ftp://192.0.2.1", "--etcd needs http:// or https:// URLs separated by commas: [ftp://192.0.2.1]")]
    [TestCase("--etcd=http://192.0.2.1:0", "--etcd needs http:// or https:// URLs separated by commas: [http://192.0.2.1:0]")]
    [TestCase("--etcd=http://192.0.2.1:2379/v3", "--etcd needs http:// or https:// URLs separated by commas: [http://192.0.2.1:2379/v3]")]
    [TestCase("--etcd=http://user@192.0.2.1", "--etcd needs http:// or https:// URLs separated by commas: [http://user@192.0.2.1]")]
    [TestCase("--etcd=http://192.0.2.1,", "--etcd needs http:// or https:// URLs separated by commas: []")]
    [TestCase("--etcd=http://[2001:db8::1", "--etcd needs http:// or https:// URLs separated by commas: [http://[2001:db8::1]")]
    [TestCase("--etcd-prefix=ucarp", "--etcd-prefix must start with / and name something: [ucarp]")]
    [TestCase("--etcd-prefix=/", "--etcd-prefix must start with / and name something: [/]")]
    [TestCase("--etcd-ttl=0", "--etcd-ttl must be a number of seconds from 1 to 3600: [0]")]
    [TestCase("--etcd-ttl=3601", "--etcd-ttl must be a number of seconds from 1 to 3600: [3601]")]
    [TestCase("--etcd-ttl=-3", "--etcd-ttl must be a number of seconds from 1 to 3600: [-3]")]
    [TestCase("--etcd-ttl=4s", "--etcd-ttl must be a number of seconds from 1 to 3600: [4s]")]
    [TestCase("--etcd-ttl=", "--etcd-ttl must be a number of seconds from 1 to 3600: []")]
    public void Bad_values_are_refused_with_status_1(string option, string message)
    {
        var (exit, _, transcript) = Run(option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript, Does.Contain("err: [ERROR] " + message));
    }

    [TestCase("--etcd-prefix=/x", "--etcd-prefix, --etcd-cacert, --etcd-cert, --etcd-key, --etcd-user, --etcd-password-file and --etcd-ttl need --etcd")]
    [TestCase("--etcd-ttl=5", "--etcd-prefix, --etcd-cacert, --etcd-cert, --etcd-key, --etcd-user, --etcd-password-file and --etcd-ttl need --etcd")]
    [TestCase("--etcd-user=u", "--etcd-prefix, --etcd-cacert, --etcd-cert, --etcd-key, --etcd-user, --etcd-password-file and --etcd-ttl need --etcd")]
    public void Companions_need_etcd(string option, string message)
    {
        var (exit, _, transcript) = Run(option);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo("err: [ERROR] " + message));
    }

    [TestCase(new[] { "--etcd=http://192.0.2.1", "--peer=192.0.2.12" }, "--etcd cannot be used with --peer, -M/--nomcast or -m/--mcast: etcd decides, no adverts are sent")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "-M" }, "--etcd cannot be used with --peer, -M/--nomcast or -m/--mcast: etcd decides, no adverts are sent")]
    [TestCase(new[] { "--etcd=http://192.0.2.1,https://192.0.2.2" }, "--etcd endpoints must all be http:// or all https://")]
    [TestCase(new[] { "--etcd=https://192.0.2.1", "--etcd-cert=/c.pem" }, "--etcd-cert and --etcd-key go together")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--etcd-cacert=/ca.pem" }, "--etcd-cacert and --etcd-cert need https:// endpoints")]
    [TestCase(new[] { "--etcd=http://192.0.2.1", "--etcd-user=ucarp" }, "--etcd-user and --etcd-password-file go together (the password is never given on the command line)")]
    public void Combinations_that_cannot_work_are_refused(string[] options, string message)
    {
        var (exit, _, transcript) = Run(options);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(transcript.Last(), Is.EqualTo("err: [ERROR] " + message));
    }

    [Test]
    public void Tls_and_user_options_are_taken()
    {
        var (exit, c, _) = Run("--etcd=https://192.0.2.1:2379", "--etcd-cacert=/ca.pem", "--etcd-cert=/c.pem", "--etcd-key=/k.pem",
                               "--etcd-user=ucarp", "--etcd-password-file=/pw");
        Assert.That(exit, Is.Zero);
        Assert.That((c!.EtcdCaCert, c.EtcdCert, c.EtcdKey, c.EtcdUser, c.EtcdPasswordFile), Is.EqualTo(("/ca.pem", "/c.pem", "/k.pem", "ucarp", "/pw")));
    }

    /// <summary>A password sent over http:// is readable on the wire: one warning at start, none over https://.</summary>
    [TestCase("http://192.0.2.1:2379", 1)]
    [TestCase("https://192.0.2.1:2379", 0)]
    public void A_password_over_http_is_warned_about_once(string endpoint, int warnings)
    {
        var (exit, _, transcript) = Run("--etcd=" + endpoint, "--etcd-user=ucarp", "--etcd-password-file=/pw");
        Assert.That(exit, Is.Zero);
        Assert.That(transcript.Count(l => l == "err: [WARNING] The etcd password goes to etcd in clear text over http://: use https:// endpoints"),
                    Is.EqualTo(warnings), string.Join("\n", transcript));
    }

    [Test]
    public void Without_a_user_http_is_not_warned_about()
    {
        var (exit, _, transcript) = Run("--etcd=http://192.0.2.1:2379");
        Assert.That(exit, Is.Zero);
        Assert.That(transcript.Any(l => l.Contains("clear text", StringComparison.Ordinal)), Is.False);
    }

    /// <summary>
    /// The lease's TTL: advbase x deadratio, but at least 5 s (an election at etcd's default
    /// timeouts must pass between a holder's last answered renewal and its fence), unless
    /// --etcd-ttl gives it.
    /// </summary>
    [TestCase(new string[0], 5)]
    [TestCase(new[] { "-b", "2" }, 6)]
    [TestCase(new[] { "-r", "10" }, 10)]
    [TestCase(new[] { "--etcd-ttl=3" }, 3)]
    [TestCase(new[] { "--etcd-ttl=3", "-b", "4" }, 3)]
    [TestCase(new[] { "--etcd-ttl=3600" }, 3600)]
    public void The_lease_ttl_is_at_least_5_s_unless_given(string[] options, int ttl)
    {
        var (exit, c, _) = Run(["--etcd=http://192.0.2.1:2379", .. options]);
        Assert.That(exit, Is.Zero);
        Assert.That(EtcdOptions.Ttl(c!), Is.EqualTo(ttl));
    }
}
