namespace Ucarp.Core.Etcd;

/// <summary>
/// An election that sends its own etcd requests and is fed their replies: follow mode
/// (--follow-key). The lease election's replies come through its <see cref="EtcdSession"/>.
/// </summary>
public interface IEtcdReplies
{
    void OnReply(in EtcdReply reply, long now);
}
