using Ucarp.Core.Follow;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Carp;

/// <summary>
/// A CARP group's host: the log, its follower's output (scripts, announcements, the
/// bow-out) and the adverts themselves. The daemon writes them to its sockets; the
/// simulator delivers them on a virtual LAN.
/// </summary>
public interface ICarpHost : ILog, IFollowerOutput
{
    /// <summary>Sends one advert frame now. Returns null when sent, else the error text (strerror).</summary>
    string? SendAdvert(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Queues one advert to leave with the others due in the same pass (the daemon sends
    /// them with one sendmmsg per interface); <paramref name="sender"/> is told its result
    /// once they are sent. False: not queued (no batch is open, or it is full), so the
    /// caller sends it now with <see cref="SendAdvert"/>. The frame is copied.
    /// </summary>
    bool TryQueueAdvert(ReadOnlySpan<byte> frame, IAdvertSender sender) => false;
}
