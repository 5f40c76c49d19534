using System.Buffers.Binary;
using Ucarp.Core.Carp;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Carp;

/// <summary>
/// Records every effect the machine emits, in order, as short readable strings. Scripts
/// take no time (each is over as it starts), so what waits for them goes at once;
/// with <see cref="HoldScripts"/> they run until the test ends them through the follower.
/// </summary>
sealed class RecordingCarpHost : ICarpHost
{
    public List<string> Effects { get; } = [];
    public List<byte[]> Adverts { get; } = [];
    public Queue<string?> SendResults { get; } = new();
    public bool DebugEnabled { get; set; }

    public void Write(LogLevel level, string message) => Effects.Add(LogLevelText.Prefix(level) + message);

    /// <summary>Where the CARP header starts: after an IPv6 header (ethertype 86dd) or an IPv4 one.</summary>
    static int Carp(ReadOnlySpan<byte> frame) => frame[12] == 0x86 && frame[13] == 0xdd ? 54 : 34;

    public string? SendAdvert(ReadOnlySpan<byte> frame)
    {
        Adverts.Add(frame.ToArray());
        string? result = SendResults.Count > 0 ? SendResults.Dequeue() : null;
        int c = Carp(frame);
        Effects.Add($"advert skew={frame[c + 2]} counter={BinaryPrimitives.ReadUInt64BigEndian(frame[(c + 8)..]):x}" + (result is null ? "" : " (failed)"));
        return result;
    }

    /// <summary>
    /// Adverts and announcements are queued (as the daemon's timers queue them) until
    /// <see cref="Flush"/> sends them in order.
    /// </summary>
    public bool Queue { get; set; }

    readonly List<(byte[] Frame, IAdvertSender? Sender)> _queued = [];

    public bool TryQueueAdvert(ReadOnlySpan<byte> frame, IAdvertSender sender)
    {
        if (!Queue)
        {
            return false;
        }
        _queued.Add((frame.ToArray(), sender));
        return true;
    }

    /// <summary>Sends what was queued, in order, then tells each sender its result; again for what those results queue.</summary>
    public void Flush(long now)
    {
        while (_queued.Count > 0)
        {
            var round = new List<(byte[] Frame, IAdvertSender? Sender)>(_queued);
            _queued.Clear();
            var results = round.Select(q => q.Sender is null ? Announced(q.Frame) : SendAdvert(q.Frame)).ToList();
            for (int i = 0; i < round.Count; i++)
            {
                round[i].Sender?.AdvertSent(results[i], now);
            }
        }
    }

    public List<byte[]> Announcements { get; } = [];

    public void SendAnnouncement(ReadOnlySpan<byte> frame)
    {
        if (Queue)
        {
            _queued.Add((frame.ToArray(), null));
            return;
        }
        Announced(frame);
    }

    string? Announced(ReadOnlySpan<byte> frame)
    {
        Announcements.Add(frame.ToArray());
        Effects.Add(Carp(frame) == 54 ? "na" : "garp");
        return null;
    }

    public List<byte[]> BowOuts { get; } = [];

    public void SendAfterScripts(in Deferred effect)
    {
        byte[] frame = effect.Frame!;    // a CARP machine defers only its bow-out
        BowOuts.Add(frame);
        int c = Carp(frame);
        Effects.Add($"bowout base={frame[c + 5]} skew={frame[c + 2]} counter={BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(c + 8)):x}");
    }

    /// <summary>Scripts keep running until the test calls the machine's Follower.ScriptEnded().</summary>
    public bool HoldScripts { get; set; }

    public bool StartScript(ScriptInvocation script)
    {
        Effects.Add($"script {string.Join(' ', script.Arguments)}");
        return HoldScripts;
    }

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
