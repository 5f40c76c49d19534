namespace Ucarp.Core.Carp;

/// <summary>
/// An election whose advert was queued (<see cref="ICarpHost.TryQueueAdvert"/>): told what
/// became of it once the queue was sent, in the same pass.
/// </summary>
public interface IAdvertSender
{
    /// <summary>The advert was sent (<paramref name="error"/> null) or failed with this error text (strerror).</summary>
    void AdvertSent(string? error, long now);
}
