namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// One <see cref="NamespaceAddresses"/> per node of a LAN, made when first asked for and
/// closed with the LAN: their sockets would keep the namespaces (and the veths in them) alive.
/// </summary>
sealed class LanAddresses(Func<int, string> node) : IDisposable
{
    readonly Dictionary<int, NamespaceAddresses> _nodes = [];

    /// <summary>Node i's eth0 addresses.</summary>
    public NamespaceAddresses Of(int i)
    {
        lock (_nodes)
        {
            if (!_nodes.TryGetValue(i, out NamespaceAddresses? addresses))
            {
                _nodes[i] = addresses = new NamespaceAddresses(node(i), "eth0");
            }
            return addresses;
        }
    }

    public void Dispose()
    {
        lock (_nodes)
        {
            foreach (NamespaceAddresses a in _nodes.Values)
            {
                a.Dispose();
            }
            _nodes.Clear();
        }
    }
}
