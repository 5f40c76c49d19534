using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// `make install`/`make uninstall` into a DESTDIR; the Debian package (`make deb`): its
/// contents, its maintainer scripts, and apt installing, upgrading and purging it; the
/// systemd units' sandbox, and the daemon running under it.
/// </summary>
[Category("Packaging")]
[Order(3)]   // the package build and the apt round (two minutes in one worker): started early
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
                            .And.Contain("ExecStart=/opt/ucarp/sbin/ucarp --config=/etc/ucarp/ucarp.conf --demotion-file=/var/lib/ucarp/demoted $DAEMON_ARGS\n")
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

    /// <summary>`make deb` (debhelper), once per run: build/ucarp-net_VERSION_ARCH.deb.</summary>
    static string BuiltPackage()
    {
        if (_package is null)
        {
            if (!File.Exists("/usr/bin/dpkg-buildpackage") || !File.Exists("/usr/bin/dh"))
            {
                Assert.Ignore("dpkg-dev or debhelper is not installed (tests/install-deps.sh installs them)");
            }
            string output = Make("deb");
            // The path is the line make prints last on stdout (dpkg-buildpackage's progress is on stderr).
            _package = Path.Combine(Binaries.Repository, output.Split('\n').Last(l => l.StartsWith("build/ucarp-net_", StringComparison.Ordinal)).Trim());
            Assert.That(File.Exists(_package), Is.True, output);
        }
        return _package;
    }

    static string? _package;

    [Test]
    public void The_debian_package_replaces_ucarp_and_holds_its_files()
    {
        string deb = BuiltPackage();
        string version = Shell.Run("dpkg-parsechangelog", "-l", Path.Combine(Binaries.Repository, "debian/changelog"), "-S", "Version").Trim();
        Assert.That(Path.GetFileName(deb), Is.EqualTo($"ucarp-net_{version}_{Shell.Run("dpkg", "--print-architecture").Trim()}.deb"));
        string Field(string name) => Shell.Run("dpkg-deb", "-f", deb, name).Trim();
        Assert.Multiple(() =>
        {
            Assert.That(Field("Package"), Is.EqualTo("ucarp-net"));
            Assert.That(Field("Version"), Does.StartWith("0.1.0-"));
            Assert.That(Field("Provides"), Is.EqualTo("ucarp (= 1.5.2)"));
            Assert.That(Field("Conflicts"), Is.EqualTo("ucarp"));
            Assert.That(Field("Replaces"), Is.EqualTo("ucarp"));
            Assert.That(Field("Homepage"), Is.EqualTo("https://github.com/ucarp-net/ucarp-net"));
            // The C library only: HMAC-SHA1 is our own, randomness the kernel's.
            Assert.That(Field("Depends"), Does.Contain("libc6").And.Not.Contain("libssl"));
        });

        var contents = Shell.Run("dpkg-deb", "-c", deb).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(f => f[^1].TrimStart('.'), f => (Mode: f[0], Owner: f[1]));
        foreach (string path in new[] { "/usr/sbin/ucarp", "/usr/sbin/ucarpctl", "/etc/network/if-up.d/ucarp", "/etc/network/if-down.d/ucarp",
                                        "/usr/share/ucarp/vip-up", "/usr/share/ucarp/vip-down", "/usr/share/ucarp/vip-addr-up",
                                        "/usr/share/ucarp/vip-addr-down" })
        {
            Assert.That(contents.ContainsKey(path), Is.True, path);
            Assert.That(contents[path].Mode, Is.EqualTo("-rwxr-xr-x"), path);
        }
        foreach (string path in new[] { "/usr/share/man/man8/ucarp.8.gz", "/usr/share/man/man8/ucarpctl.8.gz", "/usr/share/man/man5/ucarp.conf.5.gz",
                                        "/usr/share/doc/ucarp-net/design.md.gz", "/usr/lib/systemd/system/ucarp@.service",
                                        "/usr/lib/systemd/system/ucarp.service", "/usr/share/doc/ucarp-net/examples/ucarp.conf",
                                        "/usr/share/doc/ucarp-net/copyright", "/usr/share/doc/ucarp-net/changelog.Debian.gz",
                                        "/usr/share/bash-completion/completions/ucarpctl", "/usr/share/ucarp/examples/ucarp@NAME.conf",
                                        "/usr/share/ucarp/examples/ucarp@.service.d-order.conf" })
        {
            Assert.That(contents.ContainsKey(path), Is.True, path);
            Assert.That(contents[path].Mode, Is.EqualTo("-rw-r--r--"), path);
        }
        // Units under /usr/lib only: nothing under /lib, which is a link to usr/lib.
        Assert.That(contents.Keys.Where(k => k.StartsWith("/lib/", StringComparison.Ordinal)), Is.Empty);
        // The package ships the files as they are in the repository (no PREFIX to follow).
        string Packaged(string path) => Shell.Run("sh", "-c", $"dpkg-deb --fsys-tarfile '{deb}' | tar -xOf - '.{path}'");
        Assert.That(Packaged("/usr/lib/systemd/system/ucarp.service"),
                    Is.EqualTo(File.ReadAllText(Path.Combine(Binaries.Repository, "scripts/systemd/ucarp.service"))));
        Assert.That(Packaged("/usr/lib/systemd/system/ucarp@.service"),
                    Is.EqualTo(File.ReadAllText(Path.Combine(Binaries.Repository, "scripts/systemd/ucarp@.service"))));
        Assert.That(Packaged("/usr/share/doc/ucarp-net/examples/ucarp.conf"),
                    Is.EqualTo(File.ReadAllText(Path.Combine(Binaries.Repository, "examples/ucarp.conf"))));
        Assert.That(Packaged("/etc/network/if-up.d/ucarp"),
                    Is.EqualTo(File.ReadAllText(Path.Combine(Binaries.Repository, "scripts/debian/if-up.d-ucarp"))));
        // The copyright file names UCARP's and OpenBSD carp's authors, whose terms apply.
        Assert.That(Packaged("/usr/share/doc/ucarp-net/copyright"),
                    Does.Contain("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
                        .And.Contain("2004-2015 Frank Denis (UCARP)").And.Contain("2002 Michael Shalayeff (OpenBSD carp)")
                        .And.Contain("2003 Ryan McBride (OpenBSD carp)").And.Contain("License: BSD-2-clause"));
        Assert.That(contents.Values.All(v => v.Owner == "root/root"), Is.True);
        Assert.That(Shell.Run("dpkg-deb", "-I", deb, "conffiles").Split('\n', StringSplitOptions.RemoveEmptyEntries),
                    Is.EquivalentTo(new[] { "/etc/network/if-up.d/ucarp", "/etc/network/if-down.d/ucarp" }));

        // Maintainer scripts: daemon-reload on configure; nothing enabled, started or
        // restarted; the units stopped on removal only; the state directory gone on purge.
        string postinst = Shell.Run("dpkg-deb", "-I", deb, "postinst");
        string prerm = Shell.Run("dpkg-deb", "-I", deb, "prerm");
        string postrm = Shell.Run("dpkg-deb", "-I", deb, "postrm");
        Assert.That(postinst, Does.Contain("systemctl --system daemon-reload"));
        // dh_installsystemd --no-enable: ucarp.service is enabled again only if it was before (an upgrade keeps the admin's choice).
        Assert.That(postinst, Does.Not.Contain("deb-systemd-invoke").And.Not.Contain("try-restart")
                                  .And.Contain("if deb-systemd-helper --quiet was-enabled 'ucarp.service'; then"));
        Assert.That(Shell.RunAllowingFailure("dpkg-deb", ["-I", deb, "preinst"], out _), Does.Not.Contain("stop"));
        Assert.That(prerm, Does.Contain("\"$1\" = remove").And.Contain("deb-systemd-invoke stop"));
        Assert.That(postrm, Does.Contain("rm -rf /var/lib/ucarp").And.Contain("deb-systemd-helper purge 'ucarp.service'"));

        if (File.Exists("/usr/bin/lintian"))
        {
            // Errors, warnings and info tags alike (the overrides carry their reasons).
            string report = Shell.RunAllowingFailure("lintian", ["-I", "--tag-display-limit", "0", deb], out _);
            Assert.That(report.Split('\n').Where(l => l.Length > 1 && l[1] == ':' && "EWI".Contains(l[0])), Is.Empty, report);
        }
    }

    /// <summary>The units' sandbox: the lines the daemon is known to run under (see The_daemon_runs_under_the_units_sandbox).</summary>
    [TestCase("ucarp.service")]
    [TestCase("ucarp@.service")]
    public void The_units_run_the_daemon_in_a_sandbox(string unit)
    {
        string text = File.ReadAllText(Path.Combine(Binaries.Repository, "scripts/systemd", unit));
        string[] lines = text.Split('\n');
        foreach (string line in new[]
                 {
                     "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_NICE CAP_IPC_LOCK", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes",
                     "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "ProtectControlGroups=yes", "ProtectClock=yes",
                     "ProtectHostname=yes", "PrivateMounts=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET",
                     "RestrictNamespaces=yes", "RestrictSUIDSGID=yes", "LockPersonality=yes", "MemoryDenyWriteExecute=yes",
                     "SystemCallArchitectures=native", "SystemCallFilter=@system-service",
                     "SystemCallErrorNumber=EPERM", "RuntimeDirectory=ucarp", "RuntimeDirectoryPreserve=yes", "StateDirectory=ucarp",
                 })
        {
            Assert.That(lines, Does.Contain(line), unit);
        }
        // The comment tells that scripts run in the sandbox, and shows the drop-in that loosens it.
        Assert.That(text, Does.Contain("Its up/down scripts and --check commands are its children and run\n# under the same sandbox")
                              .And.Contain("#   ReadWritePaths=").And.Contain("#   CapabilityBoundingSet=~\n"));
        if (unit == "ucarp@.service")
        {
            Assert.That(lines.Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal)), Does.Contain(" --control=/run/ucarp/%i.sock "));
        }
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            string report = Shell.Run("systemd-analyze", "security", "--offline=true", "--no-pager", Path.Combine(Binaries.Repository, "scripts/systemd", unit));
            var exposure = System.Text.RegularExpressions.Regex.Match(report, @"Overall exposure level for \S+: (\d+\.\d)");
            Assert.That(exposure.Success, Is.True, report);
            Assert.That(double.Parse(exposure.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.LessThanOrEqualTo(3.0), report);
        }
    }

    /// <summary>
    /// The daemon under ucarp@.service's sandbox, emulated without systemd by
    /// Infrastructure/unit-sandbox.py (read-only system, private /tmp, no /home, the
    /// capability bounding set, no new privileges, the system call and address family
    /// filter, no writable and executable memory): it becomes MASTER, its upscript (the
    /// packaged vip-addr-up) adds the address, ucarpctl reaches it on --control, and
    /// SIGTERM's downscript removes the address.
    /// </summary>
    [Test]
    public void The_daemon_runs_under_the_units_sandbox()
    {
        Binaries.RequireNamespaces();
        Binaries.RequireCtl();
        if (!File.Exists("/usr/bin/python3") || !File.Exists("/usr/bin/systemd-analyze")
            || !File.Exists("/usr/lib/x86_64-linux-gnu/libseccomp.so.2") && !File.Exists("/usr/lib/aarch64-linux-gnu/libseccomp.so.2"))
        {
            Assert.Ignore("python3, systemd-analyze and libseccomp emulate the unit's sandbox");
        }
        // The sandbox hides /tmp, /home and /root, where a checkout often is: what the daemon
        // runs is copied to a directory it sees (read-only, as /usr/sbin would be).
        string seen = $"/var/lib/ucarpnet-sandbox-{Environment.ProcessId}";
        Directory.CreateDirectory(seen);
        string binary = Path.Combine(seen, "ucarp"), ctlBinary = Path.Combine(seen, "ucarpctl"), scripts = Path.Combine(seen, "scripts");
        File.Copy(Binaries.Clone, binary);
        File.Copy(Binaries.Ctl, ctlBinary);
        Directory.CreateDirectory(scripts);
        foreach (string script in new[] { "vip-addr-up", "vip-addr-down" })
        {
            File.Copy(Path.Combine(Binaries.Repository, "scripts", script), Path.Combine(scripts, script));
        }
        // systemd makes the RuntimeDirectory and StateDirectory; the emulation mounts a
        // fresh tmpfs on each, so only the directories themselves are left on the host.
        string[] made = [.. new[] { "/run/ucarp", "/var/lib/ucarp" }.Where(d => !Directory.Exists(d))];
        foreach (string d in made)
        {
            Directory.CreateDirectory(d);
        }
        // The upscript: the packaged vip-addr-up, then a look at what it may do, written
        // where the unit lets it write. Beside the binary: /tmp is not the daemon's /tmp.
        string upscript = Path.Combine(seen, "sandbox-test-up.sh");
        File.WriteAllText(upscript, $"#!/bin/sh\n{scripts}/vip-addr-up \"$@\"; status=$?\n"
                                    + "{ touch /run/ucarp/probe && echo run-ok; touch /var/lib/ucarp/probe && echo state-ok; touch /etc/ucarp-probe;"
                                    + " ls /root; grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status;"
                                    // arping drops privileges with setuid(getuid()) and stops when the filter refuses it.
                                    + " if command -v arping >/dev/null; then arping -q -c 1 -U -I \"$1\" \"$2\" && echo arping-ok || echo arping-failed; fi;"
                                    + " } > /run/ucarp/probe.log 2>&1\n"
                                    + "exit $status\n");
        File.SetUnixFileMode(upscript, (UnixFileMode)0b111_101_101);
        try
        {
            using var lan = new TestLan(1);
            string unit = Path.Combine(Binaries.Repository, "scripts/systemd/ucarp@.service");
            UcarpProcess daemon = lan.StartRaw(1, "/usr/bin/python3",
                Path.Combine(Binaries.Repository, "tests/Ucarp.Integration.Tests/Infrastructure/unit-sandbox.py"), unit,
                binary, "-i", "eth0", "-s", TestLan.Address(1), "-v", "42", "-p", "test", "-a", TestLan.Vip,
                "-u", upscript, "-d", Path.Combine(scripts, "vip-addr-down"), "-z", "--control=/run/ucarp/sandbox-test.sock", "-P");
            Assert.That(daemon.WaitFor("Switching to state: MASTER", TimeSpan.FromSeconds(15)), Is.True, daemon.Output);
            Assert.That(Wait.Until(() => lan.HoldsVip(1), TimeSpan.FromSeconds(5)), Is.True, daemon.Output);

            // The daemon's own view: the unit's bounding set, no_new_privs, a seccomp filter.
            string pid = daemon.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string status = File.ReadAllText($"/proc/{pid}/status");
            string Field(string name) => status.Split('\n').Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split('\t')[^1].Trim();
            Assert.That(Field("CapBnd"), Is.EqualTo("0000000000807000"), "CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_SYS_NICE");
            Assert.That(Field("NoNewPrivs"), Is.EqualTo("1"));
            Assert.That(Field("Seccomp"), Is.EqualTo("2"));
            // ucarpctl, in the daemon's mount namespace, reaches it on the unit's --control socket.
            string ctl = Shell.Run("nsenter", "-t", pid, "-m", "-n", ctlBinary, "--control=/run/ucarp/sandbox-test.sock", "status");
            Assert.That(ctl, Does.Contain("MASTER"), ctl);
            // The upscript ran in the sandbox: it wrote where the unit lets it, and nowhere else.
            string probe = "";
            Assert.That(Wait.Until(() => (probe = Shell.RunAllowingFailure("nsenter", ["-t", pid, "-m", "cat", "/run/ucarp/probe.log"], out _))
                                         .Contains("Seccomp", StringComparison.Ordinal), TimeSpan.FromSeconds(5)), Is.True, probe);
            Assert.That(probe, Does.Contain("run-ok").And.Contain("state-ok").And.Contain("touch: cannot touch '/etc/ucarp-probe': Read-only file system")
                                   .And.Contain("ls: cannot open directory '/root': Permission denied")
                                   .And.Match(@"CapBnd:\s+0000000000807000").And.Match(@"NoNewPrivs:\s+1").And.Not.Contain("arping-failed"), probe);

            daemon.Signal("TERM");
            Assert.That(daemon.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, daemon.Output);
            Assert.That(daemon.Saw("vip-addr-down eth0 " + TestLan.Vip), Is.True, daemon.Output);
            Assert.That(lan.HoldsVip(1), Is.False, daemon.Output);
            Assert.That(daemon.Output, Does.Not.Contain("Operation not permitted").And.Not.Contain("[ERROR]"));
        }
        finally
        {
            Directory.Delete(seen, recursive: true);
            foreach (string d in made)
            {
                Directory.Delete(d, recursive: true);
            }
        }
    }

    /// <summary>
    /// The package installed over Debian's ucarp, upgraded and purged with apt, as on a
    /// host where systemd runs: apt runs in a mount namespace of its own in which
    /// /run/systemd/system exists, systemctl is a stand-in that logs what it is asked
    /// (and says one unit is running) and invoke-rc.d's policy allows every action. On
    /// install and upgrade the maintainer scripts run daemon-reload and nothing else: no
    /// unit is enabled, started, stopped or restarted; on purge the units are stopped and
    /// everything goes. Debian's ucarp is put back as it was. The other tests compare
    /// against a copy of it (Binaries.Debian), and those that use the host's
    /// /usr/sbin/ucarp or Debian's hook wait for this one (Binaries.HostUcarpFiles).
    /// </summary>
    [Test]
    public void The_package_installs_over_ucarp_upgrades_and_purges_with_apt()
    {
        lock (Binaries.HostUcarpFiles)
        {
            InstallUpgradeAndPurge();
        }
    }

    static void InstallUpgradeAndPurge()
    {
        if (!Shell.IsRoot || !File.Exists("/usr/bin/apt-get") || !File.Exists("/usr/bin/unshare"))
        {
            Assert.Ignore("installing a package needs root, apt-get and unshare");
        }
        string Status(string package) =>
            Shell.RunAllowingFailure("dpkg-query", ["-W", "-f=${db:Status-Status} ${Version}", package], out int code) is var s && code == 0 ? s.Trim() : "";
        if (Status("ucarp-net").StartsWith("installed", StringComparison.Ordinal))
        {
            Assert.Ignore("ucarp-net is installed on this host: not replacing it");
        }
        string deb = BuiltPackage();
        string dir = Directory.CreateTempSubdirectory("ucarpnet-apt-").FullName;
        // Debian's ucarp as found: its package (from apt's cache or downloaded now) to put it back.
        string before = Status("ucarp");
        bool manual = Shell.Run("apt-mark", "showmanual").Split('\n').Contains("ucarp");
        string? original = null;
        if (before.StartsWith("installed ", StringComparison.Ordinal))
        {
            string version = before["installed ".Length..];
            Shell.RunAllowingFailure("sh", ["-c", $"cd '{dir}' && apt-get download -q 'ucarp={version}'"], out int downloaded);
            original = Directory.GetFiles(dir, "ucarp_*.deb").FirstOrDefault();
            if (downloaded != 0 || original is null)
            {
                Directory.Delete(dir, true);
                Assert.Ignore($"Debian's ucarp {version} is installed and its package cannot be downloaded to put it back");
            }
        }
        try
        {
            // The same package at a higher version, for the upgrade.
            string tree = Path.Combine(dir, "tree");
            Shell.Run("dpkg-deb", "-R", deb, tree);
            string control = Path.Combine(tree, "DEBIAN/control");
            string version = Shell.Run("dpkg-deb", "-f", deb, "Version").Trim();
            File.WriteAllText(control, File.ReadAllText(control).Replace($"Version: {version}\n", $"Version: {version}+upgrade1\n"));
            string upgrade = Path.Combine(dir, "ucarp-net-upgrade.deb");
            Shell.Run("dpkg-deb", "--root-owner-group", "-b", tree, upgrade);

            // The stand-ins: systemctl logs its arguments and lists one running instance.
            string log = Path.Combine(dir, "systemctl.log");
            string systemctl = Path.Combine(dir, "systemctl");
            File.WriteAllText(systemctl, $"#!/bin/sh\necho \"$*\" >> {log}\n"
                                         + "case \"$*\" in *list-units*) echo 'ucarp@web.service loaded active running CARP virtual address web (ucarp)' ;; esac\nexit 0\n");
            string policy = Path.Combine(dir, "policy-rc.d");
            File.WriteAllText(policy, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(systemctl, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(policy, (UnixFileMode)0b111_101_101);
            string asUnderSystemd = Path.Combine(dir, "as-under-systemd.sh");
            File.WriteAllText(asUnderSystemd, "#!/bin/sh\nset -e\nmount -t tmpfs tmpfs /run/systemd\nmkdir /run/systemd/system\n"
                                              + $"mount --bind {systemctl} /usr/bin/systemctl\n"
                                              + $"if [ -e /usr/sbin/policy-rc.d ]; then mount --bind {policy} /usr/sbin/policy-rc.d; fi\n"
                                              + "exec \"$@\"\n");
            File.SetUnixFileMode(asUnderSystemd, (UnixFileMode)0b111_101_101);
            Directory.CreateDirectory("/run/systemd");
            string[] Apt(params string[] args)
            {
                File.WriteAllText(log, "");
                string output = Shell.Run("unshare", ["--mount", "--propagation", "private", asUnderSystemd, "env", "DEBIAN_FRONTEND=noninteractive",
                                                      "apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confnew", .. args]);
                TestContext.Out.WriteLine(output);
                return File.ReadAllLines(log);
            }
            void NothingStartedOrEnabled(string[] calls)
            {
                Assert.That(calls, Does.Contain("--system daemon-reload"));
                Assert.That(calls.Where(c => !c.StartsWith("--system daemon-reload", StringComparison.Ordinal) && !c.Contains("list-units", StringComparison.Ordinal)),
                            Is.Empty, "only daemon-reload: nothing started, stopped, restarted or enabled");
                Assert.That(File.Exists("/etc/systemd/system/multi-user.target.wants/ucarp.service"), Is.False);
                Shell.RunAllowingFailure("deb-systemd-helper", ["--quiet", "was-enabled", "ucarp.service"], out int enabled);
                Assert.That(enabled, Is.Not.Zero, "ucarp.service enabled");
            }

            // Installed: it replaces Debian's ucarp, whose files it holds.
            string[] installCalls = Apt("install", deb);
            Assert.That(Status("ucarp-net"), Is.EqualTo("installed " + version));
            Assert.That(Status("ucarp"), Does.Not.StartWith("installed"));
            Assert.That(Shell.RunAllowingFailure("/usr/sbin/ucarp", ["--help"], out _), Does.Contain("Ucarp.Net"));
            Assert.That(File.Exists("/usr/lib/systemd/system/ucarp.service") && File.Exists("/usr/lib/systemd/system/ucarp@.service"), Is.True);
            Assert.That(File.ReadAllText("/var/lib/dpkg/info/ucarp-net.postinst"), Does.Contain("systemctl --system daemon-reload"));
            Assert.That(File.ReadAllLines("/var/lib/dpkg/info/ucarp-net.conffiles"),
                        Is.EquivalentTo(new[] { "/etc/network/if-up.d/ucarp", "/etc/network/if-down.d/ucarp" }));
            NothingStartedOrEnabled(installCalls);

            // Upgraded: a running instance is left running (no stop in preinst, no restart in postinst).
            string[] upgradeCalls = Apt("install", upgrade);
            Assert.That(Status("ucarp-net"), Is.EqualTo($"installed {version}+upgrade1"));
            NothingStartedOrEnabled(upgradeCalls);

            // Purged: the running units are stopped, the files and the state directory go.
            Directory.CreateDirectory("/var/lib/ucarp");
            string[] purgeCalls = Apt("purge", "ucarp-net");
            Assert.That(Status("ucarp-net"), Is.Empty.Or.StartWith("not-installed"));
            Assert.That(purgeCalls.Any(c => c.Contains("stop", StringComparison.Ordinal) && c.Contains("ucarp@web.service", StringComparison.Ordinal)),
                        Is.True, string.Join('\n', purgeCalls));
            Assert.That(purgeCalls, Does.Contain("--system daemon-reload"));
            foreach (string path in new[] { "/usr/sbin/ucarpctl", "/usr/lib/systemd/system/ucarp.service", "/etc/network/if-up.d/ucarp",
                                            "/etc/network/if-down.d/ucarp", "/var/lib/ucarp" })
            {
                Assert.That(Path.Exists(path), Is.False, path);
            }
        }
        finally
        {
            // Whatever happened above, Debian's ucarp is put back (the other tests compare against it).
            Shell.RunAllowingFailure("dpkg", ["--configure", "-a"], out _);
            if (Status("ucarp-net") != "")
            {
                TestContext.Out.WriteLine(Shell.RunAllowingFailure("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", "purge", "ucarp-net"], out _));
            }
            if (original is not null)
            {
                string restored = Shell.RunAllowingFailure("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", "install", original], out int code);
                TestContext.Out.WriteLine(restored);
                Shell.RunAllowingFailure("apt-mark", [manual ? "manual" : "auto", "ucarp"], out _);
                if (code != 0)
                {
                    Assert.Fail($"Debian's ucarp could not be put back (apt-get install {original}, kept): {restored}");
                }
            }
            Directory.Delete(dir, true);
        }
        Assert.That(Status("ucarp"), Is.EqualTo(before), "Debian's ucarp as it was");
        Assert.That(Shell.Run("apt-mark", "showmanual").Split('\n').Contains("ucarp"), Is.EqualTo(manual));
    }
}
