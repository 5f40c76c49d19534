namespace Ucarp.Core.Etcd;

/// <summary>--follow-key: the key to follow, and the value that names this node (--follow-value, by default the host name).</summary>
public sealed record FollowSettings(string Key, string Value);
