using System.Net;
using System.Net.Sockets;
using Ucarp.Core.Cli;
using Ucarp.Etcd;
using Ucarp.Interop;

namespace Ucarp.Integration.Tests;

/// <summary>
/// An https:// client's OpenSSL context is freed with the client (a reload that replaces
/// an etcd session used to leak one each time), never from under a handshake: in process,
/// on the loopback.
/// </summary>
public class TlsContextLifetimeTests
{
    static TlsContext Context()
    {
        if (!TlsContext.TryCreate(null, null, null, out TlsContext? tls, out SysError error))
        {
            Assert.Ignore("no OpenSSL here: " + error.Text);
        }
        return tls;
    }

    [Test]
    public void The_context_is_freed_with_the_client()
    {
        TlsContext tls = Context();
        var client = new EtcdClient(new EtcdConnection([new EtcdEndpoint(true, "127.0.0.1", 2379)], tls, null, null));
        Assert.That(tls.IsClosed, Is.False);
        client.Dispose();
        Assert.That(tls.IsClosed, Is.True);
        tls.Dispose();   // twice: nothing more happens
        Assert.That(tls.IsClosed, Is.True);
    }

    [Test]
    public void A_handshake_after_the_client_is_gone_fails_as_an_unreachable_member_would()
    {
        TlsContext tls = Context();
        tls.Dispose();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect((IPEndPoint)listener.LocalEndpoint);
        var failure = Assert.Throws<HttpFailure>(() => tls.Handshake((int)socket.Handle, "127.0.0.1", () => null));
        Assert.That((failure!.Message, failure.Tls), Is.EqualTo(("the etcd client is closed", false)));
    }

    /// <summary>A reload's context replaces the client's: the old one is freed (no handshake holds it), the new one lives with the client.</summary>
    [Test]
    public void A_context_read_again_replaces_the_clients_and_the_old_one_is_freed()
    {
        TlsContext first = Context();
        var client = new EtcdClient(new EtcdConnection([new EtcdEndpoint(true, "127.0.0.1", 2379)], first, null, null));
        TlsContext read = Context();
        TlsContext copy = read.Copy();
        read.Dispose();   // the reload's own, once every client took its copy
        Assert.That((read.IsClosed, copy.IsClosed), Is.EqualTo((true, false)), "a copy owns the context on its own");
        Assert.That(client.ReplaceTls(copy), Is.True);
        Assert.That((first.IsClosed, client.Tls == copy), Is.EqualTo((true, true)));
        client.Dispose();
        Assert.That(copy.IsClosed, Is.True);
        TlsContext late = Context();
        Assert.That(client.ReplaceTls(late), Is.False, "a closed client takes nothing");
        Assert.That(late.IsClosed, Is.True);
    }
}
