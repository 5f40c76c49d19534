namespace Ucarp.Core.Monitoring;

/// <summary>
/// An etcd group's connection as monitoring shows it: etcd answered the last request; the
/// lease (null in follow mode, or while none is granted); how old the last answered
/// renewal is (µs; null without a lease); how many times the lease was fenced. A value
/// type: the publisher reads it at every idle wake-up to see whether it moved.
/// </summary>
public readonly record struct EtcdHealth(bool Reachable, long? Lease, long? RenewalAgeMicros, long Fences);
