using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// -B with the etcd election: the daemon moves to / and its stdin becomes /dev/null, so a
/// relative --etcd-password-file, or /dev/stdin, must be read by the parent before it
/// detaches. Against a real etcd with authentication (user ucarp, password secret-pw).
/// </summary>
public class EtcdDetachTests : NamespaceTest
{
    const int A = 4, B = 5;

    [Test]
    public void A_detached_daemon_uses_a_relative_or_stdin_password_file_and_warns_about_a_readable_one()
    {
        if (!File.Exists(EtcdCluster.Etcd) || !File.Exists(EtcdCluster.Etcdctl))
        {
            Assert.Ignore("etcd-server and etcd-client are not installed (tests/install-deps.sh installs them)");
        }
        using var lan = new TestLan(5);
        var etcd = new EtcdCluster(lan, EtcdSecurity.Password);
        string file = etcd.PasswordFile("secret-pw");   // mode 644: others can read it
        string Common(int node, string vip) => $"-i eth0 -s {TestLan.Address(node)} -v 42 -p test -a {vip} -u {lan.UpScript} -d {lan.DownScript} -z -B"
                                               + $" --etcd={etcd.Endpoints} --etcd-user=ucarp";

        // Relative to where the command is typed.
        using (UcarpProcess parent = lan.StartRaw(A, "sh", "-c", $"cd {Path.GetDirectoryName(file)} && exec {Binaries.Clone} {Common(A, TestLan.Vip)} --etcd-password-file={Path.GetFileName(file)}"))
        {
            Assert.That(parent.WaitForExit(Long), Is.True, parent.Output);
            Assert.That(parent.ExitCode, Is.Zero, parent.Output);
            Assert.That(parent.Output, Does.Contain($"err: [WARNING] Password file [{file}] can be read by other users: make it mode 600"));
            Assert.That(parent.Output, Does.Contain("err: [WARNING] The etcd password goes to etcd in clear text over http://"));
            Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, "the detached daemon authenticated and holds the address\n" + lan.ScriptCalls.LastOrDefault());
        }

        // On the parent's stdin, a pipe: no warning (mode 600), and the daemon gets it all the same (another address, another node).
        const string Other = "192.0.2.101";
        using (UcarpProcess parent = lan.StartRaw(B, "sh", "-c", $"printf 'secret-pw\\n' | {Binaries.Clone} {Common(B, Other)} --etcd-password-file=/dev/stdin"))
        {
            Assert.That(parent.WaitForExit(Long), Is.True, parent.Output);
            Assert.That(parent.ExitCode, Is.Zero, parent.Output);
            Assert.That(parent.Output, Does.Not.Contain("can be read by other users"));
            Assert.That(Wait.Until(() => lan.Ip("-n", lan.Node(B), "-4", "addr", "show", "dev", "eth0").Contains(Other + "/", StringComparison.Ordinal), Long),
                        Is.True, "the detached daemon got the password from its parent");
        }
    }
}
