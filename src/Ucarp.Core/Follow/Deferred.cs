using Ucarp.Core.Etcd;

namespace Ucarp.Core.Follow;

/// <summary>
/// Something that must wait for the group's scripts: the bow-out advert (the address is
/// released before a backup claims it) or an etcd request (the key is deleted only once
/// the address is gone). <see cref="Frame"/> set: a bow-out; else <see cref="Request"/>.
/// </summary>
public readonly record struct Deferred(byte[]? Frame, EtcdRequest Request)
{
    public static Deferred BowOut(ReadOnlySpan<byte> frame) => new(frame.ToArray(), default);

    public static Deferred Send(in EtcdRequest request) => new(null, request);

    public bool IsBowOut => Frame is not null;
}
