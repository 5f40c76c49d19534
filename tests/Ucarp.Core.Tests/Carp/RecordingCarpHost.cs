using System.Buffers.Binary;
using Ucarp.Core.Carp;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Carp;

/// <summary>Records every effect the machine emits, in order, as short readable strings.</summary>
sealed class RecordingCarpHost : ICarpHost
{
    public List<string> Effects { get; } = [];
    public List<byte[]> Adverts { get; } = [];
    public Queue<string?> SendResults { get; } = new();
    public bool DebugEnabled { get; set; }

    public void Write(LogLevel level, string message) => Effects.Add(LogLevelText.Prefix(level) + message);

    public string? SendAdvert(ReadOnlySpan<byte> frame)
    {
        Adverts.Add(frame.ToArray());
        string? result = SendResults.Count > 0 ? SendResults.Dequeue() : null;
        Effects.Add($"advert skew={frame[36]} counter={BinaryPrimitives.ReadUInt64BigEndian(frame[42..]):x}" + (result is null ? "" : " (failed)"));
        return result;
    }

    public void SendGratuitousArp(ReadOnlySpan<byte> frame) => Effects.Add("garp");

    public List<byte[]> BowOuts { get; } = [];

    public void SendBowOut(ReadOnlySpan<byte> frame, long deadline)
    {
        BowOuts.Add(frame.ToArray());
        Effects.Add($"bowout base={frame[39]} skew={frame[36]} counter={BinaryPrimitives.ReadUInt64BigEndian(frame[42..]):x} by={deadline}");
    }

    public void RunScript(ScriptInvocation script) => Effects.Add($"script {string.Join(' ', script.Arguments)}");

    public List<string> Take()
    {
        var taken = new List<string>(Effects);
        Effects.Clear();
        return taken;
    }
}

/// <summary>
/// Fixed, recognisable draws. Counters step by 0x100, never by one, so a fresh draw per
/// advert (c0ffee00, c0ffef00, ...) cannot be mistaken for a counter incremented from
/// one draw (c0ffee00, c0ffee01, ...).
/// </summary>
sealed class CountingRandom : ICarpRandom
{
    public const ulong FirstCounter = 0xc0ffee00;
    public const ulong Step = 0x100;
    ulong _counter = FirstCounter;
    ushort _id = 100;

    public ushort NextIpId() => _id++;

    public ulong NextCounter()
    {
        ulong drawn = _counter;
        _counter += Step;
        return drawn;
    }
}
