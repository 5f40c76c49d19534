using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ucarp.Control;
using Ucarp.Core.Control;
using Ucarp.Core.Logging;
using Ucarp.Integration.Tests.Infrastructure;
using Ucarp.Interop;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The daemon's control socket (ControlServer, in this process, polled as the event loop
/// does) against build/ucarpctl and against hostile raw clients.
/// </summary>
[Category("Control")]
public class ControlServerTests
{
    const string Nobody = "65534";
    static readonly GroupStatus Web = Core.Tests.Monitoring.Snapshots.Row("web", "MASTER", "192.0.2.1", true, "passing", null, 1_795_000_000, "eth0", 1,
                                                                         ["192.0.2.100", "192.0.2.101"]);
    static readonly GroupStatus Db = Core.Tests.Monitoring.Snapshots.Row("db", "BACKUP", "192.0.2.2", false, "failing", "health check failed", 1_795_000_061,
                                                                        "eth0", 2, ["192.0.2.102"]);

    string _dir = null!;
    string _path = null!;

    [SetUp]
    public void Prepare()
    {
        Binaries.RequireCtl();
        _dir = Directory.CreateTempSubdirectory("ucarpnet-ctl-").FullName;
        // Others may traverse it, so that only the socket's own mode keeps them out.
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        _path = Path.Combine(_dir, "run", "ucarp.sock");
    }

    [TearDown]
    public void Clean() => Directory.Delete(_dir, true);

    ServedControlSocket Serve(params GroupStatus[] groups) => new(_path, new ScriptedHandler { Groups = groups });

    /// <summary>A second server at the path must be refused: the daemon's log line saying why.</summary>
    string Refusal()
    {
        Assert.That(ControlServer.TryOpen(_path, new ScriptedHandler(), out _, out ControlSocketFault fault, out SysError error), Is.False);
        return Program.ControlSocketLine(_path, fault, error);
    }

    [Test]
    public void Status_reaches_ucarpctl_as_text_and_as_json()
    {
        using var served = Serve(Web, Db);
        CtlResult text = Ucarpctl.Run(_path, "status");
        Assert.That(text.Code, Is.Zero, text.ToString());
        Assert.That(text.Out, Is.EqualTo(ControlStatus.Text([Web, Db])));
        Assert.That(text.Err, Is.Empty);

        CtlResult json = Ucarpctl.Run(_path, "status", "--json");
        Assert.That(json.Code, Is.Zero, json.ToString());
        using var doc = JsonDocument.Parse(json.Out);
        Assert.That(doc.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()), Is.EqualTo(new[] { "web", "db" }));
        Assert.That(served.Handler.StatusCalls, Is.EqualTo(2));
    }

    [Test]
    public void Demote_and_promote_reach_the_handler_and_its_exit_status_reaches_the_shell()
    {
        using var served = Serve(Web);
        CtlResult demote = Ucarpctl.Run(_path, "demote", "web");
        Assert.That((demote.Code, demote.Out), Is.EqualTo((0, "demoted web\n")), demote.ToString());
        CtlResult all = Ucarpctl.Run(_path, "promote", "--all");
        Assert.That((all.Code, all.Out), Is.EqualTo((0, "promoted all groups\n")), all.ToString());
        CtlResult unknown = Ucarpctl.Run(_path, "demote", "nosuch");
        Assert.That((unknown.Code, unknown.Out, unknown.Err), Is.EqualTo((1, "", "no group named [nosuch]\n")), unknown.ToString());
        Assert.That(served.Handler.Demotions, Is.EqualTo(new (string?, bool)[] { ("web", true), (null, false), ("nosuch", true) }));
    }

    [Test]
    public void Reload_is_answered_when_the_handler_completes_and_the_loop_serves_others_meanwhile()
    {
        using var served = Serve(Web);
        // The handler completes when the test releases it, not after a delay: a status call
        // slowed by a busy machine must not outlast the reload it is meant to overlap.
        served.Handler.ReloadTakes = Timeout.InfiniteTimeSpan;
        served.Handler.ReloadReply = new ControlReply(1, "/etc/ucarp/ucarp.conf:3: bad\n");
        Task<CtlResult> reload = Task.Run(() => Ucarpctl.Run(_path, "reload"));
        Assert.That(Wait.Until(() => served.Handler.ReloadCalls == 1, TimeSpan.FromSeconds(5)), Is.True);
        CtlResult status = Ucarpctl.Run(_path, "status");
        Assert.That(status.Code, Is.Zero, status.ToString());
        // An early answer would come within milliseconds of the request; a second is far longer.
        Assert.That(Wait.Throughout(() => !reload.IsCompleted, TimeSpan.FromSeconds(1)), Is.True,
                    "the reload was answered before its handler completed");
        served.Handler.ReleaseReloads();
        CtlResult done = reload.Result;
        Assert.That((done.Code, done.Out, done.Err), Is.EqualTo((1, "", "/etc/ucarp/ucarp.conf:3: bad\n")), done.ToString());
    }

    [Test]
    public void The_socket_is_0600_in_a_0755_directory_and_removed_at_exit()
    {
        var served = Serve();
        Assert.That(File.GetUnixFileMode(Path.GetDirectoryName(_path)!), Is.EqualTo((UnixFileMode)0b111_101_101));
        Assert.That(File.GetUnixFileMode(_path), Is.EqualTo((UnixFileMode)0b110_000_000));
        Assert.That(Shell.Run("stat", "-c", "%F", _path).Trim(), Is.EqualTo("socket"));
        served.Dispose();
        Assert.That(File.Exists(_path), Is.False);
        CtlResult gone = Ucarpctl.Run(_path, "status");
        Assert.That((gone.Code, gone.Err), Is.EqualTo((1, $"ucarpctl: no daemon is listening on {_path}: No such file or directory\n")));
    }

    [Test]
    public void A_live_socket_is_refused_a_stale_one_replaced_and_anything_else_left_alone()
    {
        using (Serve())
        {
            Assert.That(Refusal(), Is.EqualTo(Messages.ControlInUse(_path)));
        }

        ServedControlSocket.LeaveStale(_path);
        Assert.That(Shell.Run("stat", "-c", "%F", _path).Trim(), Is.EqualTo("socket"));
        using (var served = Serve(Web))
        {
            Assert.That(Ucarpctl.Run(_path, "status").Code, Is.Zero);
        }

        File.WriteAllText(_path, "precious");
        Assert.That(Refusal(), Is.EqualTo(Messages.ControlNotSocket(_path)));
        Assert.That(File.ReadAllText(_path), Is.EqualTo("precious"));
    }

    [Test]
    public void The_directory_is_never_a_symbolic_link()
    {
        string elsewhere = Path.Combine(_dir, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "run"), elsewhere);
        Assert.That(Refusal(), Is.EqualTo(Messages.ControlDirectory(Path.Combine(_dir, "run"), Messages.ControlDirectoryIsLink)));
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty);
    }

    [Test]
    public void A_directory_others_could_write_in_or_another_user_owns_is_refused_and_nothing_is_made_in_it()
    {
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(run);
        File.SetUnixFileMode(run, (UnixFileMode)0b111_111_111);   // 0777, not sticky
        Assert.That(Refusal(), Is.EqualTo(Messages.ControlDirectory(run, Messages.ControlDirectoryWritable(0b111_111_111))));
        Assert.That(Directory.GetFileSystemEntries(run), Is.Empty);

        File.SetUnixFileMode(run, (UnixFileMode)0b111_101_101);
        Shell.Run("chown", "65534", run);
        Assert.That(Refusal(), Is.EqualTo(Messages.ControlDirectory(run, Messages.ControlDirectoryOwner(65534))));
        Assert.That(Directory.GetFileSystemEntries(run), Is.Empty);

        // Sticky and open to all, as /tmp: others may not remove or rename what is ours there.
        Shell.Run("chown", "0", run);
        File.SetUnixFileMode(run, (UnixFileMode)0b001_111_111_111);
        using (Serve(Web))
        {
            Assert.That(Ucarpctl.Run(_path, "status").Code, Is.Zero);
        }
    }

    [TestCase(0u, 0b111_101_101, 0u, null)]
    [TestCase(1000u, 0b111_000_000, 1000u, null)]
    [TestCase(0u, 0b111_111_101, 0u, "others may write in it (mode 0775) and it is not sticky: they could replace the socket")]
    [TestCase(0u, 0b001_111_111_111, 0u, null)]
    [TestCase(1000u, 0b111_101_101, 0u, "it belongs to another user (uid 1000), who could replace the socket")]
    public void Which_directories_are_safe(uint owner, int mode, uint euid, string? why) =>
        Assert.That(ControlSocketFile.UnsafeDirectory(owner, mode, euid), Is.EqualTo(why));

    [Test]
    public void Another_user_is_kept_out_by_the_mode_and_if_that_is_loosened_by_the_credentials_check()
    {
        using var served = Serve(Web);
        CtlResult byMode = Ucarpctl.Run(["--control=" + _path, "status"], user: Nobody);
        Assert.That((byMode.Code, byMode.Out, byMode.Err), Is.EqualTo((1, "", $"ucarpctl: not allowed to connect to {_path}: Permission denied\n")), byMode.ToString());

        File.SetUnixFileMode(_path, (UnixFileMode)0b110_110_110);
        CtlResult byCredentials = Ucarpctl.Run(["--control=" + _path, "demote", "--all"], user: Nobody);
        Assert.That((byCredentials.Code, byCredentials.Out, byCredentials.Err), Is.EqualTo((1, "", Messages.ControlPermissionDenied)), byCredentials.ToString());
        Assert.That(served.Handler.Demotions, Is.Empty);
        Assert.That(Ucarpctl.Run(_path, "status").Code, Is.Zero, "root is still served");
    }

    [Test]
    public void A_peer_that_sends_nothing_is_dropped_after_about_two_seconds_without_holding_up_others()
    {
        using var served = Serve(Web);
        using Socket idle = Connect();
        var clock = Stopwatch.StartNew();
        Assert.That(Ucarpctl.Run(_path, "status").Code, Is.Zero);
        idle.ReceiveTimeout = 10_000;
        int n = idle.Receive(new byte[16]);
        Assert.That(n, Is.Zero, "the daemon answered a request that never came");
        Assert.That(clock.Elapsed, Is.InRange(TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void Past_sixteen_connections_a_peer_is_told_to_try_again_and_served_once_they_are_gone()
    {
        using var served = Serve(Web);
        var idle = Enumerable.Range(0, ControlServer.MaxConnections).Select(_ => Connect()).ToList();
        Assert.That(Wait.Until(() => served.Server.ConnectionCount == ControlServer.MaxConnections, TimeSpan.FromSeconds(5)), Is.True);
        CtlResult busy = Ucarpctl.Run(_path, "status");
        Assert.That((busy.Code, busy.Err), Is.EqualTo((1, Messages.ControlBusy)), busy.ToString());
        idle.ForEach(s => s.Dispose());
        Assert.That(Wait.Until(() => served.Server.ConnectionCount == 0, TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(Ucarpctl.Run(_path, "status").Code, Is.Zero);
    }

    [Serial]
    [Test]
    public void A_reply_larger_than_the_socket_buffer_reaches_a_slow_reader_whole_while_others_are_served()
    {
        // 255 groups with long reasons: about 700 KB, several times a Unix socket's send buffer.
        var groups = Enumerable.Range(1, 255).Select(v => GroupStatus.Of(Db.Full with { Name = $"g{v}", Vhid = v, ElectionReason = new string('r', 2700) })).ToArray();
        using var served = Serve(groups);
        using Socket slow = Connect();
        slow.Send(Encoding.ASCII.GetBytes("status --json\n"));
        Assert.That(Wait.Until(() => served.Handler.StatusCalls == 1, TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(Ucarpctl.Run(_path, "status").Code, Is.Zero, "served while the big reply waits for its reader");
        byte[] reply = ReadToEnd(slow);
        Assert.That(ControlFraming.TryDecodeReply(reply, out int code, out ReadOnlySpan<byte> body), Is.True);
        Assert.That(code, Is.Zero);
        Assert.That(body.Length, Is.GreaterThan(600_000));
        Assert.That(Encoding.UTF8.GetString(body), Is.EqualTo(ControlStatus.Json(groups)));
        Assert.That(served.LongestProcess, Is.LessThan(TimeSpan.FromMilliseconds(200)), "a Process call waited on a peer");
    }

    [TestCase("status\0\n", 2, "request holds a byte that is not printable ASCII\n")]
    [TestCase("status --yaml\n", 2, "status takes a group name and --json, each at most once, not [--yaml]\n")]
    [TestCase("reload\r\n", 2, "request holds a byte that is not printable ASCII\n")]
    public void Hostile_requests_get_exit_2_and_reach_no_handler(string request, int code, string body)
    {
        using var served = Serve(Web);
        using Socket s = Connect();
        s.Send(Encoding.Latin1.GetBytes(request));
        Assert.That(ControlFraming.TryDecodeReply(ReadToEnd(s), out int got, out ReadOnlySpan<byte> text), Is.True);
        Assert.That((got, Encoding.UTF8.GetString(text)), Is.EqualTo((code, body)));
        Assert.That(served.Handler.StatusCalls + served.Handler.ReloadCalls, Is.Zero);
    }

    [Test]
    public void A_request_over_a_kibibyte_is_refused_without_waiting_for_its_end()
    {
        using var served = Serve(Web);
        using Socket s = Connect();
        s.Send(new byte[ControlFraming.MaxRequest + 1].Select(_ => (byte)'x').ToArray());
        Assert.That(ControlFraming.TryDecodeReply(ReadToEnd(s), out int code, out ReadOnlySpan<byte> body), Is.True);
        Assert.That((code, Encoding.UTF8.GetString(body)), Is.EqualTo((2, Messages.ControlRequestTooLong)));
    }

    Socket Connect()
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(_path));
        return s;
    }

    static byte[] ReadToEnd(Socket s)
    {
        s.ReceiveTimeout = 10_000;
        var all = new MemoryStream();
        byte[] buffer = new byte[4096];
        Thread.Sleep(300);   // a slow reader: the daemon's writes must wait for it, not block on it
        try
        {
            for (int n; (n = s.Receive(buffer)) > 0;)
            {
                all.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The daemon closed with bytes of ours unread (an over-long request): the reply came first.
        }
        return all.ToArray();
    }
}
