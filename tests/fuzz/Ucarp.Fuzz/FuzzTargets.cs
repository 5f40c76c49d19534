using System.Text;
using Ucarp.Core.Carp;
using Ucarp.Core.Follow;
using Ucarp.Core.Cli;
using Ucarp.Core.Etcd;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Fuzz;

/// <summary>
/// What the fuzzers feed arbitrary bytes to, shared by the AFL++ harness (this project)
/// and the regression tests in Ucarp.Core.Tests that replay its corpus and findings: the frame reader with its log
/// formatting and the state machine behind it, the VRRP reader, the command-line parser with its
/// validation, the etcd client's HTTP response reader, and its JSON reader with the reply
/// interpretation behind it. Each must return for any input; an exception other than the
/// FormatException that says "malformed" is a defect.
/// </summary>
public static class FuzzTargets
{
    static readonly IpAddress Us = new(192, 0, 2, 1);
    static readonly IpAddress Vip = new(192, 0, 2, 100);
    static readonly IpAddress Us6 = Parse("2001:db8::1");
    static readonly IpAddress Vip6 = Parse("2001:db8::100");

    static IpAddress Parse(string text) => Inet.TryParse(text, out IpAddress a) ? a : throw new ArgumentException(text);

    /// <summary>Each frame goes to an IPv4 and an IPv6 reader and machine: both must cope with anything.</summary>
    public static void Reader(byte[] frame)
    {
        Read(frame, Us, Vip, Configuration.DefaultMulticast, new IpAddress(198, 51, 100, 2));
        Read(frame, Us6, Vip6, FamilyCheck.DefaultMulticast6, Parse("2001:db8:1::2"));
    }

    static void Read(byte[] frame, IpAddress us, IpAddress vip, IpAddress group, IpAddress peer)
    {
        var hmac = new CarpHmac("secret"u8, 42, vip);
        foreach (IReadOnlyList<IpAddress>? peers in new IReadOnlyList<IpAddress>?[] { null, [peer] })
        {
            var reader = new AdvertReader(us, group, 42, hmac, peers);
            ReadResult result = reader.Read(frame);
            if (!result.IsValid)
            {
                _ = RejectionLog.Message(result);
                _ = RejectionLog.Level(result.Rejection);
            }
        }
        // And through a machine in each state, as the daemon hands it frames.
        var machine = new CarpMachine(new CarpSettings
        {
            Interface = "eth0", Vhid = 42, AdvBase = 1, AdvSkew = 100, DeadRatio = 3, Source = us, VirtualAddress = vip, Group = group,
            Password = "secret"u8.ToArray(), Mac = [2, 0, 0, 0, 0, 1], Preempt = frame.Length % 2 == 0,
        }, NullHost.Instance, new SeededCarpRandom(1));
        machine.Start(0);
        machine.OnFrame(frame, 1);
        machine.OnTimer(10_000_000);
        machine.OnFrame(frame, 10_000_001);
    }

    /// <summary>
    /// Each frame goes to VRRP readers of both versions and families, for a multicast group
    /// and for a unicast peer, with the log line of each rejection (the VRRP election is
    /// fed by these readers alone).
    /// </summary>
    public static void Vrrp(byte[] frame)
    {
        IpAddress us6 = Parse("fe80::2"), peer6 = Parse("fe80::1");
        foreach (byte version in new byte[] { 2, 3 })
        {
            byte[] password = version == 2 ? "secret1"u8.ToArray() : [];
            foreach (IReadOnlyList<IpAddress> peers in new IReadOnlyList<IpAddress>[] { [], [new IpAddress(198, 51, 100, 2)] })
            {
                ReadVrrp(frame, new VrrpReader(version, Us, Configuration.DefaultMulticast, 42, password, 100, peers));
            }
            foreach (IReadOnlyList<IpAddress> peers in new IReadOnlyList<IpAddress>[] { [], [peer6] })
            {
                ReadVrrp(frame, new VrrpReader(version, us6, FamilyCheck.DefaultMulticast6, 42, [], 100, peers));
            }
        }
    }

    static void ReadVrrp(byte[] frame, VrrpReader reader)
    {
        VrrpReadResult result = reader.Read(frame);
        if (!result.IsValid)
        {
            _ = RejectionLog.Message(result);
            _ = RejectionLog.Level(result.Rejection);
        }
    }

    /// <summary>The input's lines are the arguments (Latin-1, one char per byte, as the daemon reads argv).</summary>
    public static void CommandLine(byte[] input)
    {
        string[] args = Encoding.Latin1.GetString(input).Split('\n');
        var host = new NullCliHost();
        CliOutcome outcome = Ucarp.Core.Cli.CommandLine.Parse("ucarp", args, posixlyCorrect: input.Length % 3 == 0, host);
        if (!outcome.ShouldExit)
        {
            Ucarp.Core.Cli.CommandLine.Validate(outcome.Configuration!, host, () => "any");
        }
    }

    /// <summary>
    /// The input is a response from an etcd member, handed out in pieces of 1 to 8 bytes
    /// (the last byte picks the size, as a socket splits reads); read whole (with the
    /// response after it when its connection could be kept), then again as a watch stream,
    /// line by line, each line through the JSON reader.
    /// </summary>
    public static void HttpResponse(byte[] input)
    {
        int piece = input.Length == 0 ? 1 : 1 + input[^1] % 8;
        try
        {
            var reader = new HttpResponseReader(new ArraySource(input, piece));
            reader.ReadHead();
            _ = reader.ReadBody();
            // What a kept connection reads next: the response after one read whole.
            if (reader.Reusable)
            {
                reader.Reset();
                reader.ReadHead();
                _ = reader.ReadBody();
            }
        }
        catch (FormatException)
        {
        }
        try
        {
            var stream = new HttpResponseReader(new ArraySource(input, piece));
            stream.ReadHead();
            while (stream.TryReadLine(out ReadOnlyMemory<byte> line))
            {
                Json(line.ToArray());
            }
        }
        catch (FormatException)
        {
        }
    }

    static readonly EtcdRequest[] Requests =
    [
        new(1, EtcdOp.Grant, Ttl: 3), new(2, EtcdOp.KeepAlive, Lease: 5), new(3, EtcdOp.Revoke, Lease: 5), new(4, EtcdOp.Get, Key: "k"),
        new(5, EtcdOp.Campaign, Lease: 5, Key: "k", Value: "v"), new(6, EtcdOp.PutPreempt, Lease: 5), new(7, EtcdOp.Sweep, Key: "/ucarp/", Prefix: true), new(8, EtcdOp.DeletePreempt),
    ];

    /// <summary>The input as UTF-8 JSON, then read as each kind of gateway answer, a watch message and a holder record.</summary>
    public static void Json(byte[] input)
    {
        object? d;
        try
        {
            d = Ucarp.Core.Etcd.Json.Parse(input, EtcdReplies.Members);
        }
        catch (FormatException)
        {
            return;
        }
        foreach (EtcdRequest r in Requests)
        {
            Try(() => _ = r.Op switch
            {
                EtcdOp.Grant => EtcdReplies.Grant(r, d),
                EtcdOp.KeepAlive => EtcdReplies.KeepAlive(r, d),
                EtcdOp.Get => EtcdReplies.Range(r, d),
                EtcdOp.Sweep => EtcdReplies.Sweep(r, d),
                EtcdOp.Campaign => EtcdReplies.Campaign(r, d),
                _ => EtcdReplies.Applied(r, d),
            });
        }
        Try(() => EtcdReplies.WatchMessage(new EtcdRequest(9, EtcdOp.Watch), d, [], out _));
        _ = HolderRecord.Parse(Encoding.UTF8.GetString(input));
    }

    static void Try(Action read)
    {
        try
        {
            read();
        }
        catch (FormatException)
        {
        }
    }

    /// <summary>A response from a byte array, at most <c>piece</c> bytes per read, as a socket might hand it out (the core tests use it too).</summary>
    internal sealed class ArraySource(byte[] bytes, int piece) : IByteSource
    {
        int _at;

        public int Read(Span<byte> into)
        {
            int n = Math.Min(Math.Min(into.Length, piece), bytes.Length - _at);
            bytes.AsSpan(_at, n).CopyTo(into);
            _at += n;
            return n;
        }
    }

    sealed class NullHost : ICarpHost
    {
        public static readonly NullHost Instance = new();
        public bool DebugEnabled => true;
        public void Write(LogLevel level, string message) { }
        public string? SendAdvert(ReadOnlySpan<byte> frame) => null;
        public void SendAnnouncement(ReadOnlySpan<byte> frame) { }
        public void SendAfterScripts(in Deferred effect) { }
        public bool StartScript(ScriptInvocation script) => false;
    }

    sealed class NullCliHost : ICliHost
    {
        public void Write(LogLevel level, string message) { }
        public void DisableSyslog() { }
        public bool DebugEnabled => true;
        public void WriteStdout(string text) { }
        public void WriteStderr(string text) { }
        public PassfileRead ReadPassfile(string path) =>
            (path.Length % 4) switch
            {
                0 => new PassfileRead(PassfileStatus.Line, path + "\n", ReadableByOthers: true),
                1 => new PassfileRead(PassfileStatus.OpenFailed, "No such file or directory"),
                2 => new PassfileRead(PassfileStatus.EndOfFile, ""),
                _ => new PassfileRead(PassfileStatus.Line, new string('p', path.Length * 7)),
            };
    }
}
