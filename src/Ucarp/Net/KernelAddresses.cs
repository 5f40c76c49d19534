using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Net;

/// <summary>
/// --manage-addresses' requests to the kernel: addresses added to or removed from an
/// interface looked up by name at each change (it may have been made again since the
/// group started). Slow by nature (each request waits for the kernel's acknowledgement,
/// and the kernel's lock may be held by whatever else reconfigures the host): the daemon
/// makes them on <see cref="AddressChanger"/>'s thread, never on the protocol's. That
/// thread keeps one of these, its sockets open, and hands it every change waiting
/// (<see cref="ChangeAll"/>): a backup taking over thousands of groups asks for them in
/// a few datagrams, where each address cost two sockets, an ioctl and a request of its own.
/// </summary>
internal sealed class KernelAddresses : IDisposable
{
    /// <summary>The addresses of one step: all added to, or all removed from, one interface.</summary>
    public readonly record struct Step(string Interface, IReadOnlyList<IpAddress> Addresses, bool Add);

    NetlinkAddresses _netlink = new();   // made again when it could not be (descriptors ran out)
    FileDescriptor? _control;     // SIOCGIFINDEX's socket, made at the first lookup (again after a failure)
    AddressRequest[] _requests = new AddressRequest[NetlinkAddresses.PerDatagram];
    // The interfaces of one ChangeAll, each looked up once.
    readonly List<(string Name, int Index, SysError Error)> _looked = [];

    /// <summary>
    /// Adds or removes <paramref name="addresses"/> on <paramref name="iface"/>; true when
    /// the kernel changed for any. An address already there, or already gone, is what was
    /// wanted; any other failure adds its log line to <paramref name="errors"/>.
    /// </summary>
    public static bool Change(string iface, IReadOnlyList<IpAddress> addresses, bool add, List<string> errors)
    {
        using var kernel = new KernelAddresses();
        Span<AddressChanger.Result> result = new AddressChanger.Result[1];
        kernel.ChangeAll([new Step(iface, addresses, add)], result);
        errors.AddRange(result[0].Errors);
        return result[0].Changed;
    }

    /// <summary>
    /// Makes every change, in order; <paramref name="results"/>[i] says what the i-th did:
    /// whether the kernel changed for any of its addresses, and the log lines of its failures
    /// (an address already there, or already gone, is what was wanted: no failure).
    /// </summary>
    public void ChangeAll(ReadOnlySpan<Step> steps, Span<AddressChanger.Result> results)
    {
        _looked.Clear();
        int count = 0;
        foreach (Step step in steps)
        {
            count += step.Addresses.Count;
        }
        if (_requests.Length < count)
        {
            _requests = new AddressRequest[Math.Max(count, 2 * _requests.Length)];
        }
        // The requests of the steps whose interface was found, one after another, in order.
        int made = 0;
        foreach (Step step in steps)
        {
            (int index, SysError lookupError) = Lookup(step.Interface);
            if (lookupError == SysError.None)
            {
                foreach (IpAddress address in step.Addresses)
                {
                    _requests[made++] = new AddressRequest(index, address, step.Add);
                }
            }
        }
        if (!_netlink.IsOpen)
        {
            _netlink.Dispose();
            _netlink = new NetlinkAddresses();
        }
        _netlink.ChangeAll(_requests.AsSpan(0, made));
        int next = 0;
        for (int s = 0; s < steps.Length; s++)
        {
            Step step = steps[s];
            SysError lookupError = Lookup(step.Interface).Error;
            bool changed = false;
            List<string>? errors = null;
            foreach (IpAddress address in step.Addresses)
            {
                // Without the index every address fails with the lookup's errno.
                SysError error = lookupError == SysError.None ? _requests[next++].Error : lookupError;
                if (lookupError == SysError.None && error == SysError.None)
                {
                    changed = true;
                }
                else if (error.Errno != (step.Add ? Libc.EEXIST : Libc.EADDRNOTAVAIL))
                {
                    (errors ??= []).Add(step.Add ? Messages.AddressAddFailed(address.ToString(), step.Interface, error.Text)
                                                 : Messages.AddressRemoveFailed(address.ToString(), step.Interface, error.Text));
                }
            }
            results[s] = new AddressChanger.Result(changed, errors ?? (IReadOnlyList<string>)[]);
        }
        _requests.AsSpan(0, made).Clear();   // no error's strings kept alive
        _looked.Clear();
    }

    /// <summary>The interface's index, looked up once a batch; or why it could not be.</summary>
    (int Index, SysError Error) Lookup(string name)
    {
        foreach ((string Name, int Index, SysError Error) looked in _looked)
        {
            if (looked.Name == name)
            {
                return (looked.Index, looked.Error);
            }
        }
        int index = 0;
        SysError error = SysError.None;
        if (_control is null)
        {
            InterfaceInfo.TryDatagramSocket(out _control, out error);
        }
        if (_control is not null && InterfaceInfo.TryIndex(_control, name, out index, out error))
        {
            error = SysError.None;
        }
        _looked.Add((name, index, error));
        return (index, error);
    }

    public void Dispose()
    {
        _netlink.Dispose();
        _control?.Dispose();
    }
}
