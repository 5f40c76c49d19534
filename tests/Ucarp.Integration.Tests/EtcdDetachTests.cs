using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// -B with the etcd election: the daemon moves to / and its stdin becomes /dev/null, so a
/// relative --etcd-password-file, or /dev/stdin, must be read by the parent before it
/// detaches. Against a real etcd with authentication (user ucarp, password secret-pw).
/// </summary>
public class EtcdDetachTests : NamespaceTest
{
    const int A = 4;

    /// <summary>
    /// relative: a file named relative to where the command is typed, mode 644 (warned about);
    /// stdin: the password on the parent's stdin, a pipe (mode 600: no warning).
    /// </summary>
    [TestCase("relative")]
    [TestCase("stdin")]
    public void A_detached_daemon_authenticates_with_a_password_file_only_its_parent_can_read(string how)
    {
        if (!File.Exists(EtcdCluster.Etcd) || !File.Exists(EtcdCluster.Etcdctl))
        {
            Assert.Ignore("etcd-server and etcd-client are not installed (tests/install-deps.sh installs them)");
        }
        using var lan = new TestLan(A);
        var etcd = new EtcdCluster(lan, EtcdSecurity.Password);
        string file = etcd.PasswordFile("secret-pw");
        string ucarp = $"{Binaries.Clone} -i eth0 -s {TestLan.Address(A)} -v 42 -p test -a {TestLan.Vip} -u {lan.UpScript} -d {lan.DownScript}"
                       + $" -z -B --etcd={etcd.Endpoints} --etcd-user=ucarp";
        string command = how == "relative"
            ? $"cd {Path.GetDirectoryName(file)} && exec {ucarp} --etcd-password-file={Path.GetFileName(file)}"
            : $"printf 'secret-pw\\n' | {ucarp} --etcd-password-file=/dev/stdin";

        using UcarpProcess parent = lan.StartRaw(A, "sh", "-c", command);
        Assert.That(parent.WaitForExit(Long), Is.True, parent.Output);
        Assert.That(parent.ExitCode, Is.Zero, parent.Output);
        Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, "the detached daemon authenticated to etcd and holds the address");
        Assert.That(parent.Output, Does.Contain("err: [WARNING] The etcd password goes to etcd in clear text over http://"));
        Assert.That(parent.Count("can be read by other users"), Is.EqualTo(how == "relative" ? 1 : 0), parent.Output);
        if (how == "relative")
        {
            Assert.That(parent.Output, Does.Contain($"err: [WARNING] Password file [{file}] can be read by other users: make it mode 600"));
        }
    }

    /// <summary>
    /// TLS files named relative to where the command is typed still work once -B has moved the
    /// daemon to /; a private key others can read is warned about, one that they cannot is not.
    /// </summary>
    [TestCase(0b110_000_000)]
    [TestCase(0b110_100_100)]
    public void A_detached_daemon_finds_relative_tls_files_and_warns_about_a_readable_key(int keyMode)
    {
        if (!File.Exists(EtcdCluster.Etcd) || !File.Exists(EtcdCluster.Etcdctl))
        {
            Assert.Ignore("etcd-server and etcd-client are not installed (tests/install-deps.sh installs them)");
        }
        using var lan = new TestLan(A);
        var etcd = new EtcdCluster(lan, EtcdSecurity.Tls);
        File.SetUnixFileMode(etcd.Pki!.ClientKey, (UnixFileMode)keyMode);
        string command = $"cd {Path.GetDirectoryName(etcd.Pki.Ca)} && exec {Binaries.Clone} -i eth0 -s {TestLan.Address(A)} -v 42 -p test -a {TestLan.Vip}"
                         + $" -u {lan.UpScript} -d {lan.DownScript} -z -B --etcd={etcd.Endpoints} --etcd-cacert={Path.GetFileName(etcd.Pki.Ca)}"
                         + $" --etcd-cert={Path.GetFileName(etcd.Pki.ClientCert)} --etcd-key={Path.GetFileName(etcd.Pki.ClientKey)}";

        using UcarpProcess parent = lan.StartRaw(A, "sh", "-c", command);
        Assert.That(parent.WaitForExit(Long), Is.True, parent.Output);
        Assert.That(parent.ExitCode, Is.Zero, parent.Output);
        Assert.That(Wait.Until(() => lan.HoldsVip(A), Long), Is.True, "the detached daemon reached etcd over TLS and holds the address");
        string warning = $"err: [WARNING] Key file [{etcd.Pki.ClientKey}] can be read by other users: make it mode 600";
        Assert.That(parent.Count(warning), Is.EqualTo(keyMode == 0b110_000_000 ? 0 : 1), parent.Output);
    }
}
