using Ucarp.Interop;
using Ucarp.Linux;

namespace Ucarp.Control;

/// <summary>A control socket's path as a sockaddr_un (daemon and ucarpctl; paths carried as Latin-1, byte per char).</summary>
internal static class UnixEndpoint
{
    /// <summary>False when the path does not fit sun_path with its NUL.</summary>
    public static unsafe bool TryMake(string path, out SockAddrUn address)
    {
        address = default;
        byte[] bytes = CStrings.Bytes(path);
        if (bytes.Length == 0 || bytes.Length >= SockAddrUn.PathSize || bytes.Contains((byte)0))
        {
            return false;
        }
        address.Family = Libc.AF_UNIX;
        fixed (byte* p = address.Path)
        {
            bytes.CopyTo(new Span<byte>(p, SockAddrUn.PathSize));
        }
        return true;
    }

    public static unsafe int Connect(int fd, in SockAddrUn address)
    {
        fixed (SockAddrUn* a = &address)
        {
            return Libc.Connect(fd, a, (uint)sizeof(SockAddrUn));
        }
    }
}
