using System.Net.Sockets;
using System.Text.Json;
using Ucarp.Core.Control;
using Ucarp.Core.Logging;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>build/ucarpctl on its own: its command line, and what it says when no daemon answers.</summary>
[Category("Control")]
public class ControlTests
{
    const string Nobody = "65534";
    string _dir = null!;

    [SetUp]
    public void Prepare()
    {
        Binaries.RequireCtl();
        _dir = Directory.CreateTempSubdirectory("ucarpnet-ctl-").FullName;
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
    }

    [TearDown]
    public void Clean() => Directory.Delete(_dir, true);

    [TestCase(new string[0], "no command given")]
    [TestCase(new[] { "frobnicate" }, "unknown command [frobnicate]")]
    [TestCase(new[] { "status", "--yaml" }, "status takes a group name and --json, each at most once, not [--yaml]")]
    [TestCase(new[] { "demote" }, "demote takes one group name or --all, and --wait, --json")]
    [TestCase(new[] { "promote", "a", "b" }, "promote takes one group name or --all, and --json")]
    [TestCase(new[] { "reload", "now" }, "reload takes no argument but --json")]
    [TestCase(new[] { "--control=", "status" }, "--control needs a path")]
    [TestCase(new[] { "status", "--control" }, "--control needs a path")]
    public void A_bad_command_line_prints_usage_and_exits_2_without_connecting(string[] args, string reason)
    {
        // The default socket does not matter: nothing is contacted.
        CtlResult r = Ucarpctl.Run(args);
        Assert.That((r.Code, r.Out, r.Err), Is.EqualTo((2, "", $"ucarpctl: {reason}\n{ControlUsage.Text}")), r.ToString());
    }

    /// <summary>--check-config binds --metrics-listen and lets it go: an address this host lacks is an error, a port in use a warning.</summary>
    [Test]
    public void Check_config_tries_the_metrics_listen_address()
    {
        string config = Path.Combine(_dir, "ucarp.conf");
        File.WriteAllText(config, "group web -i lo -s 127.0.0.1 -v 1 -p test -a 192.0.2.100 --manage-addresses\n");
        File.SetUnixFileMode(config, (UnixFileMode)0b110_000_000);
        string Check(string listen, out int code) =>
            Shell.RunAllowingFailure(Binaries.Clone, ["--config=" + config, "--check-config", "--metrics-listen=" + listen], out code);
        string absent = Check("203.0.113.99:9155", out int code);
        Assert.That((code, absent), Is.EqualTo((1, "Unable to listen on --metrics-listen [203.0.113.99:9155]: Cannot assign requested address\n")));
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((System.Net.IPEndPoint)taken.LocalEndPoint!).Port;
        string inUse = Check("127.0.0.1:" + port, out code);
        Assert.That((code, inUse), Is.EqualTo((0, $"Warning: Unable to listen on --metrics-listen [127.0.0.1:{port}]: Address already in use (a running daemon's, if one runs)\n")));
        taken.Close();
        Assert.That(Check("127.0.0.1:" + port, out code), Is.Empty);
        Assert.That(code, Is.Zero);
    }

    [Test]
    public void Help_is_the_usage_on_stdout()
    {
        CtlResult r = Ucarpctl.Run(["--help"]);
        Assert.That((r.Code, r.Out, r.Err), Is.EqualTo((0, ControlUsage.Text, "")));
        Assert.That(Ucarpctl.Run(["status", "-h"]).Out, Is.EqualTo(ControlUsage.Text));
    }

    [Test]
    public void No_socket_is_one_line_and_exit_1()
    {
        string path = Path.Combine(_dir, "none.sock");
        CtlResult r = Ucarpctl.Run(path, "status");
        Assert.That((r.Code, r.Out, r.Err), Is.EqualTo((1, "", $"ucarpctl: no daemon is listening on {path}: No such file or directory\n")));
    }

    [Test]
    public void A_socket_nobody_listens_on_is_one_line_and_exit_1()
    {
        string path = Path.Combine(_dir, "stale.sock");
        ServedControlSocket.LeaveStale(path);
        CtlResult r = Ucarpctl.Run(path, "demote", "--all");
        Assert.That((r.Code, r.Out, r.Err), Is.EqualTo((1, "", $"ucarpctl: no daemon is listening on {path}: Connection refused\n")));
    }

    [Test]
    public void A_socket_another_user_may_not_write_is_one_line_and_exit_1()
    {
        string path = Path.Combine(_dir, "root.sock");
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        s.Listen();
        File.SetUnixFileMode(path, (UnixFileMode)0b110_000_000);
        CtlResult r = Ucarpctl.Run(["--control=" + path, "status"], user: Nobody);
        Assert.That((r.Code, r.Out, r.Err), Is.EqualTo((1, "", $"ucarpctl: not allowed to connect to {path}: Permission denied\n")), r.ToString());
    }

    [Test]
    public void A_daemon_that_never_answers_is_given_up_after_five_seconds()
    {
        string path = Path.Combine(_dir, "mute.sock");
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        s.Listen();   // connections complete in the backlog, and are never answered
        CtlResult r = Ucarpctl.Run(path, "status");
        Assert.That((r.Code, r.Out, r.Err), Is.EqualTo((1, "", $"ucarpctl: no answer from the daemon on {path} within 5 s\n")), r.ToString());
        Assert.That(r.Took, Is.InRange(TimeSpan.FromSeconds(4.9), TimeSpan.FromSeconds(9)));
    }
}

/// <summary>
/// ucarpctl against a real `ucarp --config` daemon. These need the daemon of many groups
/// (src/Ucarp/Daemon), which serves the control socket.
/// </summary>
[Category("NeedsConfigDaemon")]
public class ConfigDaemonControlTests : NamespaceTest
{
    const string Nobody = "65534";

    sealed class Daemon : IDisposable
    {
        public Daemon(TestLan lan, params string[] groups) : this(lan, groups, lan.DownScript)
        {
        }

        /// <summary>A daemon whose groups run <paramref name="downScript"/> rather than the LAN's, with <paramref name="extra"/> options.</summary>
        public Daemon(TestLan lan, string[] groups, string downScript, params string[] extra)
        {
            Lan = lan;
            DownScript = downScript;
            Config = Path.Combine(lan.Directory, "ucarp.conf");
            Socket = Path.Combine(lan.Directory, "run", "ucarp.sock");
            Write(groups);
            Process = lan.StartRaw(1, Binaries.Clone, ["--config=" + Config, "--control=" + Socket, .. extra]);
        }

        public TestLan Lan { get; }
        public string Config { get; }
        public string Socket { get; }
        public UcarpProcess Process { get; }

        public string DownScript { get; }

        public void Write(params string[] groups) => File.WriteAllText(Config,
            $"defaults -i eth0 -s {TestLan.Address(1)} -p test -u {Lan.UpScript} -d {DownScript}\n" + string.Join("\n", groups) + "\n");

        public CtlResult Ctl(params string[] args) => Ucarpctl.Run(Socket, args);

        public JsonElement[] Groups()
        {
            CtlResult r = Ctl("status", "--json");
            Assert.That(r.Code, Is.Zero, r + "\n" + Process.Output);
            return [.. JsonDocument.Parse(r.Out).RootElement.GetProperty("groups").EnumerateArray().Select(g => g.Clone())];
        }

        public JsonElement Group(string name) => Groups().Single(g => g.GetProperty("name").GetString() == name);

        // A group a reload changed is out of status for the moment between the old one's end
        // and the new one's start: not in that state then, rather than an exception.
        public bool InState(string name, string state, bool inElection) =>
            Groups().FirstOrDefault(g => g.GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } g
            && g.GetProperty("state").GetString() == state && g.GetProperty("in_election").GetBoolean() == inElection;

        public void Dispose() => Process.Dispose();
    }

    static Daemon Start(TestLan lan)
    {
        var d = new Daemon(lan, "group web -v 1 -a 192.0.2.100", "group db -v 2 -a 192.0.2.101");
        Assert.That(Wait.Until(() => File.Exists(d.Socket), TimeSpan.FromSeconds(5)), Is.True, d.Process.Output);
        return d;
    }

    [SetUp]
    public void RequireCtl() => Binaries.RequireCtl();

    [Test]
    public void Status_lists_every_group_as_text_and_as_json()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(Wait.Until(() => d.InState("web", "MASTER", true) && d.InState("db", "MASTER", true), Long), Is.True, d.Process.Output);

        JsonElement[] groups = d.Groups();
        Assert.That(groups.Select(g => (g.GetProperty("name").GetString(), g.GetProperty("vhid").GetInt32(), g.GetProperty("interface").GetString())),
                    Is.EqualTo(new[] { ("web", 1, "eth0"), ("db", 2, "eth0") }));
        Assert.That(groups[0].GetProperty("addresses").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "192.0.2.100" }));

        CtlResult text = d.Ctl("status");
        Assert.That(text.Code, Is.Zero, text.ToString());
        string[][] rows = [.. text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
        Assert.That(rows.Select(r => (r[0], r[1], r[2], r[3], r[4])),
                    Is.EqualTo(new[] { ("web", "eth0", "1", "192.0.2.100", "MASTER"), ("db", "eth0", "2", "192.0.2.101", "MASTER") }), text.Out);
    }

    [Test]
    public void Status_of_one_group_json_on_every_command_and_the_versions_of_both_ends()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(Wait.Until(() => d.InState("db", "MASTER", true), Long), Is.True, d.Process.Output);

        CtlResult one = d.Ctl("status", "db");
        Assert.That(one.Code, Is.Zero, one.ToString());
        string[] rows = one.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.That(rows.Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]), Is.EqualTo(new[] { "db" }), one.Out);
        CtlResult json = d.Ctl("status", "db", "--json");
        Assert.That(JsonDocument.Parse(json.Out).RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()),
                    Is.EqualTo(new[] { "db" }), json.ToString());
        CtlResult none = d.Ctl("status", "mail");
        Assert.That((none.Code, none.Err), Is.EqualTo((1, "no group [mail]\n")));

        CtlResult version = d.Ctl("--version");
        Assert.That(version.Code, Is.Zero, version.ToString());
        Assert.That(version.Out, Does.StartWith("ucarpctl (Ucarp.Net ").And.Contain("\ndaemon: ucarp 1.5.2 (Ucarp.Net "), version.Out);
        // --json on every command: the exit status and the lines, on stdout or stderr as the text goes.
        CtlResult demoted = d.Ctl("demote", "db", "--json");
        using (JsonDocument doc = JsonDocument.Parse(demoted.Out))
        {
            Assert.That(doc.RootElement.GetProperty("exit").GetInt32(), Is.Zero, demoted.ToString());
            Assert.That(doc.RootElement.GetProperty("lines")[0].GetString(), Does.StartWith("demoted, out of the election until promoted: db"));
        }
        Assert.That(d.Ctl("promote", "db", "--json").Code, Is.Zero);
        CtlResult unknown = d.Ctl("demote", "mail", "--json");
        Assert.That(unknown.Code, Is.EqualTo(1), unknown.ToString());
        Assert.That(JsonDocument.Parse(unknown.Err).RootElement.GetProperty("lines")[0].GetString(), Is.EqualTo("no group [mail]"));
        CtlResult reloaded = d.Ctl("reload", "--json");
        Assert.That(JsonDocument.Parse(reloaded.Out).RootElement.GetProperty("exit").GetInt32(), Is.Zero, reloaded.ToString());
        Assert.That(JsonDocument.Parse(d.Ctl("version", "--json").Out).RootElement.GetProperty("lines")[0].GetString(), Does.StartWith("ucarp 1.5.2 (Ucarp.Net "));

        CtlResult nobody = Ucarpctl.Run(Path.Combine(lan.Directory, "nobody.sock"), "--version");
        Assert.That(nobody.Code, Is.Zero, "no daemon: said, not an error\n" + nobody);
        Assert.That(nobody.Out, Does.Contain("daemon: none answers at"), nobody.ToString());
    }

    /// <summary>
    /// One description of a group: `status --json`'s objects are the state file's, key for key
    /// and value for value (counters aside: they move between two reads), and the metrics
    /// have a series for every address, extras too, that agrees with the state.
    /// </summary>
    [Test]
    public void Status_json_the_state_file_and_the_metrics_describe_a_group_alike()
    {
        using var lan = new TestLan(1);
        string state = Path.Combine(lan.Directory, "state.json"), metrics = Path.Combine(lan.Directory, "ucarp.prom");
        using var d = new Daemon(lan, ["group web -v 1 -a 192.0.2.100 --extra-addr=198.51.100.7", "group db -v 2 -a 192.0.2.101 -k 50"], lan.DownScript,
                                 "--state-file=" + state, "--metrics-file=" + metrics);
        Assert.That(Wait.Until(() => File.Exists(d.Socket) && d.InState("web", "MASTER", true) && d.InState("db", "MASTER", true), Long), Is.True, d.Process.Output);
        Assert.That(d.Ctl("demote", "db").Code, Is.Zero);
        static string Without(JsonElement g, string key) =>
            JsonSerializer.Serialize(g.EnumerateObject().Where(p => p.Name != key).ToDictionary(p => p.Name, p => p.Value));
        JsonElement[] fromFile = [];
        bool Agree()
        {
            fromFile = [.. JsonDocument.Parse(File.ReadAllText(state)).RootElement.GetProperty("groups").EnumerateArray().Select(g => g.Clone())];
            JsonElement[] fromCtl = d.Groups();
            return fromFile.Length == 2 && fromFile.Select(g => Without(g, "counters")).SequenceEqual(fromCtl.Select(g => Without(g, "counters")));
        }
        // The file follows a change at once, but on its own thread: read until both say the same.
        Assert.That(Wait.Until(Agree, Short), Is.True, string.Join("\n", fromFile.Select(g => g.GetRawText())) + "\n" + string.Join("\n", d.Groups().Select(g => g.GetRawText())));
        JsonElement web = d.Group("web"), db = d.Group("db");
        Assert.That(web.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "192.0.2.100", "198.51.100.7" }));
        Assert.That((web.GetProperty("mode").GetString(), web.GetProperty("etcd").ValueKind), Is.EqualTo(("carp", JsonValueKind.Null)));
        Assert.That(web.GetProperty("since").GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"), "to the microsecond, as the file");
        Assert.That((db.GetProperty("state").GetString(), db.GetProperty("election_reason").GetString()), Is.EqualTo(("BACKUP", "demoted by ucarpctl")));

        string[] series = [];
        Assert.That(Wait.Until(() => (series = [.. File.ReadAllLines(metrics).Where(l => l.StartsWith("ucarp_address_master{", StringComparison.Ordinal))]).Length == 3
                                     && series.Count(l => l.EndsWith(" 1", StringComparison.Ordinal)) == 2, Short), Is.True, string.Join("\n", series));
        Assert.That(series.Select(l => l.Split("address=\"")[1].Split('"')[0] + " " + l[^1]),
                    Is.EquivalentTo(new[] { "192.0.2.100 1", "198.51.100.7 1", "192.0.2.101 0" }));
    }

    [Test]
    public void Demote_keeps_a_group_out_of_the_election_until_promote()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(Wait.Until(() => d.InState("web", "MASTER", true), Long), Is.True, d.Process.Output);

        CtlResult demote = d.Ctl("demote", "web");
        Assert.That(demote.Code, Is.Zero, demote.ToString());
        Assert.That(Wait.Until(() => d.InState("web", "BACKUP", false), Short), Is.True, d.Process.Output);
        // Out for longer than a master-down interval: a group still in the election would be MASTER again.
        Assert.That(Wait.UntilSteady(() => d.InState("web", "BACKUP", false), PastMasterDown, Long), Is.True, d.Process.Output);
        Assert.That(d.InState("db", "MASTER", true), Is.True, "the other group is untouched");

        CtlResult promote = d.Ctl("promote", "web");
        Assert.That(promote.Code, Is.Zero, promote.ToString());
        Assert.That(Wait.Until(() => d.InState("web", "MASTER", true), Long), Is.True, d.Process.Output);

        CtlResult unknown = d.Ctl("demote", "nosuch");
        Assert.That((unknown.Code, unknown.Out), Is.EqualTo((1, "")), unknown.ToString());
        Assert.That(unknown.Err, Does.Contain("nosuch"));

        Assert.That(d.Ctl("demote", "--all").Code, Is.Zero);
        Assert.That(Wait.Until(() => d.Groups().All(g => !g.GetProperty("in_election").GetBoolean()), Short), Is.True, d.Process.Output);
    }

    /// <summary>
    /// `demote --wait` answers once the group has let go: its downscript (1.5 s here) has
    /// ended and its address is gone; plain `demote` answers at once, before it. The
    /// downscript stamps its own end, which ucarpctl's return must follow.
    /// </summary>
    [Test]
    public void Demote_wait_returns_once_the_downscript_has_finished_and_the_address_is_gone()
    {
        using var lan = new TestLan(1);
        string stamp = Path.Combine(lan.Directory, "down-ended");
        string down = Path.Combine(lan.Directory, "slow-down");
        File.WriteAllText(down, $"#!/bin/sh\nip addr del \"$2\"/24 dev \"$1\" 2>/dev/null\nsleep 1.5\ndate +%s.%N > {stamp}\n");
        File.SetUnixFileMode(down, (UnixFileMode)0b111_101_101);
        using var d = new Daemon(lan, [$"group web -v 1 -a {TestLan.Vip}"], down);
        UcarpProcess daemon = d.Process;
        Assert.That(Wait.Until(() => lan.HoldsVip(1) && File.Exists(d.Socket), Long), Is.True, daemon.Output);
        File.Delete(stamp);   // the start-up downscript's

        CtlResult waited = d.Ctl("demote", "web", "--wait");
        double returned = HolderIntervals.Now;
        Assert.That(waited.Code, Is.Zero, waited + "\n" + daemon.Output);
        Assert.That(File.Exists(stamp), Is.True, "ucarpctl returned before the downscript ended\n" + waited);
        double ended = double.Parse(File.ReadAllText(stamp), System.Globalization.CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine($"demote --wait took {waited.Took.TotalMilliseconds:F0} ms; returned {(returned - ended) * 1000:F0} ms after the downscript's end");
        Assert.That(returned, Is.GreaterThanOrEqualTo(ended));
        Assert.That(waited.Took, Is.GreaterThan(TimeSpan.FromSeconds(1.4)), "it waited for the 1.5 s downscript");
        Assert.That(lan.HoldsVip(1), Is.False, "the address is gone");
        Assert.That(waited.Out, Does.Contain("let go: no address, no script running: web"), waited.ToString());

        Assert.That(d.Ctl("promote", "web").Code, Is.Zero);
        Assert.That(Wait.Until(() => lan.HoldsVip(1), Long), Is.True, daemon.Output);
        File.Delete(stamp);
        CtlResult plain = d.Ctl("demote", "web");
        Assert.That((plain.Code, File.Exists(stamp)), Is.EqualTo((0, false)), "without --wait: answered before the downscript ended\n" + plain);
    }

    /// <summary>`ucarpctl watch` (text or --json) running beside the daemon: its lines as they arrive.</summary>
    sealed class Watcher : IDisposable
    {
        readonly System.Diagnostics.Process _process;
        readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
        readonly Task<string> _errors;

        public Watcher(string socket, bool json)
        {
            var info = new System.Diagnostics.ProcessStartInfo(Binaries.Ctl) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "--control=" + socket, "watch" }.Concat(json ? ["--json"] : []))
            {
                info.ArgumentList.Add(a);
            }
            _process = System.Diagnostics.Process.Start(info)!;
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _lines.Enqueue(e.Data); } };
            _process.BeginOutputReadLine();
            _errors = _process.StandardError.ReadToEndAsync();
        }

        public IReadOnlyList<string> Lines => [.. _lines];

        /// <summary>The first line after the first <paramref name="skip"/> that holds <paramref name="text"/>, waited for.</summary>
        public string? Next(string text, int skip, TimeSpan timeout)
        {
            string? found = null;
            Wait.Until(() => (found = Lines.Skip(skip).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal))) is not null, timeout);
            return found;
        }

        public (int Code, string Errors) Exit(TimeSpan timeout)
        {
            Assert.That(_process.WaitForExit(timeout), Is.True, "ucarpctl watch did not end with the daemon\n" + string.Join("\n", Lines));
            _process.WaitForExit();
            return (_process.ExitCode, _errors.Result);
        }

        public override string ToString() => string.Join("\n", Lines);

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            _process.Dispose();
        }
    }

    static double TimeOf(string watchLine) =>
        DateTimeOffset.Parse(watchLine.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>
    /// `watch` starts with every group as it is, then a line per change, stamped to the
    /// millisecond: here a preemption (MASTER -> BACKUP), a takeover after the other host is
    /// killed (BACKUP -> MASTER, stamped after the kill), a demotion (election out) and the
    /// daemon's end (STOPPED), after which ucarpctl says the daemon closed the connection.
    /// Text and --json see the same changes.
    /// </summary>
    [Test]
    public void Watch_shows_every_change_across_a_failover_until_the_daemon_ends()
    {
        using var lan = new TestLan(2);
        using var d = new Daemon(lan, $"group web -v 42 -a {TestLan.Vip} -k 50", "group db -v 2 -a 192.0.2.101");
        Assert.That(Wait.Until(() => lan.HoldsVip(1) && File.Exists(d.Socket), Long), Is.True, d.Process.Output);
        using var text = new Watcher(d.Socket, json: false);
        using var json = new Watcher(d.Socket, json: true);
        Assert.That(text.Next("web - -> MASTER master=192.0.2.1 health=none election=in", 0, Short), Is.Not.Null, text.ToString());
        Assert.That(text.Next("db - -> MASTER", 0, Short), Is.Not.Null, text.ToString());
        int seen = text.Lines.Count;

        UcarpProcess other = lan.Start(2, Binaries.Clone, "-k", "0", "-P");
        Assert.That(text.Next("web MASTER -> BACKUP", seen, Long), Is.Not.Null, text + "\n" + d.Process.Output);
        seen = text.Lines.Count;
        other.Signal("KILL");
        double killed = HolderIntervals.Now;
        string? takeover = text.Next("web BACKUP -> MASTER", seen, Long);
        Assert.That(takeover, Is.Not.Null, text + "\n" + d.Process.Output);
        double after = TimeOf(takeover!) - killed;
        TestContext.Out.WriteLine($"takeover stamped {after * 1000:F0} ms after the kill");
        // Master down is 3 s plus 50/256 here: the stamp is the daemon's own, after the kill and not long after that.
        Assert.That(after, Is.InRange(2.0, 6.0), takeover);

        Assert.That(d.Ctl("demote", "db").Code, Is.Zero);
        Assert.That(text.Next("db MASTER -> BACKUP", seen, Short), Is.Not.Null, text.ToString());
        Assert.That(text.Next("election=out reason=demoted by ucarpctl", seen, Short), Does.Contain(" db "), text.ToString());

        d.Process.Signal("TERM");
        Assert.That(text.Next("web MASTER -> STOPPED", seen, Long), Is.Not.Null, text + "\n" + d.Process.Output);
        (int code, string errors) = text.Exit(Long);
        Assert.That((code, errors), Is.EqualTo((1, $"ucarpctl: the daemon on {d.Socket} closed the connection\n")));
        json.Exit(Long);

        // The JSON stream: one object a line, the same transitions in the same order.
        static string Transition(JsonElement e) => e.GetProperty("name").GetString() + " " + (e.GetProperty("previous").GetString() ?? "-") + " -> " + e.GetProperty("state").GetString();
        string[] fromJson = [.. json.Lines.Select(l => { using JsonDocument doc = JsonDocument.Parse(l); return Transition(doc.RootElement); })];
        string[] fromText = [.. text.Lines.Select(l => string.Join(' ', l.Split(' ')[1..5]))];
        Assert.That(fromJson, Is.EqualTo(fromText), json.ToString());
    }

    /// <summary>
    /// systemd hears a reload: RELOADING=1 with MONOTONIC_USEC when the file starts to be
    /// read, READY=1 once it is applied, and READY=1 too after a file that is refused
    /// (the unit must not stay "reloading").
    /// </summary>
    [Test]
    public void Systemd_is_told_reloading_then_ready_around_every_reload()
    {
        using var lan = new TestLan(1);
        string socketPath = Path.Combine(lan.Directory, "notify");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var reader = new CancellationTokenSource();
        Task reading = Task.Run(() =>
        {
            byte[] buffer = new byte[512];
            while (!reader.IsCancellationRequested)
            {
                if (listener.Poll(100_000, SelectMode.SelectRead))
                {
                    messages.Enqueue(System.Text.Encoding.UTF8.GetString(buffer, 0, listener.Receive(buffer)));
                }
            }
        });
        string config = Path.Combine(lan.Directory, "ucarp.conf");
        string socket = Path.Combine(lan.Directory, "ucarp.sock");
        File.WriteAllText(config, $"group web -i eth0 -s {TestLan.Address(1)} -v 1 -p test -a 192.0.2.100\n");
        using UcarpProcess daemon = lan.StartRaw(1, "env", $"NOTIFY_SOCKET={socketPath}", Binaries.Clone, "--config=" + config, "--control=" + socket);
        Assert.That(Wait.Until(() => messages.Contains("READY=1") && File.Exists(socket), Long), Is.True, daemon.Output);
        string[] Since(int skip) => [.. messages.Skip(skip).Where(m => m.StartsWith("RELOADING=1", StringComparison.Ordinal) || m == "READY=1")];

        int before = messages.Count;
        long asked = (long)(System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000.0));
        Assert.That(Ucarpctl.Run(socket, "reload").Code, Is.Zero, daemon.Output);
        Assert.That(Wait.Until(() => Since(before).Length >= 2, Short), Is.True, string.Join(" | ", messages));
        string[] told = Since(before);
        Assert.That(told[0], Does.Match(@"^RELOADING=1\nMONOTONIC_USEC=\d+$"), string.Join(" | ", told));
        long usec = long.Parse(told[0].Split('=')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(usec, Is.InRange(asked, asked + 5_000_000), "CLOCK_MONOTONIC, in microseconds, when the read began");
        Assert.That(told[1], Is.EqualTo("READY=1"));

        File.WriteAllText(config, "group web -v 1 -x\n");
        before = messages.Count;
        Assert.That(Ucarpctl.Run(socket, "reload").Code, Is.EqualTo(1), daemon.Output);
        Assert.That(Wait.Until(() => Since(before).Length >= 2, Short), Is.True, string.Join(" | ", messages));
        Assert.That(Since(before).Select(m => m.Split('\n')[0]), Is.EqualTo(new[] { "RELOADING=1", "READY=1" }), "a refused file ends the reload too");
        reader.Cancel();
        reading.Wait();
    }

    /// <summary>
    /// --demotion-file: a demotion outlives the daemon. Demoted, then the daemon killed
    /// without a word (SIGKILL: nothing written at exit); the new daemon starts the group
    /// demoted and it never takes its address. After `demote --all` and `promote db`, a
    /// restart demotes every group but db, a group new in the file too. Promote clears it.
    /// </summary>
    [Test]
    public void A_demotion_file_keeps_demotions_across_a_restart()
    {
        using var lan = new TestLan(1);
        string kept = Path.Combine(lan.Directory, "state", "demoted");
        Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
        string[] groups = [$"group web -v 1 -a {TestLan.Vip}", "group db -v 2 -a 192.0.2.101"];
        var first = new Daemon(lan, groups, lan.DownScript, "--demotion-file=" + kept);
        Assert.That(Wait.Until(() => lan.HoldsVip(1) && File.Exists(first.Socket), Long), Is.True, first.Process.Output);
        Assert.That(first.Ctl("demote", "web").Code, Is.Zero);
        Assert.That(Wait.Until(() => File.Exists(kept) && File.ReadAllText(kept).Contains("\ndemoted web\n"), Short), Is.True,
                    "written at the demote, not at exit\n" + first.Process.Output);
        Assert.That(File.GetUnixFileMode(kept), Is.EqualTo((UnixFileMode)0b110_000_000), "0600 whatever the umask: a file its group could write is refused");
        first.Process.Signal("KILL");
        first.Process.WaitForExit(Short);
        first.Dispose();
        Assert.That(lan.HoldsVip(1), Is.False, "the demoted group let its address go before the kill");

        using (var second = new Daemon(lan, groups, lan.DownScript, "--demotion-file=" + kept))
        {
            Assert.That(Wait.Until(() => File.Exists(second.Socket), Long), Is.True, second.Process.Output);
            Assert.That(second.Process.WaitFor($"demoted before the restart, kept from [{kept}]: web", Short), Is.True, second.Process.Output);
            // Longer than a master-down interval: a web that forgot would hold the address by now.
            Assert.That(Wait.Throughout(() => !lan.HoldsVip(1), PastMasterDown), Is.True, "the demoted group took its address\n" + second.Process.Output);
            Assert.That(second.InState("web", "BACKUP", false) && second.InState("db", "MASTER", true), Is.True, second.Process.Output);
            Assert.That(second.Group("web").GetProperty("election_reason").GetString(), Is.EqualTo("demoted by ucarpctl"));

            Assert.That(second.Ctl("demote", "--all").Code, Is.Zero);
            Assert.That(second.Ctl("promote", "db").Code, Is.Zero);
            Assert.That(Wait.Until(() => File.ReadAllText(kept).Contains("\nall\npromoted db\n"), Short), Is.True, File.ReadAllText(kept));
            second.Process.Signal("TERM");
            Assert.That(second.Process.WaitForExit(Long), Is.True, second.Process.Output);
        }

        using var third = new Daemon(lan, [.. groups, "group mail -v 3 -a 192.0.2.102"], lan.DownScript, "--demotion-file=" + kept);
        Assert.That(Wait.Until(() => File.Exists(third.Socket), Long), Is.True, third.Process.Output);
        Assert.That(Wait.Until(() => third.InState("db", "MASTER", true), Long), Is.True, third.Process.Output);
        Assert.That(third.InState("web", "BACKUP", false) && third.InState("mail", "BACKUP", false), Is.True,
                    "after demote --all every group but the one promoted since starts demoted, one new in the file too\n" + third.Process.Output);
        Assert.That(third.Ctl("promote", "--all").Code, Is.Zero);
        Assert.That(Wait.Until(() => third.Groups().All(g => g.GetProperty("state").GetString() == "MASTER"), Long), Is.True, third.Process.Output);
        Assert.That(File.ReadAllLines(kept).Where(l => !l.StartsWith('#')), Is.Empty, "promote --all leaves nothing kept");
    }

    /// <summary>
    /// A demoted group that a reload changes is a new election behind a new gate: the
    /// demotion goes with it, and a group added after `demote --all` starts demoted.
    /// </summary>
    [Test]
    public void A_demotion_outlives_a_reload_that_changes_the_group_and_demote_all_covers_groups_added_later()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(Wait.Until(() => d.InState("web", "MASTER", true) && d.InState("db", "MASTER", true), Long), Is.True, d.Process.Output);
        Assert.That(d.Ctl("demote", "web").Code, Is.Zero);
        Assert.That(Wait.Until(() => d.InState("web", "BACKUP", false), Short), Is.True, d.Process.Output);

        d.Write("group web -v 1 -a 192.0.2.100 -k 10", "group db -v 2 -a 192.0.2.101");
        CtlResult changed = d.Ctl("reload");
        Assert.That(changed.Code, Is.Zero, changed + "\n" + d.Process.Output);
        Assert.That(changed.Out, Does.Contain("changed [web]"), changed.ToString());
        // Longer than a master-down interval: a restarted web that forgot would be MASTER again.
        Assert.That(Wait.UntilSteady(() => d.InState("web", "BACKUP", false), PastMasterDown, Long), Is.True, d.Process.Output);
        Assert.That(d.Group("web").GetProperty("election_reason").GetString(), Does.Contain("ucarpctl"), d.Process.Output);

        Assert.That(d.Ctl("demote", "--all").Code, Is.Zero);
        d.Write("group web -v 1 -a 192.0.2.100 -k 10", "group db -v 2 -a 192.0.2.101", "group extra -v 3 -a 192.0.2.102");
        Assert.That(d.Ctl("reload").Code, Is.Zero, d.Process.Output);
        Assert.That(Wait.UntilSteady(() => d.InState("extra", "BACKUP", false), PastMasterDown, Long), Is.True, d.Process.Output);

        Assert.That(d.Ctl("promote", "--all").Code, Is.Zero);
        Assert.That(Wait.Until(() => d.Groups().All(g => g.GetProperty("state").GetString() == "MASTER"), Long), Is.True, d.Process.Output);
    }

    /// <summary>
    /// A reload asked for while the file is being read must not be answered with that read
    /// (begun before the file changed): it gets a read of its own. The file is made a FIFO
    /// so that SIGHUP's read blocks opening it until the test lets it go.
    /// </summary>
    [Test]
    public void A_reload_asked_for_during_a_read_gets_a_read_that_began_after_it()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(Wait.Until(() => d.InState("web", "MASTER", true), Long), Is.True, d.Process.Output);
        string changed = d.Config + ".new";
        File.WriteAllText(changed, File.ReadAllText(d.Config) + "group extra -v 3 -a 192.0.2.102\n");
        // The FIFO has a second name, to let the blocked read go once the file's name is the new file's.
        string fifo = d.Config + ".fifo";
        File.Delete(d.Config);
        Shell.Run("mkfifo", fifo);
        Shell.Run("ln", fifo, d.Config);

        d.Process.Signal("HUP");
        // The reader thread is there, blocked opening the FIFO (in the kernel's wait_for_partner).
        Assert.That(Wait.Until(() => Waits(d.Process.Pid).Contains("wait_for_partner"), Short), Is.True,
                    () => Waits(d.Process.Pid) + "\n" + d.Process.Output);
        var late = Task.Run(() => d.Ctl("reload"));
        // ucarpctl's request has reached the daemon: it holds the connection, waiting to answer.
        Assert.That(Wait.Until(() => ControlConnections(d.Process.Pid) >= 1, Short), Is.True, () => Shell.Run("ss", "-xpn") + "\n" + d.Process.Output);

        // The file's name is the new file's before the first read goes on (it already has the
        // FIFO): a read that begins after it can only read the new file.
        File.Move(changed, d.Config, overwrite: true);
        new FileStream(fifo, FileMode.Open, FileAccess.Write).Dispose();   // nothing written: nothing to fail on
        CtlResult answer = late.Result;
        Assert.That(answer.Code, Is.Zero, answer + "\n" + d.Process.Output);
        Assert.That(answer.Out, Does.Contain("added [extra]"), answer.ToString());
        Assert.That(d.Groups().Select(g => g.GetProperty("name").GetString()), Is.EqualTo(new[] { "web", "db", "extra" }));
    }

    /// <summary>A read that never finishes (a FIFO no one writes to, as a dead mount) does not make later reloads wait for good: they are refused, saying why.</summary>
    [Test]
    public void A_reload_behind_a_read_that_hangs_is_refused_saying_so()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(Wait.Until(() => d.InState("web", "MASTER", true), Long), Is.True, d.Process.Output);
        File.Delete(d.Config);
        Shell.Run("mkfifo", d.Config);
        d.Process.Signal("HUP");
        Assert.That(Wait.Until(() => Waits(d.Process.Pid).Contains("wait_for_partner"), Short), Is.True, d.Process.Output);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CtlResult answer;
        // Before 10 s a request waits for the next read (ucarpctl gives up after 10 s); after, it is refused at once.
        do
        {
            answer = d.Ctl("reload");
        }
        while (!(answer.Out + answer.Err).Contains("has not finished", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(30));
        Assert.That(answer.Code, Is.EqualTo(1), answer.ToString());
        Assert.That(answer.Out + answer.Err, Does.StartWith(d.Config + ": the last read of the file has not finished after 1"), answer.ToString());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(25)), answer.ToString());
        Assert.That(d.InState("web", "MASTER", true), Is.True, "the groups run on");
    }

    /// <summary>
    /// A reload that adds an etcd group reads its --etcd-password-file on the reload
    /// worker, not on the loop: a file that never gives its line (a FIFO, as a hung mount)
    /// leaves the running group advertising and ucarpctl answered.
    /// </summary>
    [Test]
    public void A_hung_etcd_password_file_at_a_reload_stops_neither_adverts_nor_ucarpctl()
    {
        Binaries.RequireTcpdump();
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(Wait.Until(() => d.InState("web", "MASTER", true), Long), Is.True, d.Process.Output);
        string fifo = Path.Combine(lan.Directory, "etcd-password");
        Shell.Run("mkfifo", fifo);
        using Capture capture = lan.StartCapture("proto 112");
        File.AppendAllText(d.Config, $"group store -v 9 -a 192.0.2.109 --etcd=http://192.0.2.250:2379 --etcd-user=ucarp --etcd-password-file={fifo}\n");
        d.Process.Signal("HUP");
        Assert.That(Wait.Until(() => Waits(d.Process.Pid).Contains("wait_for_partner"), Short), Is.True, d.Process.Output);
        long since = (long)(HolderIntervals.Now * 1_000_000);

        // Three advert intervals: a loop stuck on the file would have sent none.
        CtlResult status = d.Ctl("status");
        Assert.That(status.Code, Is.Zero, status + "\n" + d.Process.Output);
        Assert.That(Wait.Until(() => capture.Current().Count(f => f.IsCarp && f.Bytes[35] == 1 && f.Micros > since) >= 3, Long), Is.True,
                    d.Process.Output);
        List<long> at = [.. capture.Stop().Where(f => f.IsCarp && f.Bytes[35] == 1 && f.Micros > since).Select(f => f.Micros)];
        Assert.That(at.Zip(at.Skip(1), (x, y) => y - x), Has.All.LessThan(1_500_000), "web's adverts kept their cadence");

        // The line comes: the reload finishes and adds the group.
        File.WriteAllText(fifo, "secret\n");
        Assert.That(Wait.Until(() => d.Groups().Any(g => g.GetProperty("name").GetString() == "store"), Long), Is.True, d.Process.Output);
    }

    /// <summary>Where each of the process's threads sleeps in the kernel.</summary>
    static string Waits(int pid) =>
        string.Join("\n", Directory.GetDirectories($"/proc/{pid}/task").Select(t => File.ReadAllText(Path.Combine(t, "wchan")).Trim()));

    // A Unix socket is listed in the namespace of the end that connected (ucarpctl's, the host's).
    static int ControlConnections(int pid) =>
        Shell.Run("ss", "-xpn").Split('\n')
             .Count(l => l.Contains("ESTAB", StringComparison.Ordinal) && l.Contains("ucarp.sock", StringComparison.Ordinal)
                         && l.Contains($"pid={pid},", StringComparison.Ordinal));

    [Test]
    public void Reload_applies_a_good_file_and_refuses_a_bad_one_with_its_lines()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        d.Write("group web -v 1 -a 192.0.2.100", "group db -v 2 -a 192.0.2.101", "group extra -v 3 -a 192.0.2.102");
        CtlResult good = d.Ctl("reload");
        Assert.That(good.Code, Is.Zero, good + "\n" + d.Process.Output);
        Assert.That(d.Groups().Select(g => g.GetProperty("name").GetString()), Is.EqualTo(new[] { "web", "db", "extra" }));

        d.Write("group web -v 1 -a 192.0.2.100", "group db -v 1 -a 192.0.2.101");
        CtlResult bad = d.Ctl("reload");
        Assert.That((bad.Code, bad.Out), Is.EqualTo((1, "")), bad.ToString());
        Assert.That(bad.Err, Does.Contain(d.Config + ":3:"), "the problem's FILE:LINE");
        Assert.That(d.Groups().Select(g => g.GetProperty("name").GetString()), Is.EqualTo(new[] { "web", "db", "extra" }), "nothing changed");
    }

    [Test]
    public void Root_is_served_another_user_is_not_and_the_socket_goes_with_the_daemon()
    {
        using var lan = new TestLan(1);
        using Daemon d = Start(lan);
        Assert.That(File.GetUnixFileMode(d.Socket), Is.EqualTo((UnixFileMode)0b110_000_000));
        File.SetUnixFileMode(lan.Directory, (UnixFileMode)0b111_101_101);
        CtlResult nobody = Ucarpctl.Run(["--control=" + d.Socket, "status"], user: Nobody);
        Assert.That((nobody.Code, nobody.Err), Is.EqualTo((1, $"ucarpctl: not allowed to connect to {d.Socket}: Permission denied\n")), nobody.ToString());
        File.SetUnixFileMode(d.Socket, (UnixFileMode)0b110_110_110);
        CtlResult credentials = Ucarpctl.Run(["--control=" + d.Socket, "demote", "--all"], user: Nobody);
        Assert.That((credentials.Code, credentials.Err), Is.EqualTo((1, Messages.ControlPermissionDenied)), credentials.ToString());
        Assert.That(d.Groups().All(g => g.GetProperty("in_election").GetBoolean()), Is.True, "nobody's demote did nothing");

        using UcarpProcess second = lan.StartRaw(1, Binaries.Clone, "--config=" + d.Config, "--control=" + d.Socket);
        Assert.That(second.WaitForExit(Long), Is.True, "a second daemon on the same socket refuses to start");
        Assert.That(second.ExitCode, Is.Not.Zero);
        Assert.That(second.WaitFor(Messages.ControlInUse(d.Socket), Short), Is.True, second.Output);

        d.Process.Signal("TERM");
        Assert.That(d.Process.WaitForExit(Long), Is.True);
        Assert.That(File.Exists(d.Socket), Is.False, "the socket file is removed at exit");
    }
}
