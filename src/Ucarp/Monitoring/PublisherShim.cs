namespace Ucarp.Monitoring;

// TEMPORARY until the monitoring branch lands (its StatusPublisher has SetGroups).
internal static class PublisherShim
{
    public static void SetGroups(this StatusPublisher publisher, IReadOnlyList<PublishedGroup> groups, long now) { }
}
