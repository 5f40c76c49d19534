namespace Ucarp.Core.Etcd;

/// <summary>What the etcd election needs beyond the CARP settings: where its key is and how it names us.</summary>
public sealed record EtcdSettings
{
    /// <summary>The virtual address's key: the prefix, a slash, the address in canonical text.</summary>
    public required string Key { get; init; }
    /// <summary>The key of a -P request to the holder: the address's key plus "/preempt".</summary>
    public string PreemptKey => Key + PreemptSuffix;
    public const string PreemptSuffix = "/preempt";
    /// <summary>This host's name, for the holder record.</summary>
    public string Host { get; init; } = "";
}
