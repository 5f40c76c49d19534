using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>`make install`/`make uninstall` into a DESTDIR, and the Debian package's contents.</summary>
[Category("Packaging")]
public class PackagingTests
{
    [SetUp]
    public void Require()
    {
        if (!File.Exists(Binaries.Clone))
        {
            Assert.Ignore($"the clone is not built at {Binaries.Clone}: run `make` first");
        }
    }

    static string Make(params string[] args) => Shell.Run("make", ["-C", Binaries.Repository, "--no-print-directory", .. args]);

    /// <summary>The bash completion offers the commands, each command's options, and the daemon's group names (asked of it).</summary>
    [Test]
    public void The_bash_completion_offers_commands_options_and_the_daemons_groups()
    {
        string script = Path.Combine(Binaries.Repository, "scripts/bash-completion/ucarpctl");
        string dir = Directory.CreateTempSubdirectory("ucarpnet-completion-").FullName;
        try
        {
            // A stand-in ucarpctl on PATH answers status as the daemon would.
            File.WriteAllText(Path.Combine(dir, "ucarpctl"), "#!/bin/sh\nprintf 'NAME INTERFACE\\nweb eth0\\ndb eth0\\n'\n");
            File.SetUnixFileMode(Path.Combine(dir, "ucarpctl"), (UnixFileMode)0b111_101_101);
            string Complete(string line)
            {
                string[] words = line.Split(' ');
                string program = $"PATH={dir}:$PATH; source {script}; COMP_WORDS=({string.Join(' ', words.Select(w => "'" + w + "'"))}); "
                                 + $"COMP_CWORD={words.Length - 1}; _ucarpctl; echo \"${{COMPREPLY[*]}}\"";
                return Shell.Run("bash", "-c", program).Trim();
            }
            Assert.That(Complete("ucarpctl "), Is.EqualTo("status demote promote reload version watch"));
            Assert.That(Complete("ucarpctl de"), Is.EqualTo("demote"));
            Assert.That(Complete("ucarpctl demote "), Is.EqualTo("--all --wait --json web db"));
            Assert.That(Complete("ucarpctl --control=/run/x.sock status w"), Is.EqualTo("web"));
            Assert.That(Complete("ucarpctl reload "), Is.EqualTo("--json"));
            Assert.That(Complete("ucarpctl --v"), Is.EqualTo("--version"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Install_honours_prefix_and_destdir_and_uninstall_removes_it_all()
    {
        string dest = Directory.CreateTempSubdirectory("ucarpnet-install-").FullName;
        try
        {
            Make("install", $"DESTDIR={dest}", "PREFIX=/opt/ucarp");
            string root = Path.Combine(dest, "opt/ucarp");
            string[] files = [.. Directory.GetFiles(dest, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];
            Assert.That(files, Is.EqualTo(new[]
            {
                "lib/systemd/system/ucarp.service",
                "lib/systemd/system/ucarp@.service",
                "sbin/ucarp",
                "sbin/ucarpctl",
                "share/bash-completion/completions/ucarpctl",
                "share/doc/ucarp/benchmarks.md",
                "share/doc/ucarp/design.md",
                "share/doc/ucarp/examples/ucarp.conf",
                "share/doc/ucarp/testing.md",
                "share/man/man5/ucarp.conf.5",
                "share/man/man8/ucarp.8",
                "share/man/man8/ucarpctl.8",
                "share/ucarp/examples/if-down.d-ucarp",
                "share/ucarp/examples/if-up.d-ucarp",
                "share/ucarp/examples/ucarp@.service.d-order.conf",
                "share/ucarp/examples/ucarp@NAME.conf",
                "share/ucarp/vip-addr-down",
                "share/ucarp/vip-addr-up",
                "share/ucarp/vip-down",
                "share/ucarp/vip-up",
            }));
            Assert.That(File.GetUnixFileMode(Path.Combine(root, "sbin/ucarp")), Is.EqualTo((UnixFileMode)0b111_101_101));
            Assert.That(File.GetUnixFileMode(Path.Combine(root, "sbin/ucarpctl")), Is.EqualTo((UnixFileMode)0b111_101_101));
            Assert.That(File.GetUnixFileMode(Path.Combine(root, "share/man/man8/ucarp.8")), Is.EqualTo((UnixFileMode)0b110_100_100));
            Assert.That(File.ReadAllText(Path.Combine(root, "lib/systemd/system/ucarp@.service")), Does.Contain("ExecStart=/opt/ucarp/sbin/ucarp -i"));
            Assert.That(File.ReadAllText(Path.Combine(root, "share/ucarp/examples/ucarp@NAME.conf")), Does.Contain("UPSCRIPT=/opt/ucarp/share/ucarp/vip-addr-up"));
            Assert.That(File.ReadAllText(Path.Combine(root, "share/ucarp/examples/if-up.d-ucarp")), Does.Contain("UCARP=/opt/ucarp/sbin/ucarp"));
            // The one-daemon unit checks the file before starting; a reload waits for the daemon's answer.
            Assert.That(File.ReadAllText(Path.Combine(root, "lib/systemd/system/ucarp.service")),
                        Does.Contain("EnvironmentFile=-/etc/default/ucarp\n")
                            .And.Contain("ExecStartPre=/opt/ucarp/sbin/ucarp --config=/etc/ucarp/ucarp.conf --check-config $DAEMON_ARGS\n")
                            .And.Contain("ExecStart=/opt/ucarp/sbin/ucarp --config=/etc/ucarp/ucarp.conf $DAEMON_ARGS\n")
                            .And.Contain("ExecReload=/opt/ucarp/sbin/ucarpctl reload\n"));
            Assert.That(File.ReadAllText(Path.Combine(root, "share/doc/ucarp/examples/ucarp.conf")),
                        Does.Contain("--upscript=/opt/ucarp/share/ucarp/vip-addr-up"));
            Assert.That(File.GetUnixFileMode(Path.Combine(root, "lib/systemd/system/ucarp.service")), Is.EqualTo((UnixFileMode)0b110_100_100));

            Make("uninstall", $"DESTDIR={dest}", "PREFIX=/opt/ucarp");
            Assert.That(Directory.GetFiles(dest, "*", SearchOption.AllDirectories), Is.Empty);
        }
        finally
        {
            Directory.Delete(dest, true);
        }
    }

    [Test]
    public void The_debian_package_replaces_ucarp_and_holds_its_files()
    {
        if (!File.Exists("/usr/bin/dpkg-deb"))
        {
            Assert.Ignore("dpkg-deb is not installed");
        }
        string outDir = Directory.CreateTempSubdirectory("ucarpnet-deb-").FullName;
        try
        {
            string deb = Shell.Run(Path.Combine(Binaries.Repository, "scripts/debian/build-deb.sh"), Binaries.Clone, "0.1.0", outDir).Trim();
            string Field(string name) => Shell.Run("dpkg-deb", "-f", deb, name).Trim();
            Assert.Multiple(() =>
            {
                Assert.That(Field("Package"), Is.EqualTo("ucarp-net"));
                Assert.That(Field("Provides"), Is.EqualTo("ucarp (= 1.5.2)"));
                Assert.That(Field("Conflicts"), Is.EqualTo("ucarp"));
                Assert.That(Field("Replaces"), Is.EqualTo("ucarp"));
                // The C library only: HMAC-SHA1 is BouncyCastle's, randomness the kernel's.
                Assert.That(Field("Depends"), Does.Contain("libc6").And.Not.Contain("libssl"));
            });

            var contents = Shell.Run("dpkg-deb", "-c", deb).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .ToDictionary(f => f[^1].TrimStart('.'), f => (Mode: f[0], Owner: f[1]));
            foreach (string path in new[] { "/usr/sbin/ucarp", "/usr/sbin/ucarpctl", "/etc/network/if-up.d/ucarp", "/etc/network/if-down.d/ucarp",
                                            "/usr/share/ucarp/vip-up", "/usr/share/ucarp/vip-down" })
            {
                Assert.That(contents[path].Mode, Is.EqualTo("-rwxr-xr-x"), path);
            }
            foreach (string path in new[] { "/usr/share/man/man8/ucarp.8.gz", "/usr/share/man/man8/ucarpctl.8.gz", "/usr/share/man/man5/ucarp.conf.5.gz",
                                            "/lib/systemd/system/ucarp@.service",
                                            "/lib/systemd/system/ucarp.service", "/usr/share/doc/ucarp-net/examples/ucarp.conf",
                                            "/usr/share/doc/ucarp-net/copyright", "/usr/share/doc/ucarp-net/changelog.Debian.gz",
                                            "/usr/share/bash-completion/completions/ucarpctl" })
            {
                Assert.That(contents.ContainsKey(path), Is.True, path);
                Assert.That(contents[path].Mode, Is.EqualTo("-rw-r--r--"), path);
            }
            // The package ships the files as they are in the repository (no PREFIX to follow).
            string Packaged(string path) => Shell.Run("sh", "-c", $"dpkg-deb --fsys-tarfile '{deb}' | tar -xOf - '.{path}'");
            Assert.That(Packaged("/lib/systemd/system/ucarp.service"),
                        Is.EqualTo(File.ReadAllText(Path.Combine(Binaries.Repository, "scripts/systemd/ucarp.service"))));
            Assert.That(Packaged("/usr/share/doc/ucarp-net/examples/ucarp.conf"),
                        Is.EqualTo(File.ReadAllText(Path.Combine(Binaries.Repository, "examples/ucarp.conf"))));
            Assert.That(contents.Values.All(v => v.Owner == "root/root"), Is.True);
            Assert.That(Shell.Run("dpkg-deb", "-I", deb, "conffiles").Split('\n', StringSplitOptions.RemoveEmptyEntries),
                        Is.EquivalentTo(new[] { "/etc/network/if-up.d/ucarp", "/etc/network/if-down.d/ucarp" }));

            if (File.Exists("/usr/bin/lintian"))
            {
                string report = Shell.RunAllowingFailure("lintian", ["--tag-display-limit", "0", deb], out _);
                Assert.That(report.Split('\n').Where(l => l.StartsWith("E:", StringComparison.Ordinal)), Is.Empty, report);
            }
        }
        finally
        {
            Directory.Delete(outDir, true);
        }
    }
}
