using Ucarp.Core.Carp;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Tests.Vrrp;

/// <summary>
/// Records a VRRP machine's effects in order as short strings ("advert prio=100",
/// "resign prio=0", "garp", "script ..."), keeping the frames. Scripts are over as they
/// start, unless <see cref="HoldScripts"/>.
/// </summary>
sealed class RecordingVrrpHost : ICarpHost
{
    public List<string> Effects { get; } = [];
    public List<byte[]> Adverts { get; } = [];
    public bool DebugEnabled { get; set; }
    public bool HoldScripts { get; set; }

    public void Write(LogLevel level, string message) => Effects.Add(LogLevelText.Prefix(level) + message);

    /// <summary>Where the VRRP header starts: after an IPv6 header or a 20-byte IPv4 one.</summary>
    static int Vrrp(ReadOnlySpan<byte> frame) => frame[12] == 0x86 && frame[13] == 0xdd ? 54 : 34;

    public string? SendAdvert(ReadOnlySpan<byte> frame)
    {
        Adverts.Add(frame.ToArray());
        Effects.Add($"advert prio={frame[Vrrp(frame) + 2]}");
        return null;
    }

    public void SendAnnouncement(ReadOnlySpan<byte> frame) => Effects.Add(Vrrp(frame) == 54 ? "na" : "garp");

    public void SendAfterScripts(in Deferred effect)
    {
        byte[] frame = effect.Frame!;
        Adverts.Add(frame);
        Effects.Add($"resign prio={frame[Vrrp(frame) + 2]}");
    }

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
