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
}
