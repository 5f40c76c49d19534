using Microsoft.Win32.SafeHandles;

namespace Ucarp.Interop;

/// <summary>A file descriptor owned by the process; closed exactly once.</summary>
internal sealed class FileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public FileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
