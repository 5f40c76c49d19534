using Ucarp.Control;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Wire;
using Ucarp.Daemon;
using Ucarp.Etcd;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Loop;
using Ucarp.Net;
using Ucarp.Processes;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The daemon's side of issue 31's "nothing per frame": a --config daemon's groups, made
/// and started as the daemon makes them (GroupSet.StartAll), their adverts routed by the
/// interface's shared socket to their elections, and every pass of the event loop's
/// sources (descriptors, deadlines, dispatch) as EventLoop runs them, on a clock the
/// test moves. In process, on a thread that entered a network namespace the test makes
/// and deletes (<see cref="InNamespace"/>): the groups sit on that namespace's lo, never
/// the host's, with no script and no managed address. Root, for the namespace and the
/// packet socket.
/// </summary>
public class LoopAllocationTests
{
    const long S = Timing.Second;
    const int Warmup = 300;
    const int Passes = 10_000;
    const int PerKind = 8;
    static readonly IpAddress Group = Configuration.DefaultMulticast;
    static readonly IpAddress Peer = new(127, 0, 0, 2);

    static IpAddress Vip(int vhid) => new(127, 0, 1, (byte)vhid);

    /// <summary>CARP groups on vhids 1.., VRRPv3 ones on 101..: one socket for all, as one interface's groups share it.</summary>
    static string Config(byte advskew, byte priority)
    {
        var text = new System.Text.StringBuilder("defaults -i lo -s 127.0.0.1\n");
        for (int v = 1; v <= PerKind; v++)
        {
            text.Append($"group c{v} -v {v} -a {Vip(v)} -p secret -b 1 -k {advskew}\n");
            text.Append($"group v{v} -v {100 + v} -a {Vip(100 + v)} --vrrp=3 --priority={priority}\n");
        }
        return text.ToString();
    }

    /// <summary>What the groups' master would send, one frame per group.</summary>
    static List<byte[]> MasterAdverts()
    {
        var frames = new List<byte[]>();
        for (int v = 1; v <= PerKind; v++)
        {
            byte[] carp = new byte[CarpHeader.AdvertFrameSize];
            var fields = new AdvertFields(Peer, Group, false, (byte)v, 1, 0, 1, 0x2000);
            AdvertFrame.Build(fields, new CarpHmac("secret"u8, (byte)v, Vip(v)), carp);
            frames.Add(carp);
            var builder = new VrrpAdvertBuilder(3, Peer, Group, (byte)(100 + v), [Vip(100 + v)], [], false, [2, 0, 0, 0, 0, 9]);
            byte[] vrrp = new byte[builder.FrameSize];
            builder.Build(200, 100, 1, vrrp);
            frames.Add(vrrp);
        }
        return frames;
    }

    /// <summary>The running daemon of <paramref name="config"/>, with the loop's sources in DaemonLoop's order (signals aside).</summary>
    sealed class Daemon : IDisposable
    {
        readonly FileDescriptor _control;
        readonly HostInterfaces _interfaces;
        readonly GroupReload _reload;
        readonly ControlHandler _handler;
        readonly AddressWatcher _addresses;
        readonly LinkWatcher _links;
        readonly PollSet _set = new();
        readonly List<ILoopSource> _sources;

        public Daemon(string config, long now)
        {
            var log = new Logger();
            _control = Program.RawDevice("lo", log) ?? throw new InvalidOperationException("no raw device socket");
            _interfaces = new HostInterfaces(_control, dispatch: true);
            Groups = new GroupSet(log, many: true, _interfaces, [], new EtcdSessions(log));
            ConfigReadResult read = ConfigReader.Read(config, _ => throw new InvalidOperationException("no passfile"));
            Assert.That(read.HasErrors, Is.False, string.Join("\n", read.Diagnostics));
            Assert.That(Groups.StartAll(read.Groups, _ => null, probeEtcd: false, now), Is.Zero);
            Assert.That(Groups.Running, Has.Count.EqualTo(2 * PerKind));
            _reload = new GroupReload(Groups, null, "/");
            _handler = new ControlHandler(Groups, _reload);
            _addresses = new AddressWatcher(Groups);
            _sources =
            [
                new InterfaceInput(Groups), new EtcdInput(Groups), _addresses, Groups.Addresses, new ChildReaper(Groups),
                new GroupTimers(Groups), _handler, _reload, new GroupObservers(Groups, () => null),
                new GroupLifecycle(Groups, new EventLoop(log)), _links = new LinkWatcher(Groups), new ControlWatch(_handler), new MemoryTrim(Groups),
            ];
        }

        public GroupSet Groups { get; }

        public InterfaceSocket Socket => Groups.Interfaces.Sockets[0];

        /// <summary>The control socket at <paramref name="path"/>, served by the passes as the daemon serves it.</summary>
        public void Serve(string path)
        {
            Assert.That(ControlServer.TryOpen(path, _handler, out ControlServer? server, out _, out SysError error), Is.True, error.Text);
            _handler.Attach(server!);
        }

        /// <summary>
        /// One pass of EventLoop.Run on the test's clock: what the last poll found is
        /// dispatched, the descriptors and deadlines gathered, and the poll made without
        /// waiting (the frames the groups hear come by <see cref="Deliver"/>).
        /// </summary>
        public void Pass(long now)
        {
            foreach (ILoopSource source in _sources)
            {
                source.Dispatch(_set, now);
            }
            _set.Clear();
            foreach (ILoopSource source in _sources)
            {
                source.AddTo(_set, now);
                source.NextDeadline(now);
            }
            _set.TryWait(0, out _);
        }

        /// <summary>A second of the master's adverts, delivered, then the pass that follows them.</summary>
        public void Hear(List<byte[]> adverts, long now)
        {
            foreach (byte[] advert in adverts)
            {
                Deliver(advert, now);
            }
            Pass(now);
        }

        /// <summary>A frame as InterfaceInput hands it on: routed by the shared socket to its group's election.</summary>
        public void Deliver(byte[] frame, long now)
        {
            if (Socket.Route(frame) is GroupRuntime { Stopping: false, Frames: { } election })
            {
                election.OnFrame(frame, now);
            }
        }

        public void Dispose()
        {
            Groups.StopAll(MonotonicClock.NowMicroseconds);
            Groups.Dispose();
            _handler.Dispose();
            _addresses.Dispose();
            _links.Dispose();
            _reload.Dispose();
            Groups.Etcd.Dispose();
            _interfaces.Dispose();
            _control.Dispose();
        }
    }

    /// <summary>Runs <paramref name="body"/> on a thread inside a namespace made for it (<see cref="Infrastructure.ThreadNamespace"/>).</summary>
    static void InNamespace(Action body) => Infrastructure.ThreadNamespace.Run("alloc", _ => body());

    static (double Bytes, int Passes) PerPass(Action<int> pass) => Core.Tests.AllocationCount.PerStep(Warmup, Passes, pass);

    [Test]
    public void Backups_hearing_their_masters_through_the_shared_socket_allocate_nothing() => InNamespace(() =>
    {
        long start = MonotonicClock.NowMicroseconds;
        using var daemon = new Daemon(Config(advskew: 100, priority: 100), start);
        List<byte[]> adverts = MasterAdverts();

        (double perPass, int passes) = PerPass(i => daemon.Hear(adverts, start + (i + 1) * S));

        Assert.Multiple(() =>
        {
            foreach (GroupRuntime g in daemon.Groups.Running)
            {
                Assert.That(g.Gate.State, Is.EqualTo(CarpState.Backup), g.Name);
                Assert.That(g.Gate.Counters.AdvertsReceived, Is.EqualTo(passes), g.Name);
            }
            Assert.That(daemon.Socket.Unknown, Is.Zero);
            // A --config daemon waits on its interface sockets through one descriptor (SocketReadiness).
            Assert.That(daemon.Groups.Interfaces.Readiness?.Count, Is.EqualTo(1), "sockets in the readiness set");
            Assert.That(daemon.Socket.WatchSlot, Is.GreaterThanOrEqualTo(0));
            Assert.That(daemon.Socket.PollIndex, Is.EqualTo(-1), "the socket itself is not in the wait's set");
            Assert.That(perPass, Is.Zero, $"bytes allocated per pass of {adverts.Count} adverts");
        });
    });

    [Test]
    public void Masters_sending_their_adverts_allocate_nothing() => InNamespace(() =>
    {
        long start = MonotonicClock.NowMicroseconds;
        using var daemon = new Daemon(Config(advskew: 0, priority: 200), start);
        // Past master-down: every group is master, its adverts leave by lo's packet socket.
        for (long now = start; now <= start + 4 * S; now += S / 10)
        {
            daemon.Pass(now);
        }
        // Ten seconds more: the gratuitous ARPs that follow a takeover are sent (they would
        // leave with the adverts of their pass, and count as the batch's frames).
        for (int i = 0; i < 10; i++)
        {
            daemon.Pass(start + 5 * S + i * S);
        }
        long sent = Sent(daemon);
        AdvertBatch batch = daemon.Groups.Interfaces.Adverts;
        long calls = batch.Calls, frames = batch.Frames;

        (double perPass, int passes) = PerPass(i => daemon.Pass(start + 15 * S + i * S));

        Assert.Multiple(() =>
        {
            foreach (GroupRuntime g in daemon.Groups.Running)
            {
                Assert.That(g.Gate.State, Is.EqualTo(CarpState.Master), g.Name);
            }
            Assert.That(Sent(daemon) - sent, Is.EqualTo(2 * PerKind * (long)passes));
            // Every group is due in every pass (one second apart): each pass's adverts leave by one sendmmsg.
            Assert.That(batch.Frames - frames, Is.EqualTo(2 * PerKind * (long)passes), "frames sent by the batch");
            Assert.That(batch.Calls - calls, Is.EqualTo(passes), "sendmmsg calls");
            Assert.That(perPass, Is.Zero, $"bytes allocated per pass of {2 * PerKind} adverts sent");
        });
    });

    [Test]
    public void A_daemon_watched_by_ucarpctl_watch_allocates_nothing_per_pass() => InNamespace(() =>
    {
        long start = MonotonicClock.NowMicroseconds;
        string dir = Directory.CreateTempSubdirectory("ucarpnet-alloc-").FullName;
        try
        {
            using var daemon = new Daemon(Config(advskew: 100, priority: 100), start);
            string path = Path.Combine(dir, "ucarp.sock");
            daemon.Serve(path);
            using var watcher = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                                                               System.Net.Sockets.ProtocolType.Unspecified);
            watcher.ReceiveTimeout = 5_000;
            watcher.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            watcher.Send("watch\n"u8);
            List<byte[]> adverts = MasterAdverts();

            (double perPass, _) = PerPass(i => daemon.Hear(adverts, start + (i + 1) * S));

            // The watcher is still served: its snapshot came, and it was never dropped.
            var got = new byte[4096];
            Assert.That(watcher.Receive(got), Is.GreaterThan(0));
            Assert.That(perPass, Is.Zero, "bytes allocated per pass with a watcher connected");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    });

    static long Sent(Daemon daemon)
    {
        long sent = 0;
        foreach (GroupRuntime g in daemon.Groups.Running)
        {
            sent += g.Gate.Counters.AdvertsSent;
        }
        return sent;
    }
}
