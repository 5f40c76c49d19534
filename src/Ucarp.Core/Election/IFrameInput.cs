using Ucarp.Core.Wire;

namespace Ucarp.Core.Election;

/// <summary>An election that takes frames off the wire (CARP; VRRP next), and counts those it rejects.</summary>
public interface IFrameInput
{
    void OnFrame(ReadOnlySpan<byte> frame, long now);

    /// <summary>How many rejected frames the election has seen, by reason (OpenBSD's carpstats).</summary>
    IReadOnlyDictionary<Rejection, long> Rejections { get; }

    /// <summary>All rejected frames, every reason together: cheap to read on every wake-up.</summary>
    long RejectedTotal { get; }
}
