using System.Text;
using Ucarp.Core.Carp;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Fuzz;

/// <summary>
/// What the fuzzers feed arbitrary bytes to, shared by the AFL++ harness (this project)
/// and the regression tests in Ucarp.Core.Tests that replay its corpus and findings: the frame reader with its log
/// formatting and the state machine behind it, and the command-line parser with its
/// validation. Each must return for any input; an exception is a defect.
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

    sealed class NullHost : ICarpHost
    {
        public static readonly NullHost Instance = new();
        public bool DebugEnabled => true;
        public void Write(LogLevel level, string message) { }
        public string? SendAdvert(ReadOnlySpan<byte> frame) => null;
        public void SendAnnouncement(ReadOnlySpan<byte> frame) { }
        public void SendBowOut(ReadOnlySpan<byte> frame, long deadline) { }
        public void RunScript(ScriptInvocation script) { }
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
